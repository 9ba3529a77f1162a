import { useCallback, useEffect, useState } from 'react';
import type { OperatorRole, SessionView } from '../main/ipc/contract.js';
import { ApiError, call, onSessionEnded } from './api.js';
import { countdown, errorMessage } from './messages.js';
import { Alert, useTicking } from './components.js';
import { DevicePanel } from './device/DevicePanel.js';
import { GateScreen } from './gate/GateScreen.js';
import { InspectionScreen } from './inspection/InspectionScreen.js';
import { InterchangeScreen } from './interchange/InterchangeScreen.js';
import { RecordsScreen } from './records/RecordsScreen.js';
import type { InspectionFor } from './inspection/StartInspection.js';
import { SignIn } from './SignIn.js';
import { DisplayMenu } from './ThemeControls.js';
import { ForcedUpdate } from './sync/ForcedUpdate.js';
import { SyncBadge } from './sync/SyncBadge.js';
import { SyncScreen } from './sync/SyncScreen.js';
import { SyncStatusProvider, useSync } from './sync/SyncStatus.js';
import './sync/sync.css';
import { WorkOrdersScreen } from './work-orders/WorkOrdersScreen.js';

type Tab = 'work-orders' | 'gate' | 'inspection' | 'interchange' | 'records' | 'sync' | 'device';

const TABS: Record<OperatorRole, { id: Tab; label: string }[]> = {
  'gate-clerk': [
    { id: 'gate', label: 'Gate' },
    { id: 'interchange', label: 'Interchange' },
    { id: 'records', label: 'Records' },
    { id: 'sync', label: 'Sync' },
    { id: 'device', label: 'Device' },
  ],
  inspector: [
    { id: 'inspection', label: 'Inspections' },
    { id: 'work-orders', label: 'Work orders' },
    { id: 'interchange', label: 'Interchange' },
    { id: 'records', label: 'Records' },
    { id: 'sync', label: 'Sync' },
    { id: 'device', label: 'Device' },
  ],
  supervisor: [
    { id: 'work-orders', label: 'Work orders' },
    { id: 'gate', label: 'Gate' },
    { id: 'inspection', label: 'Inspections' },
    { id: 'interchange', label: 'Interchange' },
    { id: 'records', label: 'Records' },
    { id: 'sync', label: 'Sync' },
    { id: 'device', label: 'Device' },
  ],
};

const ROLE_LABELS: Record<OperatorRole, string> = { 'gate-clerk': 'Gate clerk', inspector: 'Inspector', supervisor: 'Supervisor' };

/** How often the screen asks the core when the session locks (it may have been used from elsewhere, or locked). */
const SESSION_CHECK_MS = 5_000;
/** Typing and tapping tell the core the operator is there, at most this often. */
const ACTIVITY_PING_MS = 20_000;
const KEPT = 'Anything you had not saved is kept for you.';
/** While the core process starts again after a crash (it takes about a second), the first screen asks this often. */
const RESTART_RETRY_MS = 1_000;

export function App() {
  return (
    <SyncStatusProvider>
      <Screens />
    </SyncStatusProvider>
  );
}

function Screens() {
  const { status } = useSync();
  // undefined: not known yet; null: nobody signed in.
  const [session, setSession] = useState<SessionView | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const [startupError, setStartupError] = useState<string | null>(null);
  const [restarting, setRestarting] = useState<string | null>(null);

  useEffect(() => {
    let retry: ReturnType<typeof setTimeout> | undefined;
    let unmounted = false;
    const load = () =>
      call('session.current', {}).then(
        (current) => {
          if (unmounted) return;
          setRestarting(null);
          setSession(current);
        },
        (error: unknown) => {
          if (unmounted) return;
          // The core process is starting again after a crash: say so, and ask again rather than stop at an error.
          if (error instanceof ApiError && error.code === 'core-restarting') {
            setRestarting(error.message);
            retry = setTimeout(load, RESTART_RETRY_MS);
            return;
          }
          // The office ended the session: onSessionEnded below shows the sign-in with the reason.
          if (!(error instanceof ApiError && error.code === 'not-signed-in')) setStartupError(errorMessage(error));
        },
      );
    load();
    const unsubscribe = onSessionEnded((message) => {
      setSession(null);
      setNotice(message);
    });
    return () => {
      unmounted = true;
      clearTimeout(retry);
      unsubscribe();
    };
  }, []);

  const signedIn = session ? session.sessionId : null;
  const lockReason = session?.lock.reason;
  useEffect(() => {
    if (!signedIn) return;
    const timer = setInterval(() => {
      call('session.current', {}).then(
        (current) => {
          if (current) return setSession(current);
          setSession(null);
          setNotice(lockReason === 'limit' ? `Your session reached its time limit. Sign in again. ${KEPT}` : `The session locked after being idle. Sign in again. ${KEPT}`);
        },
        () => undefined,
      );
    }, SESSION_CHECK_MS);
    return () => clearInterval(timer);
  }, [signedIn, lockReason]);

  if (startupError) return <Alert tone="error">{startupError}</Alert>;
  if (status?.updateRequired) return <ForcedUpdate status={status} />;
  if (session === undefined) return <p className="muted loading">{restarting ?? 'Starting…'}</p>;
  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(signedIn) => {
          setNotice(null);
          setSession(signedIn);
        }}
      />
    );
  }
  return (
    <Workspace
      key={session.operatorId}
      session={session}
      onSession={setSession}
      onSignedOut={() => {
        setNotice('Signed out.');
        setSession(null);
      }}
    />
  );
}

function Workspace({ session, onSession, onSignedOut }: { session: SessionView; onSession: (session: SessionView) => void; onSignedOut: () => void }) {
  const tabs = TABS[session.role];
  const [tab, setTab] = useState<Tab>(tabs[0]!.id);
  // The work order an inspection is being started from (Work orders → "Inspect"), until it is started.
  const [inspectFor, setInspectFor] = useState<InspectionFor | null>(null);
  // The submitted gate event being corrected from Records → "Correct", until the correction is saved or given up.
  const [correctGateEvent, setCorrectGateEvent] = useState<string | null>(null);
  const { status } = useSync();
  // What waits for the operator on the sync screen.
  const syncAttention = status ? status.failed + status.unseenConflicts : 0;
  const [siteId, setSiteId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    call('device.status', {}).then(
      (status) => setSiteId(status.siteId),
      (failure: unknown) => setError(errorMessage(failure)),
    );
  }, []);

  async function signOut() {
    try {
      await call('session.signOut', {});
      onSignedOut();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  return (
    <div className="workspace">
      <LockWarning session={session} onSession={onSession} />
      <header className="masthead">
        <div className="topbar">
          <div className="brand">
            <img className="brand__mark" src="./icon.svg" alt="" />
            <span className="brand__name">Waypost</span>
          </div>
          <nav className="tabs" aria-label="Screens">
            {tabs.map(({ id, label }) => (
              <button key={id} type="button" className={`tabs__tab${tab === id ? ' tabs__tab--on' : ''}`} aria-current={tab === id ? 'page' : undefined} onClick={() => setTab(id)}>
                {label}
                {id === 'sync' && syncAttention > 0 ? (
                  <>
                    {' '}
                    <span className="count-pill tabs__count">
                      {syncAttention}
                      <span className="visually-hidden"> to look at</span>
                    </span>
                  </>
                ) : null}
              </button>
            ))}
          </nav>
          <div className="topbar__operator">
            <span className="topbar__who">
              <strong className="topbar__name">{session.displayName}</strong>
              <span className="muted">
                {ROLE_LABELS[session.role]}
                {siteId ? <span className="topbar__site"> · {siteId}</span> : null}
              </span>
            </span>
            <DisplayMenu />
            <button type="button" className="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </div>
        <SyncBadge />
      </header>
      <main className="content">
        {error ? <Alert tone="error">{error}</Alert> : null}
        {tab === 'work-orders' ? (
          <WorkOrdersScreen
            operatorId={session.operatorId}
            onInspect={(order) => {
              setInspectFor(order);
              setTab('inspection');
            }}
          />
        ) : null}
        {tab === 'gate' && siteId ? <GateScreen siteId={siteId} correctId={correctGateEvent} onCorrectDone={() => setCorrectGateEvent(null)} /> : null}
        {tab === 'inspection' ? <InspectionScreen startFor={inspectFor} onStartedFor={() => setInspectFor(null)} /> : null}
        {tab === 'interchange' ? <InterchangeScreen /> : null}
        {tab === 'records' ? (
          <RecordsScreen
            role={session.role}
            // Only the gate screen corrects records today: whoever has it can correct from here.
            corrections={
              tabs.some(({ id }) => id === 'gate')
                ? {
                    gateEvent: (recordId) => {
                      setCorrectGateEvent(recordId);
                      setTab('gate');
                    },
                  }
                : {}
            }
          />
        ) : null}
        {tab === 'sync' ? <SyncScreen /> : null}
        {tab === 'device' ? <DevicePanel role={session.role} /> : null}
      </main>
    </div>
  );
}

/**
 * Tells the core the operator is there while they type or tap (a half-typed form makes no calls),
 * and counts down the last minute before the session locks, with a way to stay.
 */
function LockWarning({ session, onSession }: { session: SessionView; onSession: (session: SessionView) => void }) {
  const [lockAt, setLockAt] = useState(() => Date.now() + session.lock.inMs);
  const warning = lockAt - Date.now() <= session.lock.warnMs;
  const now = useTicking(warning);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => setLockAt(Date.now() + session.lock.inMs), [session]);

  const keepAlive = useCallback(async () => {
    try {
      onSession(await call('session.keepAlive', {}));
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [onSession]);

  useEffect(() => {
    let last = Date.now();
    const active = () => {
      if (Date.now() - last < ACTIVITY_PING_MS) return;
      last = Date.now();
      void keepAlive();
    };
    window.addEventListener('keydown', active, true);
    window.addEventListener('pointerdown', active, true);
    return () => {
      window.removeEventListener('keydown', active, true);
      window.removeEventListener('pointerdown', active, true);
    };
  }, [keepAlive]);

  if (!warning) return null;
  const left = countdown(lockAt - now);
  return (
    <div className="lock-warning" role="alert">
      {session.lock.reason === 'idle' ? (
        <>
          <p>
            <strong>Locking in {left}</strong> because Waypost has not been used for a while. {KEPT}
          </p>
          <button type="button" className="button button--primary" onClick={() => void keepAlive()}>
            Stay signed in
          </button>
        </>
      ) : (
        <p>
          <strong>Your session ends in {left}:</strong> every session has a time limit. {KEPT} Sign in again to go on.
        </p>
      )}
      {error ? <p>{error}</p> : null}
    </div>
  );
}
