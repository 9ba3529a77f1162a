import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { consoleSessionSchema, signedOutSchema } from '../protocol/wire/console.js';
import { officeDirectorySchema } from '../protocol/wire/dispatch.js';
import { currentCredentials, errorMessage, request, setCredentials } from './api.js';

/**
 * Office users sign in with their email and password (a console session); an office API token
 * signs in too, for setups without passwords.
 */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const withPassword = useMutation({
    mutationFn: async () => {
      const session = await request('POST', '/v1/console/sign-in', consoleSessionSchema, { body: { email, password } });
      setCredentials({ kind: 'session', csrfToken: session.csrfToken });
    },
    onSuccess: onSignedIn,
  });
  const withToken = useMutation({
    mutationFn: async () => {
      setCredentials({ kind: 'token', token: token.trim() });
      try {
        await request('GET', '/v1/office/directory', officeDirectorySchema);
      } catch (error) {
        setCredentials(null);
        throw error;
      }
    },
    onSuccess: onSignedIn,
  });
  const submit = (mutation: { mutate: () => void }) => (event: FormEvent) => {
    event.preventDefault();
    mutation.mutate();
  };
  return (
    <main className="sign-in">
      <h1>Waypost office</h1>
      <form onSubmit={submit(withPassword)} aria-label="Sign in">
        <h2>Sign in</h2>
        <label>
          Email
          <input type="email" autoComplete="username" required value={email} onChange={(event) => setEmail(event.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
        </label>
        {withPassword.isError ? <p role="alert" className="error">{errorMessage(withPassword.error)}</p> : null}
        <button type="submit" disabled={withPassword.isPending}>
          {withPassword.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <details>
        <summary>Sign in with an office API token</summary>
        <form onSubmit={submit(withToken)} aria-label="Sign in with an API token">
          <label>
            Office API token
            <input type="password" autoComplete="off" required value={token} onChange={(event) => setToken(event.target.value)} />
          </label>
          {withToken.isError ? <p role="alert" className="error">{errorMessage(withToken.error)}</p> : null}
          <button type="submit" disabled={withToken.isPending}>
            Use token
          </button>
        </form>
      </details>
    </main>
  );
}

/** Ends the console session at the office (an API token is only forgotten by this tab). */
export async function signOut(): Promise<void> {
  if (currentCredentials()?.kind === 'session') {
    try {
      await request('POST', '/v1/console/sign-out', signedOutSchema, { body: {} });
    } catch {
      // Signed out here whatever the office answers: the session ends at its expiry at the latest.
    }
  }
  setCredentials(null);
}
