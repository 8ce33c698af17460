/** The left pane: who I am, search, and the chats / channels / contacts lists. */
import type { Conversation, InboxEntry, User } from '@parley/protocol';
import type { App } from './app.js';
import { avatar } from './avatar.js';
import { openNewChat, openNewGroup, openProfile } from './dialogs.js';
import { shortTime } from './format.js';
import { enablePush } from './push.js';
import { h, icon, patch } from './render.js';
import { peerOf, titleOf, type SidebarTab } from './state.js';

let searchInput: HTMLInputElement | undefined;
let searchTimer: ReturnType<typeof setTimeout> | undefined;
let channels: { loadedAt: number; items: Conversation[] } | null = null;
let people: { query: string; items: User[] } | null = null;

/** Render the sidebar into `el`. */
export function renderSidebar(app: App, el: HTMLElement): void {
  const { state, client } = app;
  const me = app.users.get(app.me) ?? state.session.user;
  const conn = client.connection.getSnapshot().state;
  searchInput ??= h('input.search-input', {
    type: 'search',
    placeholder: 'Search chats and messages',
    'aria-label': 'Search chats and messages',
    oninput: (e: Event) => onSearch(app, (e.target as HTMLInputElement).value),
  }) as HTMLInputElement;

  const tabs: Array<[SidebarTab, string]> = [
    ['chats', 'Chats'],
    ['channels', 'Channels'],
    ['contacts', 'Contacts'],
  ];
  const unreadTotal = client.inbox.getSnapshot().unreadTotal;
  patch(
    el,
    h(
      'header.sb-head',
      null,
      h('button.me', { title: 'Your profile', onclick: () => openProfile(app) }, avatar(me.id, me.displayName, { size: 36 }), h('span.me-name', null, me.displayName)),
      h(
        'div.sb-actions',
        null,
        h('button.icon-btn', { title: 'New chat', 'aria-label': 'New chat', dataset: { test: 'new-chat' }, onclick: () => openNewChat(app) }, icon('edit')),
        h('button.icon-btn', { title: 'New group', 'aria-label': 'New group', dataset: { test: 'new-group' }, onclick: () => openNewGroup(app) }, icon('users')),
        state.push === 'unavailable'
          ? null
          : h(
              'button.icon-btn',
              {
                class: { on: state.push === 'on' },
                title: state.push === 'on' ? 'Notifications are on' : 'Turn on notifications',
                'aria-label': state.push === 'on' ? 'Notifications are on' : 'Turn on notifications',
                dataset: { test: 'enable-push' },
                onclick: () => void app.run(() => enablePush(app)),
              },
              icon('bell'),
            ),
        h('button.icon-btn', { title: 'Sign out', 'aria-label': 'Sign out', onclick: () => app.signOut() }, icon('logout')),
      ),
    ),
    h('div.dev-banner', { title: 'See src/dev-auth.ts' }, h('strong', null, 'Dev sign-in'), ' — anyone can use any name. Not for production.'),
    conn !== 'ready' ? h('div.conn-banner', null, conn === 'offline' ? 'Offline — reconnecting…' : 'Connecting…') : null,
    h('div.sb-search', null, icon('search', 16), searchInput),
    h(
      'nav.tabs',
      { role: 'tablist' },
      tabs.map(([tab, label]) =>
        h(
          'button.tab',
          {
            role: 'tab',
            class: { active: state.tab === tab },
            'aria-selected': String(state.tab === tab),
            onclick: () => {
              state.tab = tab;
              if (tab === 'channels') channels = null;
              app.render();
            },
          },
          label,
          tab === 'chats' && unreadTotal > 0 ? h('span.tab-badge', null, String(unreadTotal)) : null,
        ),
      ),
    ),
    h('div.sb-list', null, state.tab === 'chats' ? chatList(app) : state.tab === 'channels' ? channelList(app) : contactList(app)),
  );
}

function onSearch(app: App, value: string): void {
  app.state.query = value;
  app.state.tab = app.state.tab === 'channels' ? 'channels' : app.state.tab;
  clearTimeout(searchTimer);
  const q = value.trim();
  if (q.length < 2) {
    app.state.searchResults = null;
    people = null;
    app.render();
    return;
  }
  searchTimer = setTimeout(() => {
    void app.client.api
      .search({ query: q, limit: 20 })
      .then((page) => {
        if (app.state.query.trim() !== q) return;
        app.state.searchResults = {
          query: q,
          items: page.items.map((m) => ({ conversationId: m.conversationId, seq: m.seq, senderId: m.senderId, text: m.text, createdAt: m.createdAt })),
        };
        app.render();
      })
      .catch(() => {});
    if (app.state.tab === 'contacts') {
      void app.client.api.searchUsers({ query: q, limit: 20 }).then((items) => {
        app.users.put(items);
        people = { query: q, items };
        app.render();
      });
    }
    if (app.state.tab === 'channels') {
      channels = null;
      app.render();
    }
  }, 250);
  app.render();
}

function previewText(app: App, entry: InboxEntry): string {
  const last = entry.conversation.lastMessage;
  if (!last) return entry.conversation.kind === 'channel' ? 'Public channel' : 'No messages yet';
  if (last.deleted) return 'This message was deleted';
  // a notice is not a bubble from a person ("👋 Ana joined" is sent as Ana): no "You:" / "Ana:" prefix
  const who =
    last.kind === 'system' ? ''
    : last.senderId === app.me ? 'You: '
    : entry.conversation.kind !== 'direct' ? `${app.users.name(last.senderId).split(' ')[0]}: `
    : '';
  const body =
    last.kind === 'image' ? '📷 Photo' + (last.text ? ` ${last.text}` : '')
    : last.kind === 'file' ? '📎 File' + (last.text ? ` ${last.text}` : '')
    : last.kind === 'video' ? '🎬 Video'
    : last.kind === 'audio' ? '🎵 Audio'
    : last.kind === 'call' ? '📞 Call'
    : (last.text ?? '');
  return who + body;
}

function chatList(app: App): Node[] {
  const { state, client } = app;
  const q = state.query.trim().toLowerCase();
  const entries = client.inbox.getSnapshot().items.filter((e) => e.member.leftSeq === null || e.conversation.kind === 'direct');
  app.users.put(entries.map((e) => e.peer));
  const presence = client.presence.getSnapshot();
  const rows = entries
    .filter((e) => !q || titleOf(e, app.users, app.me).toLowerCase().includes(q))
    .map((e) => {
      const c = e.conversation;
      const title = titleOf(e, app.users, app.me);
      const peer = peerOf(e, app.me);
      if (peer) app.watchPresence(peer);
      const typing = client.typing(c.id).getSnapshot();
      const last = c.lastMessage;
      return h(
        'button.conv-row',
        {
          class: { active: state.activeId === c.id, unread: e.unread > 0 },
          dataset: { conversation: c.id, title },
          // open on the press too: the list re-renders on every inbox change, and a re-render
          // between press and release replaces the row, so the click would never reach it
          onmousedown: (ev: MouseEvent) => ev.button === 0 && app.open(c.id),
          onclick: () => app.open(c.id),
        },
        avatar(peer ?? c.id, title, { kind: c.kind, online: peer ? presence[peer]?.online === true : false }),
        h(
          'span.conv-main',
          null,
          h('span.conv-top', null, h('span.conv-title', null, title), h('span.conv-time', null, last ? shortTime(last.createdAt) : '')),
          h(
            'span.conv-bottom',
            null,
            typing.length > 0
              ? h('span.conv-preview.typing', null, `${c.kind === 'direct' ? '' : `${app.users.name(typing[0]!).split(' ')[0]} `}typing…`)
              : h('span.conv-preview', null, previewText(app, e)),
            e.unread > 0 ? h('span.badge', { dataset: { test: 'unread' } }, String(e.unread)) : null,
          ),
        ),
      );
    });
  const out: Node[] = [];
  if (rows.length > 0) out.push(...rows);
  else if (!q) {
    out.push(
      h(
        'div.empty-list',
        null,
        h('p', null, 'No conversations yet.'),
        h('button.btn.primary', { onclick: () => openNewChat(app) }, 'Start a chat'),
        h('button.btn', { onclick: () => ((app.state.tab = 'channels'), app.render()) }, 'Browse channels'),
      ),
    );
  }
  if (state.searchResults && state.searchResults.items.length > 0) {
    const byId = client.inbox.getSnapshot().byId;
    out.push(h('div.list-heading', null, 'Messages'));
    for (const r of state.searchResults.items) {
      const entry = byId[r.conversationId];
      out.push(
        h(
          'button.search-hit',
          { dataset: { test: 'search-hit' }, onclick: () => app.open(r.conversationId, r.seq) },
          h('span.hit-top', null, h('span.hit-title', null, entry ? titleOf(entry, app.users, app.me) : 'Conversation'), h('span.conv-time', null, shortTime(r.createdAt))),
          h('span.hit-text', null, h('b', null, `${app.users.name(r.senderId)}: `), highlight(r.text ?? '', state.searchResults.query)),
        ),
      );
    }
  } else if (q && rows.length === 0 && state.searchResults) {
    out.push(h('div.empty-list', null, h('p', null, `Nothing matches “${state.query.trim()}”.`)));
  }
  return out;
}

function highlight(text: string, query: string): Node[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const lower = text.toLowerCase();
  let idx = -1;
  let len = 0;
  for (const w of words) {
    const i = lower.indexOf(w);
    if (i >= 0) {
      idx = i;
      len = w.length;
      break;
    }
  }
  const start = Math.max(0, idx - 30);
  const clip = (s: string) => s;
  if (idx < 0) return [document.createTextNode(text.slice(0, 120))];
  return [
    document.createTextNode((start > 0 ? '…' : '') + clip(text.slice(start, idx))),
    h('mark', null, text.slice(idx, idx + len)),
    document.createTextNode(text.slice(idx + len, idx + len + 80)),
  ];
}

function channelList(app: App): Node[] {
  if (!channels) {
    const q = app.state.query.trim();
    channels = { loadedAt: Date.now(), items: [] };
    void app.client.api
      .listChannels({ ...(q ? { query: q } : {}), limit: 50 })
      .then((page) => {
        channels = { loadedAt: Date.now(), items: page.items };
        app.render();
      })
      .catch(() => {});
  }
  const byId = app.client.inbox.getSnapshot().byId;
  const rows = channels.items.map((c) => {
    const mine = byId[c.id];
    const joined = mine !== undefined && mine.member.leftSeq === null;
    return h(
      'div.channel-row',
      { dataset: { channel: c.title ?? '' } },
      avatar(c.id, c.title ?? '#', { kind: 'channel' }),
      h('span.conv-main', null, h('span.conv-title', null, `#${c.title ?? ''}`), h('span.conv-preview', null, `${c.memberCount} member${c.memberCount === 1 ? '' : 's'}`)),
      joined
        ? h('button.btn.small', { onclick: () => app.open(c.id) }, 'Open')
        : h(
            'button.btn.small.primary',
            {
              onclick: () =>
                void app.run(async () => {
                  await app.client.api.join({ conversationId: c.id });
                  channels = null;
                  app.toast(`Joined #${c.title ?? ''}`);
                  app.open(c.id);
                }),
            },
            'Join',
          ),
    );
  });
  return [
    h('div.list-heading.with-action', null, 'Public channels', h('button.link', { onclick: () => newChannel(app) }, '+ New channel')),
    ...(rows.length ? rows : [h('div.empty-list', null, h('p', null, 'No channels found.'))]),
  ];
}

function newChannel(app: App): void {
  const title = prompt('Channel name (lowercase, no spaces):')?.trim().replace(/^#/, '').replace(/\s+/g, '-').toLowerCase();
  if (!title) return;
  void app.run(async () => {
    const c = await app.client.api.createChannel({ title });
    channels = null;
    app.open(c.id);
  });
}

function contactList(app: App): Node[] {
  const contacts = app.client.contacts.getSnapshot();
  const presence = app.client.presence.getSnapshot();
  const q = app.state.query.trim();
  const out: Node[] = [];
  const person = (u: { id: string; name: string }, isContact: boolean, alias?: string | null) =>
    h(
      'div.contact-row',
      { dataset: { user: u.id, name: u.name } },
      avatar(u.id, u.name, { online: presence[u.id]?.online === true }),
      h('span.conv-main', null, h('span.conv-title', null, alias ?? u.name), h('span.conv-preview', null, presence[u.id]?.online ? 'online' : isContact ? 'contact' : '')),
      h(
        'span.row-actions',
        null,
        h(
          'button.btn.small.primary',
          {
            onclick: () =>
              void app.run(async () => {
                const c = await app.client.api.openDirect({ userId: u.id });
                app.state.tab = 'chats';
                app.open(c.id);
              }),
          },
          'Message',
        ),
        isContact
          ? h('button.btn.small', { title: 'Remove contact', onclick: () => void app.run(() => app.client.api.removeContact({ userId: u.id })) }, 'Remove')
          : u.id !== app.me
            ? h('button.btn.small', { onclick: () => void app.run(async () => (await app.client.api.setContact({ userId: u.id }), app.toast(`${u.name} added to contacts`))) }, 'Add')
            : null,
      ),
    );
  if (q.length >= 2 && people && people.query === q) {
    out.push(h('div.list-heading', null, 'People'));
    const found = people.items.filter((u) => u.id !== app.me);
    if (found.length === 0) out.push(h('div.empty-list', null, h('p', null, `No one called “${q}”.`)));
    for (const u of found) out.push(person({ id: u.id, name: u.displayName }, contacts.some((c) => c.userId === u.id)));
  }
  out.push(h('div.list-heading', null, 'Your contacts'));
  if (contacts.length === 0) out.push(h('div.empty-list', null, h('p', null, 'Search for people above and add them.')));
  for (const c of contacts) out.push(person({ id: c.userId, name: app.users.name(c.userId) }, true, c.alias));
  return out;
}
