import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { SyncStatusView } from '../../main/ipc/contract.js';
import { call, onLocalChange } from '../api.js';
import { errorMessage } from '../messages.js';

/**
 * The device's sync status, shared by the badge, the sync screen and every screen that shows
 * records: a screen loads again when `revision` moves, which is how an office edit that arrived
 * by live notification shows up without anyone pressing a button.
 */
interface SyncContextValue {
  status: SyncStatusView | null;
  /** Asks the core for the status now (after retrying or discarding a change, say). */
  refresh(): Promise<void>;
  /** The operator's "Sync now"; resolves once that sync is over, with an error message if the call failed. */
  syncNow(): Promise<string | null>;
  requesting: boolean;
}

/** The status is a local call; once a second keeps the badge and the screens current. */
const POLL_MS = 1_000;

const SyncContext = createContext<SyncContextValue>({
  status: null,
  refresh: async () => undefined,
  syncNow: async () => null,
  requesting: false,
});

export function SyncStatusProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<SyncStatusView | null>(null);
  const [requesting, setRequesting] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const next = await call('sync.status', {});
      // The same status again re-renders nothing.
      setStatus((previous) => (JSON.stringify(previous) === JSON.stringify(next) ? previous : next));
    } catch {
      // The badge keeps the last status it had; the next poll tries again.
    }
  }, []);

  // An action saved on the device shows in the waiting count at once.
  useEffect(() => onLocalChange(() => void refresh()), [refresh]);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      await refresh();
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [refresh]);

  const syncNow = useCallback(async () => {
    setRequesting(true);
    try {
      setStatus(await call('sync.now', {}));
      return null;
    } catch (failure) {
      return errorMessage(failure);
    } finally {
      setRequesting(false);
    }
  }, []);

  const value = useMemo(() => ({ status, refresh, syncNow, requesting }), [status, refresh, syncNow, requesting]);
  return <SyncContext.Provider value={value}>{children}</SyncContext.Provider>;
}

export function useSync(): SyncContextValue {
  return useContext(SyncContext);
}

/** Changes whenever sync changed the data on the device: use it as an effect dependency to reload. */
export function useSyncRevision(): number {
  return useSync().status?.revision ?? 0;
}
