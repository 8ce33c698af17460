import { ParleyProvider, useConnection, useInbox, useMessages, useTyping, useUnreadTotal } from '../src/index.js';
import type { ParleyClient } from '@parley/client';

/** A small tree over every kind of hook, rendered on the server and hydrated in the SSR tests. */
export function ChatApp({ client, conversationId }: { client: ParleyClient | null; conversationId: string }) {
  return (
    <ParleyProvider client={client}>
      <Header />
      <Messages id={conversationId} />
    </ParleyProvider>
  );
}

function Header() {
  const state = useConnection((c) => c.state);
  const count = useInbox((inbox) => inbox.items.length);
  const unread = useUnreadTotal();
  return <header id="head">{`${state} · ${count} conversations · ${unread} unread`}</header>;
}

function Messages({ id }: { id: string }) {
  const { messages, loaded } = useMessages(id);
  const typing = useTyping(id);
  return (
    <main id="messages" data-loaded={String(loaded)}>
      {messages.map((m) => <p key={m.key}>{m.text}</p>)}
      {typing.length > 0 && <small>typing</small>}
    </main>
  );
}
