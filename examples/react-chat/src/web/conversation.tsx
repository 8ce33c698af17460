import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useInbox, useMessages, useParleyClient, useTyping } from '@parley/react';

/** Typing is re-announced at most this often while the user keeps typing. */
const TYPING_EVERY_MS = 2000;

/** One conversation: older pages on demand, the messages with their ticks, who is typing, a composer. */
export function Conversation({ id }: { id: string }) {
  const client = useParleyClient();
  const { messages, loaded, hasOlder, loadOlder, loadingOlder } = useMessages(id);
  const typing = useTyping(id);
  const title = useInbox((inbox) => inbox.byId[id]?.peer?.displayName ?? inbox.byId[id]?.conversation.title ?? '');
  const lastSeq = messages.reduce((max, m) => Math.max(max, m.seq ?? 0), 0);

  // what is on screen is read
  useEffect(() => {
    if (client && lastSeq > 0) client.markRead(id, lastSeq).catch(() => {});
  }, [client, id, lastSeq]);

  return (
    <main className="conversation">
      <h2 data-test="title">{title}</h2>
      {hasOlder && (
        <button onClick={() => void loadOlder()} disabled={loadingOlder}>
          {loadingOlder ? 'Loading…' : 'Older messages'}
        </button>
      )}
      {!loaded && <p className="loading">Loading…</p>}
      <ol className="messages">
        {messages.map((m) => (
          <li key={m.key} className={m.senderId === client?.userId ? 'mine' : 'theirs'} data-test="message" data-status={m.status ?? ''}>
            <span className="text">{m.deletedAt ? 'Message deleted' : m.text}</span>
            {m.status && <span className="status">{m.status}</span>}
          </li>
        ))}
      </ol>
      <p className="typing" data-test="typing">{typing.length > 0 ? `${typing.join(', ')} typing…` : ''}</p>
      <Composer id={id} />
    </main>
  );
}

function Composer({ id }: { id: string }) {
  const client = useParleyClient();
  const [text, setText] = useState('');
  const lastTyping = useRef(0);
  const change = (value: string) => {
    setText(value);
    const now = Date.now();
    if (client && value && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      client.setTyping(id, true).catch(() => {});
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!client || !text.trim()) return;
    client.send({ conversationId: id, text: text.trim() }).message.catch(() => {}); // a failure shows as status `failed`
    lastTyping.current = 0;
    client.setTyping(id, false).catch(() => {});
    setText('');
  };
  return (
    <form className="composer" onSubmit={submit}>
      <input aria-label="Message" placeholder="Write a message" value={text} onChange={(e) => change(e.target.value)} />
      <button type="submit">Send</button>
    </form>
  );
}
