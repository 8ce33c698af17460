import { useState, type FormEvent } from 'react';
import type { User } from '@parley/protocol';

/** What the dev-only sign-in returns. */
export interface Session {
  token: string;
  user: User;
}

/** DEVELOPMENT-ONLY: typing a name signs in as that user (see src/server.ts). */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const res = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });
    const body = (await res.json()) as Session & { error?: string };
    if (!res.ok) setError(body.error ?? `sign-in failed (${res.status})`);
    else onSignedIn(body);
  };
  return (
    <form className="sign-in" onSubmit={(e) => void submit(e)}>
      <h1>Parley · React chat</h1>
      <label>
        Your name <input value={name} onChange={(e) => setName(e.target.value)} autoFocus />
      </label>
      <button type="submit">Sign in</button>
      {error && <p role="alert">{error}</p>}
      <p className="dev">Development-only sign-in: anyone can be anyone.</p>
    </form>
  );
}
