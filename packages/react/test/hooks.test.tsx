// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { ParleyClient } from '@parley/client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ParleyProvider,
  useConnection,
  useContacts,
  useInbox,
  useMessages,
  useOutbox,
  useParleyClient,
  usePresence,
  useTyping,
  useUnread,
  useUnreadTotal,
} from '../src/index.js';
import { startWorld, type TestWorld } from './support.js';

// The DOM environment resolves packages for the browser, where `ws` is a stub that throws: give the
// server (and the test's clients) Node's real `ws`, as a Node process running the server would load it.
vi.mock('ws', async () => (await import('./node-ws.js')).nodeWs());

let world: TestWorld;
beforeAll(async () => {
  world = await startWorld(['ana', 'ben', 'cara']);
});
afterAll(() => world.close());
afterEach(() => cleanup());

const wait = (check: () => void) => waitFor(check, { timeout: 8000, interval: 20 });

function Status() {
  const { state, userId } = useConnection();
  return <p data-testid="status">{`${state}:${userId ?? '-'}`}</p>;
}

function Inbox() {
  const items = useInbox((inbox) => inbox.items);
  const total = useUnreadTotal();
  return (
    <ul data-testid="inbox" data-total={total}>
      {items.map((e) => (
        <li key={e.conversation.id}>{`${e.conversation.id}:${e.unread}:${e.conversation.lastMessage?.text ?? ''}`}</li>
      ))}
    </ul>
  );
}

function Conversation({ id }: { id: string }) {
  const { messages, loaded, hasOlder, loadOlder, loadingOlder } = useMessages(id);
  const typing = useTyping(id);
  const unread = useUnread(id);
  return (
    <section data-testid={`conv-${id}`} data-loaded={loaded} data-unread={unread}>
      {hasOlder && <button onClick={() => void loadOlder()} disabled={loadingOlder}>older</button>}
      <ol>
        {messages.map((m) => (
          <li key={m.key} data-status={m.status ?? ''}>{m.text}</li>
        ))}
      </ol>
      <p data-testid={`typing-${id}`}>{typing.join(',')}</p>
    </section>
  );
}

const texts = (id: string) => [...screen.getByTestId(`conv-${id}`).querySelectorAll('li')].map((li) => li.textContent);

describe('@parley/react hooks against a real server', () => {
  it('shows connection, inbox, unread counts and live messages, and sends through the client', async () => {
    const dm = await world.chat.as('ben').openDirect({ userId: 'ana' });
    await world.chat.as('ben').send({ conversationId: dm.id, clientId: 'b1', text: 'hello ana' });
    const ana = world.client('ana');
    const ben = world.client('ben');
    render(
      <ParleyProvider client={ana}>
        <Status />
        <Inbox />
        <Conversation id={dm.id} />
      </ParleyProvider>,
    );
    await wait(() => expect(screen.getByTestId('status').textContent).toBe('ready:ana'));
    await wait(() => expect(screen.getByTestId('inbox').textContent).toBe(`${dm.id}:1:hello ana`));
    expect(screen.getByTestId('inbox').dataset.total).toBe('1');
    await wait(() => expect(texts(dm.id)).toEqual(['hello ana']));
    expect(screen.getByTestId(`conv-${dm.id}`).dataset.unread).toBe('1');

    await ben.ready();
    ben.send({ conversationId: dm.id, text: 'are you there?' });
    await wait(() => expect(texts(dm.id)).toEqual(['hello ana', 'are you there?']));
    await wait(() => expect(screen.getByTestId('inbox').dataset.total).toBe('2'));

    // the user's own message shows at once, then is confirmed; reading clears the counts
    act(() => void ana.send({ conversationId: dm.id, text: 'yes!' }));
    expect(texts(dm.id)).toEqual(['hello ana', 'are you there?', 'yes!']);
    await wait(() => expect(screen.getByTestId(`conv-${dm.id}`).querySelector('li:last-child')?.getAttribute('data-status')).toMatch(/^(sent|delivered|read)$/));
    await wait(() => expect(screen.getByTestId('inbox').dataset.total).toBe('0'));
    expect(screen.getByTestId(`conv-${dm.id}`).dataset.unread).toBe('0');
  });

  it('pages back with loadOlder', async () => {
    const group = await world.chat.as('cara').createGroup({ title: 'history', memberIds: ['ana'] });
    for (let i = 1; i <= 25; i++) await world.chat.as('cara').send({ conversationId: group.id, clientId: `h${i}`, text: `m${i}` });
    const ana = world.client('ana', { pageSize: 10 });
    render(
      <ParleyProvider client={ana}>
        <Conversation id={group.id} />
      </ParleyProvider>,
    );
    await wait(() => expect(texts(group.id)).toHaveLength(10));
    expect(texts(group.id)[0]).toBe('m16');
    fireEvent.click(screen.getByText('older'));
    await wait(() => expect(texts(group.id)).toHaveLength(20));
    fireEvent.click(screen.getByText('older'));
    await wait(() => expect(texts(group.id)).toEqual(Array.from({ length: 25 }, (_, i) => `m${i + 1}`)));
    // the first page of the group was the group's creation and membership events: nothing older remains
    await wait(() => expect(screen.queryByText('older')).toBeNull());
  });

  it('shows who is typing, presence and contacts', async () => {
    await world.chat.as('ana').setContact({ userId: 'cara', alias: 'Cee' });
    const dm = await world.chat.as('cara').openDirect({ userId: 'ana' });
    const ana = world.client('ana');
    const cara = world.client('cara');
    function Peer() {
      const presence = usePresence('cara');
      const aliases = useContacts((contacts) => contacts.map((c) => c.alias).join(','));
      return <p data-testid="peer">{`${presence?.online ?? 'unknown'}:${aliases}`}</p>;
    }
    render(
      <ParleyProvider client={ana}>
        <Peer />
        <Conversation id={dm.id} />
      </ParleyProvider>,
    );
    await Promise.all([ana.ready(), cara.ready()]);
    await wait(() => expect(screen.getByTestId('peer').textContent).toBe('true:Cee'));
    await cara.setTyping(dm.id, true);
    await wait(() => expect(screen.getByTestId(`typing-${dm.id}`).textContent).toBe('cara'));
    await cara.setTyping(dm.id, false);
    await wait(() => expect(screen.getByTestId(`typing-${dm.id}`).textContent).toBe(''));
  });

  it('lists the outbox while offline and empties it once sent', async () => {
    const dm = await world.chat.as('ana').openDirect({ userId: 'ben' });
    const ana = world.client('ana', { userId: 'ana', autoConnect: false });
    let client: ParleyClient | null = null;
    function Outbox() {
      client = useParleyClient();
      const pending = useOutbox((items) => items.map((i) => i.params.text).join('|'));
      return <p data-testid="outbox">{pending}</p>;
    }
    render(
      <ParleyProvider client={ana}>
        <Outbox />
      </ParleyProvider>,
    );
    expect(client).toBe(ana);
    act(() => void ana.send({ conversationId: dm.id, text: 'queued 1' }));
    act(() => void ana.send({ conversationId: dm.id, text: 'queued 2' }));
    await wait(() => expect(screen.getByTestId('outbox').textContent).toBe('queued 1|queued 2'));
    ana.connect();
    await wait(() => expect(screen.getByTestId('outbox').textContent).toBe(''));
    const { events } = await world.chat.as('ben').history({ conversationId: dm.id, limit: 10 });
    expect(events.flatMap((e) => (e.type === 'message' ? [e.message.text] : [])).slice(-2)).toEqual(['queued 1', 'queued 2']);
  });

  it('without a client every hook shows its initial state; outside a provider they throw INVALID', () => {
    render(
      <ParleyProvider client={null}>
        <Status />
        <Inbox />
        <Conversation id="c1" />
      </ParleyProvider>,
    );
    expect(screen.getByTestId('status').textContent).toBe('idle:-');
    expect(screen.getByTestId('inbox').textContent).toBe('');
    expect(screen.getByTestId('conv-c1').dataset.loaded).toBe('false');
    cleanup();
    const errors: unknown[] = [];
    const onError = (e: ErrorEvent) => (errors.push(e.error), e.preventDefault());
    window.addEventListener('error', onError);
    try {
      expect(() => render(<Status />)).toThrow(/ParleyProvider/);
    } finally {
      window.removeEventListener('error', onError);
    }
  });
});
