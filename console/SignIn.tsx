import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { z } from 'zod';
import { officeDirectorySchema } from '../protocol/wire/dispatch.js';
import { errorMessage, request, setCredentials } from './api.js';

/** What the console needs from a sign-in answer: the session's CSRF token (the cookie carries the rest). */
const signedInSchema = z.looseObject({ csrfToken: z.string().nullable() });

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
      const session = await request('POST', '/v1/console/sign-in', signedInSchema, { body: { email, password } });
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

/** Ends the console session at the office (a token is only forgotten here). */
export async function signOut(): Promise<void> {
  try {
    await request('POST', '/v1/console/sign-out', z.unknown(), { body: {} });
  } catch {
    // Signed out here whatever the office answers: the session ends at its expiry at the latest.
  }
  setCredentials(null);
}
