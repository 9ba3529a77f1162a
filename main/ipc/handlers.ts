import type { z } from 'zod';
import { SEED_CHECKLIST_TEMPLATES, type ChecklistTemplate } from '../../protocol/checklists.js';
import type { DeviceCore } from '../core/device-core.js';
import type { DeviceSync } from '../core/sync/device-sync.js';
import { CoreError } from '../core/errors.js';
import { type SessionInfo, SignInRefused } from '../core/sessions.js';
import { workOrderDoneCautions } from '../core/work-order-done.js';
import { deviceReceipt } from '../receipts/device-receipt.js';
import { plainIssue } from '../../protocol/text.js';
import {
  ipcContract,
  type IpcError,
  type IpcMethod,
  type IpcOutput,
  type IpcParsedInput,
  type IpcResult,
  type SessionView,
} from './contract.js';
import { conflictView, failedEntryView, type NamingContext, syncStatusView } from './sync-views.js';
import { recordDetailView, recordHistoryView, recordRowView, type RecordViewContext } from './record-views.js';
import { type RecordType, recordTypeSpec } from '../../protocol/records/index.js';

export interface IpcHandlerOptions {
  /** The site stamped on records until the office enrolls the device (which assigns the real one). */
  unenrolledSiteId: string;
  /** Checklist templates in force (the seed ones until the office syncs its own). */
  templates?: () => readonly ChecklistTemplate[];
  /** Where unexpected failures are reported; the renderer only gets a safe message. */
  logError?: (message: string, error: unknown) => void;
  /** The device's sync, once it runs (enrolled, office known); null or absent while it does not. */
  sync?: () => DeviceSync | null;
  /** Told once `app.close` is allowed: the shell lets the window close and quits. */
  onCloseApp?: () => void;
}

/** One renderer call: never throws, always answers with an IpcResult. */
export type IpcHandler = (method: unknown, input: unknown) => Promise<IpcResult>;

type Implementations = { [M in IpcMethod]: (input: IpcParsedInput<M>) => IpcOutput<M> | Promise<IpcOutput<M>> };

/** Calls the app makes on a timer: they are not the operator using the app, so the idle lock keeps counting. */
const BACKGROUND_METHODS: ReadonlySet<IpcMethod> = new Set(['session.current', 'sync.status']);

const MAX_MESSAGE_LENGTH = 300;
const INTERNAL_ERROR_MESSAGE = 'Something went wrong inside Waypost and the request was not completed. Try again; if it keeps happening, restart the app.';

/**
 * The main-process side of the IPC contract, shared by the Electron shell and the dev host: it
 * checks the method name and validates the input against the contract before the core sees it,
 * and turns every failure into a clear error result instead of an exception.
 */
export function createIpcHandler(core: DeviceCore, options: IpcHandlerOptions): IpcHandler {
  const implementations = bindImplementations(core, options);
  const logError = options.logError ?? ((message, error) => console.error(message, error));

  return async (method, input) => {
    if (typeof method !== 'string' || !Object.hasOwn(ipcContract, method)) {
      return failure({ code: 'unknown-method', message: truncate(`unknown method ${JSON.stringify(method) ?? String(method)}`) });
    }
    const name = method as IpcMethod;
    const parsed = ipcContract[name].input.safeParse(input);
    if (!parsed.success) return failure(describeInvalidInput(parsed.error, input));
    try {
      core.sessions.lockIfIdle();
      if (!BACKGROUND_METHODS.has(name)) core.sessions.noteActivity();
      // The implementation for `name` takes exactly what `name`'s schema just produced.
      const run = implementations[name] as (input: unknown) => unknown;
      return { ok: true, value: await run(parsed.data) };
    } catch (error) {
      if (error instanceof CoreError) {
        // The renderer shows a not-signed-in message on the sign-in screen: say why when the office ended the session.
        const message = (error.code === 'not-signed-in' && core.sessionNotice) || error.message;
        return failure({
          code: error.code,
          message: truncate(message),
          ...(error.field ? { field: error.field } : {}),
          ...(error instanceof SignInRefused ? { retry: error.retry } : {}),
        });
      }
      logError(`IPC ${name} failed unexpectedly`, error);
      return failure({ code: 'internal', message: INTERNAL_ERROR_MESSAGE });
    }
  };
}

function bindImplementations(core: DeviceCore, options: IpcHandlerOptions): Implementations {
  const templates = options.templates ?? (() => SEED_CHECKLIST_TEMPLATES);
  const sessionView = (session: SessionInfo): SessionView => {
    const operator = core.operator(session.operatorId);
    const lock = core.sessions.lockCountdown();
    if (!operator || !lock) throw new Error(`the operator of session ${session.sessionId} is not provisioned, or the session is not open`);
    return { ...session, displayName: operator.displayName, role: operator.role, lock };
  };
  const requireSignedIn = (toDo = 'see records'): SessionInfo => {
    const session = core.sessions.current;
    if (!session) throw new CoreError('not-signed-in', `sign in to ${toDo}`);
    return session;
  };
  const roleOf = (session: SessionInfo) => core.operator(session.operatorId)?.role ?? null;
  /** A shared kiosk's inbox is per operator: each sees and marks seen only the items of their own changes. */
  const ownConflicts = (unseenOnly?: boolean) => core.conflicts({ unseenOnly, operatorId: requireSignedIn('see the conflict inbox').operatorId });
  /** A supervisor sees everyone's, to follow up; marking seen stays with whoever made the change. */
  const visibleConflicts = (session: SessionInfo, unseenOnly?: boolean) =>
    core.conflicts(roleOf(session) === 'supervisor' ? { unseenOnly } : { unseenOnly, operatorId: session.operatorId });
  const sync = options.sync ?? (() => null);
  const naming: NamingContext = {
    record: (type, id) => (recordTypeSpec(type) ? (core.getRecord(type as RecordType, id)?.fields ?? null) : null),
    get templates() {
      return templates();
    },
  };
  /** Made for each call: what it knows of operators, checklists and rejected changes is as of that call. */
  const recordViews = (): RecordViewContext => ({
    record: naming.record,
    templates: templates(),
    operatorName: (operatorId) => core.operator(operatorId)?.displayName ?? null,
    rejected: new Set(core.failedEntries().map((entry) => entry.recordId)),
  });

  return {
    'session.signIn': ({ badgeId, pin }) => sessionView(core.signIn(badgeId, pin)),
    'session.signOut': () => {
      core.signOut();
      return null;
    },
    'session.current': () => {
      const session = core.sessions.current;
      // Refused rather than null, so the renderer learns why (api.ts onSessionEnded) instead of assuming the idle lock.
      if (!session && core.sessionNotice) throw new CoreError('not-signed-in', core.sessionNotice);
      return session && sessionView(session);
    },
    // The call itself is the activity (bindImplementations' caller notes it).
    'session.keepAlive': () => sessionView(requireSignedIn('stay signed in')),
    'drafts.get': ({ form }) => core.draft(form),
    'drafts.put': ({ form, value }) => {
      core.saveDraft(form, value);
      return null;
    },
    'records.perform': (action) => core.perform(action),
    'records.list': ({ recordType }) => {
      requireSignedIn();
      return core.listRecords(recordType);
    },
    'records.get': ({ recordType, recordId }) => {
      requireSignedIn();
      return core.getRecord(recordType, recordId);
    },
    'records.history': ({ recordType, recordId }) => {
      requireSignedIn();
      return recordHistoryView(core, recordType, recordId, recordViews());
    },
    'records.search': ({ recordType, text, from, to, limit }) => {
      requireSignedIn();
      const { records, more, keptSince } = core.searchRecords(recordType, { text, from, to, limit });
      const context = recordViews();
      return { rows: records.map((found) => recordRowView(recordType, found, context)), more, keptSince };
    },
    'records.open': ({ recordType, recordId }) => {
      requireSignedIn();
      const opened = core.openRecord(recordType, recordId);
      return opened && recordDetailView(recordType, opened, recordViews());
    },
    'inspections.submit': ({ recordId, submittedAt }) => core.submitInspection(recordId, submittedAt),
    'workOrders.doneCautions': ({ recordId }) => {
      requireSignedIn();
      return workOrderDoneCautions(recordId, core.listRecords('inspection'), core.listRecords('repairCertification'));
    },
    'repairs.toReview': () => {
      requireSignedIn();
      return core.repairsToReview();
    },
    'repairs.review': ({ recordId }) => core.reviewRepairs(recordId),
    'receipts.pdf': async ({ recordType, recordId }) => {
      requireSignedIn('print receipts');
      const { fileName, pdf } = await deviceReceipt(core, recordType, recordId, { templates: templates(), site: core.enrollment()?.siteId ?? options.unenrolledSiteId });
      return { fileName, pdfBase64: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).toString('base64') };
    },
    'device.status': () => {
      const status = core.status();
      const enrollment = core.enrollment();
      return {
        ...status,
        siteId: enrollment?.siteId ?? options.unenrolledSiteId,
        enrollment: enrollment && { organisationId: enrollment.organisationId, siteId: enrollment.siteId, kind: enrollment.kind, enrolledAt: enrollment.enrolledAt },
        session: status.session && sessionView(status.session),
      };
    },
    'journal.verify': () => {
      const verdict = core.verifyJournal();
      if (verdict.ok) return { ok: true, entriesVerified: verdict.entriesVerified, lastSeq: verdict.state.lastSeq, head: verdict.state.head };
      const { code, seq, message } = verdict.failure;
      return { ok: false, entriesVerified: verdict.entriesVerified, failure: { code, seq, message } };
    },
    'templates.list': () => structuredClone([...templates()]),
    'attachments.put': ({ mimeType, dataBase64 }) => {
      requireSignedIn('attach photos or sign');
      return core.putAttachment(mimeType, Buffer.from(dataBase64, 'base64'));
    },
    'attachments.get': ({ sha256 }) => {
      requireSignedIn('see photos and signatures');
      const { mimeType, data } = core.readAttachment(sha256);
      return { mimeType, dataBase64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
    },
    'sync.status': () => syncStatusView(core, sync()?.status() ?? null),
    'sync.now': async () => {
      requireSignedIn('sync');
      const running = sync();
      if (!running) {
        const why = core.enrollment() ? 'this device does not know its office\'s address' : 'this device is not enrolled with an office yet';
        throw new CoreError('sync-unavailable', `cannot sync: ${why}; ask an administrator`);
      }
      return syncStatusView(core, await running.syncNow());
    },
    'conflicts.list': ({ unseenOnly }) => {
      const session = requireSignedIn('see the conflict inbox');
      return visibleConflicts(session, unseenOnly).map((row) => conflictView(row, session.operatorId, naming));
    },
    'conflicts.markSeen': ({ id }) => {
      if (!ownConflicts().some((conflict) => conflict.id === id)) throw new CoreError('invalid-input', `there is no conflict ${id} in your inbox`, 'id');
      return { marked: core.markConflictSeen(id) };
    },
    'app.close': () => {
      const session = requireSignedIn('close Waypost');
      if (core.enrollment()?.kind === 'kiosk' && roleOf(session) !== 'supervisor') {
        throw new CoreError('not-allowed', 'only a supervisor can close Waypost on a gate kiosk: sign in with a supervisor badge');
      }
      // Signed out first: the journal shows who closed it and when.
      core.sessions.end('sign-out');
      options.onCloseApp?.();
      return { closing: true };
    },
    'failed.list': () => {
      requireSignedIn('see changes the office rejected');
      return core.failedEntries().map((entry) => failedEntryView(entry, core.operator(entry.operatorId)?.displayName ?? null, naming));
    },
    'failed.retry': ({ seq }) => core.retryFailed(seq),
    'failed.discard': ({ seq }) => ({ discardSeq: core.discardFailed(seq) }),
  };
}

/**
 * An input the contract refuses, said plainly and tied to the field the screen shows: a record
 * action's `ops.2.member` is about the field that operation writes.
 */
function describeInvalidInput(error: z.ZodError, input: unknown): IpcError {
  const issue = error.issues[0];
  const path = issue?.path.map(String) ?? [];
  const field = path[0] === 'ops' ? operationField(input, Number(path[1])) : path.length === 1 ? path[0] : undefined;
  const message = truncate(`${field ?? (path.join('.') || 'the input')}: ${plainIssue(issue)}`);
  return field ? { code: 'invalid-input', message, field } : { code: 'invalid-input', message };
}

function operationField(input: unknown, index: number): string | undefined {
  const ops = (input as { ops?: unknown } | null)?.ops;
  const field = Array.isArray(ops) ? (ops[index] as { field?: unknown } | undefined)?.field : undefined;
  return typeof field === 'string' ? field : undefined;
}

function truncate(text: string): string {
  return text.length <= MAX_MESSAGE_LENGTH ? text : `${text.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

function failure(error: IpcError): IpcResult<never> {
  return { ok: false, error };
}
