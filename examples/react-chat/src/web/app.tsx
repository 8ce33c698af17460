import { useEffect, useState } from 'react';
import { createClient, type ParleyClient } from '@parley/client';
import { ParleyProvider, useConnection } from '@parley/react';
import { Conversation } from './conversation.js';
import { Inbox } from './inbox.js';
import { SignIn, type Session } from './sign-in.js';

/** One client per signed-in user; signing out closes it and the next user gets a new one. */
export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [client, setClient] = useState<ParleyClient | null>(null);
  useEffect(() => {
    if (!session) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/parley`;
    const c = createClient({ url, token: session.token, userId: session.user.id });
    setClient(c);
    return () => {
      setClient(null);
      void c.signOut();
    };
  }, [session]);

  if (!session) return <SignIn onSignedIn={setSession} />;
  return (
    <ParleyProvider client={client}>
      <Shell name={session.user.displayName} onSignOut={() => setSession(null)} />
    </ParleyProvider>
  );
}

function Shell({ name, onSignOut }: { name: string; onSignOut: () => void }) {
  const [open, setOpen] = useState<string | null>(null);
  const state = useConnection((c) => c.state);
  return (
    <div className="shell">
      <header>
        <strong data-test="me">{name}</strong>
        <span className={`state ${state}`} data-test="state">{state}</span>
        <button onClick={onSignOut}>Sign out</button>
      </header>
      <Inbox selected={open} onSelect={setOpen} />
      {open ? <Conversation key={open} id={open} /> : <main className="empty">Pick a conversation or start one.</main>}
    </div>
  );
}
