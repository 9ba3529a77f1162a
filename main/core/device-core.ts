import { eq } from 'drizzle-orm';
import {
  type AttachmentMimeType,
  type ChainVerdict,
  type JournalEntry,
  type RecordType,
  type SignedCertificate,
  type SignedCheckpoint,
  type Signer,
  bytesToHex,
  createSigner,
  hexToBytes,
  verifyChain,
} from '../../protocol/index.js';
import { type DeviceDatabase, openDeviceDatabase } from '../../db/open.js';
import { countUnstoredAttachments } from '../../db/queries/attachments.js';
import { countJournalEntries, listCheckpoints, listJournalEntries, listRecordHistory, readChainTip } from '../../db/queries/journal.js';
import { countOutbox, markAcknowledged } from '../../db/queries/outbox.js';
import {
  listCorrections,
  listRecords,
  readRecord,
  readTimedRecord,
  type RecordQuery,
  searchRecords,
  type SearchableType,
  type StoredRecord,
  type TimedRecord,
} from '../../db/queries/records.js';
import { findOperatorById, findSessionCertificate, type OperatorRow } from '../../db/queries/sessions.js';
import { device } from '../../db/schema.js';
import { type AttachmentContent, AttachmentStore, type GarbageCollection, type StoredAttachment } from './attachments.js';
import {
  compactAll,
  DEFAULT_MAINTENANCE_POLICY,
  maintain,
  type MaintenanceDiagnostics,
  type MaintenancePolicy,
  type MaintenanceReport,
  noteMaintenanceFailure,
  readMaintenanceDiagnostics,
} from './compaction.js';
import type { RecordRef } from './record-state.js';
import { type Clock, type KeyStore, type Randomness, randomId, systemClock, systemRandomness } from './ports.js';
import { DEFAULT_SESSION_POLICY, type SessionInfo, SessionManager, type SessionPolicy, storeOfficeOperator } from './sessions.js';
import { type ActionResult, performAction, performActions } from './write-path.js';
import { inspectionSubmitActions } from './inspection-submit.js';
import { type RepairToReview, repairsToReview, reviewAction } from './repair-review.js';
import { SyncClient, type SyncClientOptions } from './sync/client.js';
import { type EnrollOptions, enrollDevice } from './sync/enroll.js';
import { discardFailedEntry, type FailedEntry, listFailedEntries, retryFailedEntry } from './sync/failed.js';
import { type EnrollmentInfo, publicEnrollment, readAnchor, readEnrollment, requireEnrollment } from './sync/state.js';
import { checkState, fetchRecords, readStateCheckDiagnostics, type StateCheckDiagnostics, stateCheckDue, type StateCheckReport } from './sync/anti-entropy.js';
import { RETENTION_WINDOW_MS } from '../../protocol/state-hash.js';
import { CURRENT_SCHEMA_VERSION, type DeviceKind } from '../../protocol/wire.js';
import type { BinaryTransport, SyncTransport } from './sync/transport.js';
import { type AttachmentUploadOptions, readLastUploadPass, type UploadPassReport, type UploadSummary, uploadAttachments } from './sync/attachment-upload.js';
import { type ConflictFilter, type ConflictRow, listConflicts, markConflictSeen } from '../../db/queries/sync.js';
import { deleteDraft, deleteOperatorDrafts, readDraft, writeDraft } from '../../db/queries/drafts.js';
import { CoreError, storageError } from './errors.js';

export interface DeviceCoreOptions {
  /** The device database file. */
  path: string;
  keyStore: KeyStore;
  clock?: Clock;
  random?: Randomness;
  sessionPolicy?: Partial<SessionPolicy>;
  /** Encrypt the database with the key store's database key (default true). */
  encrypt?: boolean;
  migrationsFolder?: string;
  /** Bounds of background compaction and eviction (tests make them small). */
  maintenancePolicy?: Partial<MaintenancePolicy>;
}

/** What the sign-in screen says after sync signed out an operator the office deactivated. */
const ACCESS_WITHDRAWN_NOTICE = 'your access was withdrawn by the office; ask your supervisor';

/** Who an operator is, for the UI: never the PIN verifier. */
export type OperatorProfile = Pick<OperatorRow, 'operatorId' | 'displayName' | 'role'>;

export interface DeviceStatus {
  deviceId: string;
  devicePublicKey: string;
  session: SessionInfo | null;
  journal: { entries: number; lastSeq: number; head: string; checkpoints: number };
  outbox: { pending: number; acknowledged: number; failed: number };
  /** Background compaction and eviction, and whether the device holds what the office holds. */
  storage: { maintenance: MaintenanceDiagnostics; stateCheck: StateCheckDiagnostics };
}

/** How the state check reaches the office, and how it pulls what changed meanwhile. */
export interface StateCheckOptions {
  catchUp(): Promise<unknown>;
  schemaVersion?: number;
}

/**
 * The main-process core: everything the app does on the device, with no Electron in it. The
 * shell's IPC handlers and the dev host call these methods; tests drive it directly.
 */
export class DeviceCore {
  readonly sessions: SessionManager;
  readonly attachments: AttachmentStore;
  readonly deviceId: string;
  readonly #deviceSigner: Signer;
  readonly #clock: Clock;
  readonly #random: Randomness;
  readonly #pinPepper: Uint8Array;
  readonly #maintenancePolicy: MaintenancePolicy;
  #sessionNotice: string | null = null;
  /** Read once (every action asks, for the lock): an enrollment is made once, by `enroll`, and never rewritten. */
  #enrolledKind: DeviceKind | 'not-enrolled' | null = null;
  #maintaining: Promise<MaintenanceReport> | null = null;

  private constructor(
    readonly database: DeviceDatabase,
    deviceId: string,
    deviceSigner: Signer,
    clock: Clock,
    random: Randomness,
    policy: SessionPolicy,
    databaseKey: Uint8Array,
    pinPepper: Uint8Array,
    maintenancePolicy: MaintenancePolicy,
  ) {
    this.deviceId = deviceId;
    this.#deviceSigner = deviceSigner;
    this.#clock = clock;
    this.#random = random;
    this.#pinPepper = pinPepper;
    this.#maintenancePolicy = maintenancePolicy;
    this.sessions = new SessionManager({
      db: database.db,
      sqlite: database.sqlite,
      deviceId,
      deviceSigner,
      clock,
      random,
      policy,
      pinPepper,
      // Until enrolled, the stricter kiosk lock: the device may well be shared.
      deviceKind: () => {
        this.#enrolledKind ??= readEnrollment(database.db)?.kind ?? 'not-enrolled';
        return this.#enrolledKind === 'not-enrolled' ? 'kiosk' : this.#enrolledKind;
      },
    });
    this.attachments = new AttachmentStore({ db: database.db, sqlite: database.sqlite, databasePath: database.path, databaseKey, clock, random });
  }

  static open(options: DeviceCoreOptions): DeviceCore {
    const clock = options.clock ?? systemClock;
    const random = options.random ?? systemRandomness;
    const database = openDeviceDatabase({
      path: options.path,
      key: options.encrypt === false ? null : options.keyStore.databaseKey(),
      migrationsFolder: options.migrationsFolder,
    });
    const deviceSigner = createSigner(options.keyStore.deviceSeed(), 'tweetnacl');
    const publicKey = bytesToHex(deviceSigner.publicKey);
    let identity = database.db.select().from(device).where(eq(device.singleton, 1)).get();
    if (!identity) {
      identity = { singleton: 1, deviceId: randomId(random, 'dev'), publicKey, createdAt: clock.now(), compacting: 0 };
      database.db.insert(device).values(identity).run();
    } else if (identity.publicKey !== publicKey) {
      database.sqlite.close();
      throw new Error('the key store holds another device identity than this database was created with');
    }
    const policy = { ...DEFAULT_SESSION_POLICY, ...options.sessionPolicy };
    const core = new DeviceCore(database, identity.deviceId, deviceSigner, clock, random, policy, options.keyStore.databaseKey(), options.keyStore.pinPepper(), {
      ...DEFAULT_MAINTENANCE_POLICY,
      ...options.maintenancePolicy,
    });
    try {
      // Files a rebuilt database or an interrupted put left without rows get them back before any screen asks for them.
      core.attachments.reconcile();
    } catch {
      // An unreadable attachment directory must not keep the app from opening; garbage collection reconciles again.
    }
    return core;
  }

  get devicePublicKey(): Uint8Array {
    return this.#deviceSigner.publicKey;
  }

  signIn(badgeId: string, pin: string): SessionInfo {
    const session = this.sessions.signIn(badgeId, pin);
    this.#sessionNotice = null;
    return session;
  }

  /**
   * Why the last session ended, when the office ended it (the operator's access was withdrawn) and
   * nobody has signed in since; null otherwise. The sign-in screen shows it.
   */
  get sessionNotice(): string | null {
    return this.#sessionNotice;
  }

  signOut(): void {
    this.sessions.end('sign-out');
  }

  perform(input: unknown): ActionResult {
    return performAction(this.#writePath(), input);
  }

  #writePath() {
    const { db, sqlite } = this.database;
    return { db, sqlite, deviceId: this.deviceId, clock: this.#clock, random: this.#random, sessions: this.sessions };
  }

  /** Submits an inspection, completing the work order it was started from in the same transaction (inspection-submit.ts). */
  submitInspection(recordId: string, submittedAt: number): ActionResult[] {
    const inspection = this.getRecord('inspection', recordId);
    if (!inspection) throw new CoreError('unknown-record', 'no such inspection', 'recordId');
    const workOrderId = inspection.fields.workOrderId;
    const workOrder = typeof workOrderId === 'string' ? this.getRecord('workOrder', workOrderId) : null;
    return performActions(this.#writePath(), inspectionSubmitActions(inspection, workOrder, submittedAt));
  }

  /** Keeps a photo or signature, encrypted, under the SHA-256 of its bytes; actions then refer to it by that hash. */
  putAttachment(mimeType: AttachmentMimeType, data: Uint8Array): StoredAttachment {
    return this.attachments.put(mimeType, data);
  }

  readAttachment(sha256: string): AttachmentContent {
    return this.attachments.read(sha256);
  }

  /** Deletes attachment files the office has held for the grace window and nothing pending refers to. */
  collectAttachmentGarbage(): GarbageCollection {
    return this.attachments.collectGarbage();
  }

  /** Repair certifications from the office no driver has reviewed yet, each with its office signature checked. */
  repairsToReview(): RepairToReview[] {
    return repairsToReview(this.listRecords('repairCertification'), this.#officePublicKey());
  }

  /** The signed-in driver reviews a mechanic's certification: their own signed entry, sent to the office like any other. */
  reviewRepairs(recordId: string): ActionResult {
    const session = this.sessions.current;
    if (!session) throw new CoreError('not-signed-in', 'sign in to review repairs');
    const certification = this.getRecord('repairCertification', recordId);
    return this.perform(reviewAction(certification, this.#officePublicKey(), session.operatorId, this.#clock.now()));
  }

  #officePublicKey(): Uint8Array | null {
    const enrollment = readEnrollment(this.database.db);
    return enrollment ? hexToBytes(enrollment.serverPublicKey) : null;
  }

  getRecord(type: RecordType, id: string): StoredRecord | null {
    return readRecord(this.database.db, type, id);
  }

  listRecords(type: RecordType): StoredRecord[] {
    return listRecords(this.database.db, type);
  }

  /**
   * Records found by a unit, plate or container number within a time range, newest first and at
   * most `query.limit` of them (the Records screens). `keptSince`: records closed before it may have
   * left the device for the office (null while not enrolled: nothing leaves).
   */
  searchRecords(type: SearchableType, query: RecordQuery): { records: TimedRecord[]; more: boolean; keptSince: number | null } {
    return { ...searchRecords(this.database.db, type, query), keptSince: readEnrollment(this.database.db) ? this.#retentionStart() : null };
  }

  /** A record as the Records screens open it, with the records that correct it; null when the device does not hold it. */
  openRecord(type: SearchableType, id: string): { found: TimedRecord; corrections: TimedRecord[] } | null {
    const found = readTimedRecord(this.database.db, type, id);
    return found && { found, corrections: listCorrections(this.database.db, type, id) };
  }

  recordHistory(type: RecordType, id: string): JournalEntry[] {
    return listRecordHistory(this.database.db, type, id);
  }

  /** A session's device-signed certificate; null once compaction folded the session away. */
  sessionCertificate(sessionId: string): SignedCertificate | null {
    return findSessionCertificate(this.database.db, sessionId);
  }

  journal(range?: { fromSeq?: number; toSeq?: number; limit?: number }): JournalEntry[] {
    return listJournalEntries(this.database.db, range);
  }

  checkpoints(): SignedCheckpoint[] {
    return listCheckpoints(this.database.db);
  }

  status(): DeviceStatus {
    const { db } = this.database;
    const tip = readChainTip(db);
    return {
      deviceId: this.deviceId,
      devicePublicKey: bytesToHex(this.#deviceSigner.publicKey),
      session: this.sessions.current,
      journal: { entries: countJournalEntries(db), lastSeq: tip.seq, head: tip.head, checkpoints: listCheckpoints(db).length },
      outbox: countOutbox(db),
      storage: { maintenance: readMaintenanceDiagnostics(db), stateCheck: readStateCheckDiagnostics(db) },
    };
  }

  /**
   * Verifies this device's own chain, checkpoints included, with the shared verifier. Compaction
   * keeps only the newest checkpoints (the office holds what older ones covered and anchored the
   * chain past them), so the check starts where the oldest one kept does.
   */
  verifyJournal(): ChainVerdict {
    const checkpoints = this.checkpoints();
    const oldest = checkpoints[0]?.manifest;
    const start = oldest && oldest.fromSeq > 1 ? { lastSeq: oldest.fromSeq - 1, head: oldest.prevHead, session: null } : undefined;
    return verifyChain({ deviceId: this.deviceId, devicePublicKey: this.#deviceSigner.publicKey }, { checkpoints, entries: this.journal(), start });
  }

  operator(operatorId: string): OperatorProfile | null {
    const row = findOperatorById(this.database.db, operatorId);
    return row ? { operatorId: row.operatorId, displayName: row.displayName, role: row.role } : null;
  }

  /** Stores an operator with the verifier the office made of their PIN (the device keeps only a peppered form). */
  provisionOperator(operator: OperatorRow): void {
    storeOfficeOperator(this.database.db, operator, this.#pinPepper);
  }

  /** Records the office's acknowledgement of entries (the sync daemon calls this). */
  acknowledge(seqs: readonly number[]): void {
    markAcknowledged(this.database.db, seqs, this.#clock.now());
  }

  /** Registers this device with the office using an administrator's one-time token. */
  async enroll(options: EnrollOptions): Promise<EnrollmentInfo> {
    try {
      return await enrollDevice({ db: this.database.db, deviceId: this.deviceId, deviceSigner: this.#deviceSigner, clock: this.#clock }, options);
    } finally {
      this.#enrolledKind = null;
    }
  }

  enrollment(): EnrollmentInfo | null {
    const enrollment = readEnrollment(this.database.db);
    return enrollment ? publicEnrollment(enrollment) : null;
  }

  /** A sync client for this device over `transport` (the daemon drives it). */
  syncClient(transport: SyncTransport, options: Omit<SyncClientOptions, 'database' | 'deviceId' | 'clock' | 'transport' | 'pinPepper' | 'onOperatorRemoved'> = {}): SyncClient {
    return new SyncClient({
      ...options,
      database: this.database,
      deviceId: this.deviceId,
      clock: this.#clock,
      transport,
      pinPepper: this.#pinPepper,
      onOperatorRemoved: (operatorId) => this.#operatorRemoved(operatorId),
    });
  }

  /** The signed-in operator's unsaved form `form` as the screen last saved it, or null. */
  draft(form: string): string | null {
    return readDraft(this.database.db, this.#draftOwner(), form);
  }

  /** Keeps (or, with null, forgets) the signed-in operator's unsaved form `form`; no other operator can read it. */
  saveDraft(form: string, value: string | null): void {
    const operatorId = this.#draftOwner();
    try {
      if (value === null) deleteDraft(this.database.db, operatorId, form);
      else writeDraft(this.database.db, operatorId, form, value, this.#clock.now());
    } catch (error) {
      throw storageError(error);
    }
  }

  #draftOwner(): string {
    const session = this.sessions.current;
    if (!session) throw new CoreError('not-signed-in', 'sign in to keep unsaved forms');
    return session.operatorId;
  }

  /** A pull removed an operator the office deactivated: their drafts go, and their open session ends now, with a signed close. */
  #operatorRemoved(operatorId: string): void {
    deleteOperatorDrafts(this.database.db, operatorId);
    if (this.sessions.current?.operatorId !== operatorId) return;
    this.#sessionNotice = ACCESS_WITHDRAWN_NOTICE;
    this.sessions.end('operator-deactivated');
  }

  /** Sends the attachments the office has not confirmed yet (small ones whole, in batches; large ones in resumable chunks); confirmed ones start their grace window. */
  uploadAttachments(transport: SyncTransport & BinaryTransport, options: Pick<AttachmentUploadOptions, 'chunkBytes' | 'schemaVersion' | 'signal'> = {}): Promise<UploadSummary> {
    return uploadAttachments({ ...options, db: this.database.db, attachments: this.attachments, clock: this.#clock, transport });
  }

  /** Photos and signatures the office has yet to confirm, and how the last upload pass went. */
  uploads(): { waiting: number; lastPass: UploadPassReport | null } {
    const { db } = this.database;
    return { waiting: countUnstoredAttachments(db), lastPass: readLastUploadPass(db) };
  }

  /** Entries the office rejected, with its reasons: the failed list. */
  failedEntries(): FailedEntry[] {
    return listFailedEntries(this.database.db);
  }

  /** Performs a failed entry's operations again as a new action by the signed-in operator. */
  retryFailed(seq: number): ActionResult {
    const { db, sqlite } = this.database;
    return retryFailedEntry({ db, sqlite, clock: this.#clock, perform: (input) => this.perform(input) }, seq);
  }

  /** Gives up a failed entry with a signed audit entry; returns that entry's sequence number. */
  discardFailed(seq: number): number {
    const { db, sqlite } = this.database;
    return discardFailedEntry({ db, sqlite, deviceId: this.deviceId, clock: this.#clock, sessions: this.sessions }, seq);
  }

  /** What sync merged, sent to review or rejected: "what happened, what the server kept", newest first. */
  conflicts(options: ConflictFilter = {}): ConflictRow[] {
    return listConflicts(this.database.db, options);
  }

  markConflictSeen(id: number): boolean {
    return markConflictSeen(this.database.db, id, this.#clock.now());
  }

  compact(): SignedCheckpoint[] {
    return compactAll(this.#compactionDeps());
  }

  /**
   * One background run of compaction and eviction at a bounded cost (DeviceSync runs it after each
   * sync): entries acknowledged and anchored by the office's receipt are folded into checkpoints,
   * synced records closed before the role's window leave the device. A run already going is joined.
   */
  maintain(): Promise<MaintenanceReport> {
    this.#maintaining ??= this.#runMaintenance().finally(() => (this.#maintaining = null));
    return this.#maintaining;
  }

  async #runMaintenance(): Promise<MaintenanceReport> {
    try {
      return await maintain({
        ...this.#compactionDeps(),
        anchoredSeq: readAnchor(this.database.db)?.seq ?? 0,
        policy: this.#maintenancePolicy,
        yieldNow: () => new Promise((resolve) => setImmediate(resolve)),
      });
    } catch (error) {
      if (this.database.sqlite.open) noteMaintenanceFailure(this.database.db, error, this.#clock.now());
      throw error;
    }
  }

  /** Whether the state check should follow a maintenance run (it made a checkpoint, or the check is due anyway). */
  stateCheckDue(maintenance: MaintenanceReport): boolean {
    return stateCheckDue(readStateCheckDiagnostics(this.database.db), this.#clock.now(), maintenance.checkpoints > 0);
  }

  /**
   * Compares the state hash of the records held here with the office's hash of the same records;
   * on a difference, fetches the records concerned again. The outcome shows in `status().storage`.
   */
  checkState(transport: SyncTransport, options: StateCheckOptions): Promise<StateCheckReport> {
    return checkState({ ...this.#officeDeps(transport, options.schemaVersion), closedBefore: this.#retentionStart(), catchUp: options.catchUp });
  }

  /** Fetches records from the office (one evicted from the device, asked for again). */
  fetchRecords(transport: SyncTransport, refs: readonly RecordRef[], schemaVersion?: number): Promise<{ refetched: number; dropped: number }> {
    return fetchRecords(this.#officeDeps(transport, schemaVersion), refs);
  }

  #officeDeps(transport: SyncTransport, schemaVersion = CURRENT_SCHEMA_VERSION) {
    const { db, sqlite } = this.database;
    return { db, sqlite, clock: this.#clock, transport, enrollment: requireEnrollment(db), schemaVersion };
  }

  #compactionDeps() {
    const { db, sqlite } = this.database;
    return { db, sqlite, deviceId: this.deviceId, deviceSigner: this.#deviceSigner, clock: this.#clock, closedBefore: this.#retentionStart() };
  }

  /** Records closed before this are evicted once synced: the window of what the device is for. */
  #retentionStart(): number {
    const enrollment = readEnrollment(this.database.db);
    return enrollment ? Math.max(0, this.#clock.now() - RETENTION_WINDOW_MS[enrollment.kind]) : 0;
  }

  /** Ends the session with a signed close entry, zeroes the keys held in memory, closes the database. */
  close(): void {
    if (!this.database.sqlite.open) return;
    try {
      this.sessions.end('quit');
    } finally {
      this.#deviceSigner.destroy();
      this.attachments.close();
      this.database.sqlite.close();
    }
  }
}
