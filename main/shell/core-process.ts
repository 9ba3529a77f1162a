import { messagePortAsCorePort } from '../core-process/channel.js';
import { serveCore } from '../core-process/server.js';

/**
 * The core process's entry in the app (a utilityProcess, bundled to dist/main/shell/core-process.js):
 * the shell hands it one MessagePort, and the device core serves the channel on it. Nothing here
 * imports electron; process.parentPort is what Electron gives a utility process.
 */
process.parentPort.once('message', (event) => {
  const [port] = event.ports;
  if (!port) {
    console.error('the Waypost core process was started without its port');
    process.exit(1);
  }
  serveCore(messagePortAsCorePort(port), { exit: (code) => process.exit(code) });
});
