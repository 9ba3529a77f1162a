import type { FastifyBaseLogger } from 'fastify';
import type { Signer } from '../protocol/crypto/ed25519.js';
import type { Clock, Randomness } from '../protocol/runtime.js';
import type { AttachmentStorage } from './attachments/storage.js';
import type { PasswordHasher } from './console/passwords.js';
import type { ConsoleSettings } from './console/session-policy.js';
import type { OfficeDatabase } from './db/connect.js';
import type { SyncAdmission } from './sync/admission.js';
import type { ChangeNotifier } from './sync/notifier.js';

/**
 * What the office service is built from (`buildServer` in app.ts) and what every route module and
 * service gets: apart from app.ts, so that they need not import the module that imports them.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** Office clock when the request arrived. */
    receivedAt: number;
  }
}

export interface ServerDeps {
  database: OfficeDatabase;
  clock: Clock;
  random: Randomness;
  /** Signs anchor receipts; its public key is handed to devices at enrollment. */
  serverSigner: Signer;
  logger: FastifyBaseLogger;
  config: ServerSettings;
  /**
   * Where attachment bytes are kept; by default local disk in `config.attachmentsDir` when set,
   * else the database on Postgres (shared by every instance), else a temporary directory.
   */
  attachmentStorage?: AttachmentStorage;
  /** Turns for pushes and pulls on this instance; by default those of `defaultAdmission` for the default pool. */
  syncAdmission?: SyncAdmission;
  /** Makes and checks console passwords; by default scrypt at `DEFAULT_PASSWORD_PARAMS`. */
  passwordHasher?: PasswordHasher;
  /** Known faults switched on, for the simulation to prove it catches them (test seam; default none). */
  faults?: OfficeFaults;
}

/**
 * Realistic office bugs, each off unless a test switches it on: the fleet simulation
 * (test/sync/sim) must fail with a clear invariant message for every one of them.
 */
export interface OfficeFaults {
  /** A push is answered as soon as it is settled, while its transaction still commits. */
  acknowledgeBeforeCommit?: boolean;
  /** A resent entry is settled and written again instead of answered from what was stored. */
  resendCountedTwice?: boolean;
  /** A resent entry's counter increments are added again. */
  counterIncrementOnResend?: boolean;
  /** Concurrent last-writer-wins edits with the same effective time keep the earlier one. */
  lwwTieBreakFlipped?: boolean;
  /** An update made without seeing a delete brings the deleted record back. */
  tombstoneLosesToStaleUpdate?: boolean;
}

export interface ServerSettings {
  /** A device clock further off than this is implausible: its entries are ordered by receipt. */
  maxClockSkewMs: number;
  /** Slack on each bound of an entry's effective time (protocol/time.ts); default 2 s. */
  clockToleranceMs?: number;
  /** How often an idle event stream gets a keep-alive comment. */
  eventKeepAliveMs?: number;
  /** Attachments on local disk; without it (and without a storage) the database on Postgres, else a temporary directory removed at close. */
  attachmentsDir?: string;
  /** How long /ready waits for the database before it answers not ready; default 1 s. */
  readyTimeoutMs?: number;
  /** The built office console (index.html and its assets), served at /console/; without it /console/ says how to build it. */
  consoleDir?: string;
  /** Console sessions and sign-in; unset ones take `DEFAULT_CONSOLE_SETTINGS`. */
  console?: Partial<ConsoleSettings>;
  /** electron-builder's output for the desktop app, served as the fleet's update feed; without it the feed offers nothing. */
  updatesDir?: string;
}

/** What every route module gets: the injected dependencies plus the live-notification hub. */
export interface ServiceContext extends ServerDeps {
  notifier: ChangeNotifier;
  passwordHasher: PasswordHasher;
  consoleSettings: ConsoleSettings;
  /** False once shutdown began: readiness fails so load balancers drain the instance. */
  accepting: boolean;
}
