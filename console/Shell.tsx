import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Outlet } from '@tanstack/react-router';
import { createContext, useContext, useEffect, useState } from 'react';
import { OFFICE_ACCESS, type OfficeCapability } from '../protocol/office-access.js';
import type { OfficeDirectory } from '../protocol/wire/dispatch.js';
import { currentCredentials, errorMessage, onSignedOut, resumeSession, setCredentials } from './api.js';
import { useLiveOffice } from './live.js';
import { directoryQuery, reviewQueueQuery } from './queries.js';
import { SignIn, signOut } from './SignIn.js';

type Me = OfficeDirectory['user'];
const MeContext = createContext<Me | null>(null);

/** Whether the office would let `role` do it (protocol/office-access.ts): the console hides what would be refused. */
export function allowed(role: string, capability: OfficeCapability): boolean {
  return (OFFICE_ACCESS[capability] as readonly string[]).includes(role);
}

/** The signed-in office user; screens render only inside a signed-in shell. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside the signed-in console');
  return me;
}

const LIVE_LABEL = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' } as const;

/** Sign-in until the office knows who is asking; then the navigation, the live channel and the screen. */
export function Shell() {
  const queryClient = useQueryClient();
  const [signedIn, setSignedIn] = useState<boolean | null>(currentCredentials() !== null ? true : null);
  useEffect(() => {
    if (signedIn === null) void resumeSession().then(setSignedIn);
  }, [signedIn]);
  useEffect(
    () =>
      onSignedOut(() => {
        setCredentials(null);
        queryClient.clear();
        setSignedIn(false);
      }),
    [queryClient],
  );
  const directory = useQuery({ ...directoryQuery, enabled: signedIn === true });
  const live = useLiveOffice(queryClient, signedIn === true && directory.isSuccess);
  const readsQueue = directory.isSuccess && allowed(directory.data.user.role, 'readReviewQueue');
  const openItems = useQuery({ ...reviewQueueQuery({}), enabled: signedIn === true && readsQueue });

  if (signedIn === null) return <p className="page-message">Loading the console…</p>;
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  if (directory.isPending) return <p className="page-message">Loading the console…</p>;
  if (directory.isError) {
    return (
      <div className="page-message" role="alert">
        <p>{errorMessage(directory.error)}</p>
        <button type="button" onClick={() => void directory.refetch()}>
          Try again
        </button>
      </div>
    );
  }
  const me = directory.data.user;
  const waiting = openItems.data?.items.length;
  return (
    <MeContext.Provider value={me}>
      <header className="topbar">
        <span className="brand">Waypost office</span>
        <nav aria-label="Console">
          <Link to="/dispatch" activeProps={{ 'aria-current': 'page' }}>
            Dispatch
          </Link>
          {readsQueue ? (
            <Link to="/review" activeProps={{ 'aria-current': 'page' }}>
              Review{waiting ? <span className="count" aria-label={`${waiting} waiting`}>{waiting}</span> : null}
            </Link>
          ) : null}
          {allowed(me.role, 'readMaintenance') ? (
            <Link to="/maintenance" activeProps={{ 'aria-current': 'page' }}>
              Maintenance
            </Link>
          ) : null}
          {allowed(me.role, 'readAudit') ? (
            <Link to="/audit" activeProps={{ 'aria-current': 'page' }}>
              Audit
            </Link>
          ) : null}
          {allowed(me.role, 'administer') ? (
            <Link to="/fleet" activeProps={{ 'aria-current': 'page' }}>
              Fleet
            </Link>
          ) : null}
        </nav>
        <span className={`live live-${live}`} role="status" aria-label={`Live updates: ${LIVE_LABEL[live]}`}>
          {LIVE_LABEL[live]}
        </span>
        <span className="who">
          {me.name} <span className="muted">({me.role})</span>
        </span>
        <button
          type="button"
          className="secondary"
          onClick={async () => {
            await signOut();
            queryClient.clear();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <Outlet />
      </main>
    </MeContext.Provider>
  );
}
