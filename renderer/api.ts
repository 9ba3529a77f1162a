import type { IpcError, IpcInput, IpcMethod, IpcOutput } from '../main/ipc/contract.js';
import { sentence } from './format.js';

/** A refusal from the core, with the field it is about when there is one. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
    /** A refused sign-in: tries left before the badge pauses, and how long it is paused. */
    readonly retry?: IpcError['retry'],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type SessionEndListener = (message: string) => void;
const sessionEndListeners = new Set<SessionEndListener>();

/** Tells the app when a call finds the session gone (idle lock), so it can show the sign-in. */
export function onSessionEnded(listener: SessionEndListener): () => void {
  sessionEndListeners.add(listener);
  return () => sessionEndListeners.delete(listener);
}

type ChangeListener = () => void;
const changeListeners = new Set<ChangeListener>();
/** The calls that journal something: each leaves an entry waiting to be sent (a sign-in or -out journals its session). */
const JOURNALING: ReadonlySet<IpcMethod> = new Set<IpcMethod>(['session.signIn', 'session.signOut', 'records.perform', 'inspections.submit', 'repairs.review', 'failed.retry', 'failed.discard']);

/**
 * Tells a listener each time an action was saved on the device (a new entry waiting to be sent), so
 * the sync badge counts it at once rather than at its next poll.
 */
export function onLocalChange(listener: ChangeListener): () => void {
  changeListeners.add(listener);
  return () => changeListeners.delete(listener);
}

export async function call<M extends IpcMethod>(method: M, input: IpcInput<M>): Promise<IpcOutput<M>> {
  const result = await window.waypost.invoke(method, input);
  if (result.ok) {
    if (JOURNALING.has(method)) for (const listener of changeListeners) listener();
    return result.value;
  }
  const { code, message, field, retry } = result.error;
  if (code === 'not-signed-in' && method !== 'session.signIn') {
    for (const listener of sessionEndListeners) listener(sentence(message));
  }
  throw new ApiError(code, sentence(message), field, retry);
}
