import { useRef, useState, type FormEvent } from 'react';
import type { SessionView } from '../main/ipc/contract.js';
import { call } from './api.js';
import { Alert, TextField, useTicking } from './components.js';
import { countdown, signInRefusal, type SignInRefusal } from './messages.js';
import { ThemeChoice } from './ThemeControls.js';

interface Props {
  /** Why the sign-in screen is showing, e.g. the session locked when idle. */
  notice: string | null;
  onSignedIn: (session: SessionView) => void;
}

export function SignIn({ notice, onSignedIn }: Props) {
  const [badgeId, setBadgeId] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState<SignInRefusal | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const now = useTicking(error?.pausedUntil != null);

  async function signIn(event: FormEvent) {
    event.preventDefault();
    if (!badgeId.trim() || !pin) {
      setError({ message: !badgeId.trim() ? 'Enter your badge ID.' : 'Enter your PIN.', pausedUntil: null });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await call('session.signIn', { badgeId: badgeId.trim(), pin }));
    } catch (failure) {
      setError(signInRefusal(failure, Date.now()));
      setPin('');
      form.current?.querySelector<HTMLInputElement>('input[type="password"]')?.focus();
    } finally {
      setBusy(false);
    }
  }

  const pausedFor = error?.pausedUntil != null ? error.pausedUntil - now : 0;
  return (
    <main className="sign-in">
      <form ref={form} className="card sign-in__card" onSubmit={signIn} noValidate aria-label="Sign in">
        <div className="brand brand--large">
          <img className="brand__mark" src="./icon.svg" alt="" />
          Waypost
        </div>
        <h1>Sign in</h1>
        {notice && !error ? <Alert tone="info">{notice}</Alert> : null}
        <TextField label="Badge ID" autoFocus autoCapitalize value={badgeId} onChange={setBadgeId} />
        <TextField label="PIN" type="password" inputMode="numeric" value={pin} onChange={setPin} />
        {error ? (
          <Alert tone="error">
            {error.message}
            {pausedFor > 0 ? ` Try again in ${countdown(pausedFor)}.` : error.pausedUntil != null ? ' You can try again now.' : ''}
          </Alert>
        ) : null}
        <button type="submit" className="button button--primary button--wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {/* Outside the form: choosing a theme is no part of signing in, and Enter on it must not submit. */}
      <ThemeChoice className="card sign-in__display" />
    </main>
  );
}
