import { memo, useState, type FormEvent } from 'react';
import type { InboxEntry } from '@parley/protocol';
import { useInbox, useParleyClient, useUnreadTotal } from '@parley/react';
import { userIdFor } from '../user-id.js';

/** The conversations by last activity, with unread badges, and a form to start a direct chat. */
export function Inbox({ selected, onSelect }: { selected: string | null; onSelect: (id: string) => void }) {
  const items = useInbox((inbox) => inbox.items);
  const total = useUnreadTotal();
  return (
    <nav className="inbox">
      <h2>
        Chats {total > 0 && <span className="badge" data-test="unread-total">{total}</span>}
      </h2>
      <NewChat onOpened={onSelect} />
      <ul>
        {items.map((entry) => (
          <Row key={entry.conversation.id} entry={entry} selected={entry.conversation.id === selected} onSelect={onSelect} />
        ))}
      </ul>
    </nav>
  );
}

/** Rows keep their identity while unchanged, so memo skips the rows a new message did not touch. */
const Row = memo(function Row({ entry, selected, onSelect }: { entry: InboxEntry; selected: boolean; onSelect: (id: string) => void }) {
  const title = entry.peer?.displayName ?? entry.conversation.title ?? 'Conversation';
  return (
    <li>
      <button className={selected ? 'row selected' : 'row'} data-test="conv" data-title={title} onClick={() => onSelect(entry.conversation.id)}>
        <span className="title">{title}</span>
        <span className="preview">{entry.conversation.lastMessage?.text ?? ''}</span>
        {entry.unread > 0 && <span className="badge" data-test="unread">{entry.unread}</span>}
      </button>
    </li>
  );
});

function NewChat({ onOpened }: { onOpened: (id: string) => void }) {
  const client = useParleyClient();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!client) return;
    setError(null);
    const userId = userIdFor(name);
    if (!userId) return setError('Type the name they signed in with.');
    try {
      const conversation = await client.api.openDirect({ userId });
      setName('');
      onOpened(conversation.id);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form className="new-chat" onSubmit={(e) => void submit(e)}>
      <input placeholder="Chat with… (their name)" value={name} onChange={(e) => setName(e.target.value)} />
      <button type="submit" disabled={!name.trim()}>Start</button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}
