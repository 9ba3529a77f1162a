import { serveCoreOverForkChannel } from './node-process.js';

/** The core process's entry under plain Node (tests, and any host without Electron). */
serveCoreOverForkChannel();
