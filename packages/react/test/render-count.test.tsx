// @vitest-environment happy-dom
import { StrictMode } from 'react';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ParleyProvider, shallowEqual, useConnection, useInbox, useMessages, useUnread, useUnreadTotal } from '../src/index.js';
import { renderCounter, startWorld, type TestWorld } from './support.js';

// Node's real `ws` for the server and clients (the DOM environment would resolve its browser stub).
vi.mock('ws', async () => (await import('./node-ws.js')).nodeWs());

let world: TestWorld;
beforeAll(async () => {
  world = await startWorld(['ana', 'ben', 'cara']);
});
afterAll(() => world.close());
afterEach(() => cleanup());

const wait = (check: () => void) => waitFor(check, { timeout: 8000, interval: 20 });
/** Long enough for pushes, receipts and auto-delivery triggered by the last step to have landed. */
const settle = () => act(() => new Promise((r) => setTimeout(r, 200)));

describe('render counts: a component re-renders only when its slice changes', () => {
  it("a message in one conversation does not re-render another conversation's list, badge or readiness", async () => {
    const withBen = await world.chat.as('ana').openDirect({ userId: 'ben' });
    const withCara = await world.chat.as('ana').openDirect({ userId: 'cara' });
    await world.chat.as('cara').send({ conversationId: withCara.id, clientId: 'c1', text: 'from cara' });
    const renders = renderCounter();

    function List({ id, name }: { id: string; name: string }) {
      renders.hit(name);
      const { messages } = useMessages(id);
      return <ol data-testid={name}>{messages.map((m) => <li key={m.key}>{m.text}</li>)}</ol>;
    }
    function Badge() {
      renders.hit('badge');
      return <b data-testid="badge">{useUnreadTotal()}</b>;
    }
    function CaraUnread() {
      renders.hit('cara-unread');
      return <i data-testid="cara-unread">{useUnread(withCara.id)}</i>;
    }
    function Ready() {
      renders.hit('ready');
      return <p data-testid="ready">{String(useConnection((c) => c.state === 'ready'))}</p>;
    }

    const ana = world.client('ana');
    const ben = world.client('ben');
    render(
      <ParleyProvider client={ana}>
        <List id={withBen.id} name="ben-list" />
        <List id={withCara.id} name="cara-list" />
        <Badge />
        <CaraUnread />
        <Ready />
      </ParleyProvider>,
    );
    await wait(() => expect(screen.getByTestId('cara-list').textContent).toBe('from cara'));
    await wait(() => expect(screen.getByTestId('ready').textContent).toBe('true'));
    await ben.ready();
    await settle();
    const before = { ben: renders.of('ben-list'), cara: renders.of('cara-list'), caraUnread: renders.of('cara-unread'), ready: renders.of('ready') };
    // connecting, authenticating, resuming, ready: readiness flipped once, so at most two renders
    expect(before.ready).toBeLessThanOrEqual(2);

    for (const text of ['one', 'two', 'three']) ben.send({ conversationId: withBen.id, text });
    await wait(() => expect(screen.getByTestId('ben-list').textContent).toBe('onetwothree'));
    await wait(() => expect(screen.getByTestId('badge').textContent).toBe('4'));
    await settle();
    expect(renders.of('ben-list')).toBeGreaterThan(before.ben);
    expect(renders.of('cara-list')).toBe(before.cara);
    expect(renders.of('cara-unread')).toBe(before.caraUnread);
    expect(renders.of('ready')).toBe(before.ready);

    // the user's own message changes the inbox several times (pending, acked, last message) and the
    // unread total once: the badge renders once
    const badge = renders.of('badge');
    const benList = renders.of('ben-list');
    act(() => void ana.send({ conversationId: withCara.id, text: 'hi cara' }));
    await wait(() => expect(screen.getByTestId('cara-list').textContent).toBe('from carahi cara'));
    await settle();
    // sending reads everything before it in that conversation: cara's unread goes 1 -> 0
    expect(screen.getByTestId('cara-unread').textContent).toBe('0');
    expect(screen.getByTestId('badge').textContent).toBe('3');
    expect(renders.of('badge')).toBe(badge + 1);
    expect(renders.of('ben-list')).toBe(benList);
  });

  it('a selector with shallowEqual skips new arrays with the same items', async () => {
    const dm = await world.chat.as('ben').openDirect({ userId: 'cara' });
    const renders = renderCounter();
    function Ids() {
      renders.hit('ids');
      const ids = useInbox((inbox) => inbox.items.map((e) => e.conversation.id), shallowEqual);
      return <p data-testid="ids">{ids.join(',')}</p>;
    }
    function Previews() {
      renders.hit('previews');
      const last = useInbox((inbox) => inbox.items.map((e) => e.conversation.lastMessage?.text ?? '').join(','));
      return <p data-testid="previews">{last}</p>;
    }
    const cara = world.client('cara');
    const ben = world.client('ben');
    render(
      <ParleyProvider client={cara}>
        <Ids />
        <Previews />
      </ParleyProvider>,
    );
    await Promise.all([cara.ready(), ben.ready()]);
    await wait(() => expect(screen.getByTestId('ids').textContent).toContain(dm.id));
    await settle();
    const ids = renders.of('ids');
    const top = cara.inbox.getSnapshot().items[0]!.conversation.id;
    const sender = top === dm.id ? ben : cara;
    sender.send({ conversationId: top, text: 'bump' });
    await wait(() => expect(screen.getByTestId('previews').textContent?.startsWith('bump')).toBe(true));
    await settle();
    expect(renders.of('ids')).toBe(ids);
  });

  it('holding is counted: two lists under StrictMode keep a conversation loaded, the last unmount releases it', async () => {
    const dm = await world.chat.as('ben').openDirect({ userId: 'ana' });
    await world.chat.as('ben').send({ conversationId: dm.id, clientId: 's1', text: 'strict' });
    const ana = world.client('ana');
    function List({ id }: { id: string }) {
      return <ol data-testid="strict">{useMessages(id).messages.map((m) => <li key={m.key}>{m.text}</li>)}</ol>;
    }
    const view = render(
      <StrictMode>
        <ParleyProvider client={ana}>
          <List id={dm.id} />
          <List id={dm.id} />
        </ParleyProvider>
      </StrictMode>,
    );
    await wait(() => expect(screen.getAllByTestId('strict').map((e) => e.textContent?.endsWith('strict'))).toEqual([true, true]));
    await settle();
    expect(ana.messages(dm.id).getSnapshot().loaded).toBe(true);
    view.unmount();
    await act(() => Promise.resolve());
    expect(ana.messages(dm.id).getSnapshot().loaded).toBe(false);
  });
});
