/** The right pane: header with presence and call buttons, the message list, and the composer. */
import type { ClientMessage } from '@parley/client';
import type { InboxEntry } from '@parley/protocol';
import type { App } from './app.js';
import { avatar } from './avatar.js';
import { renderComposer } from './composer.js';
import { openConversationInfo } from './dialogs.js';
import { dayKey, dayLabel, lastSeen } from './format.js';
import { messageRow } from './message.js';
import { h, icon, patch } from './render.js';
import { peerOf, titleOf } from './state.js';

const GROUP_GAP_MS = 5 * 60_000;
let listEl: HTMLElement | undefined;
let shownId: string | null = null;
let lastCount = 0;
const reading = new Set<string>();

/** Render the conversation pane into `el`. */
export function renderConversation(app: App, el: HTMLElement): void {
  const { state, client } = app;
  const id = state.activeId;
  const entry = id ? client.inbox.getSnapshot().byId[id] : undefined;
  if (!id || !entry) {
    shownId = null;
    patch(
      el,
      h(
        'div.pane-empty',
        null,
        h('div.empty-logo', null, icon('send', 40)),
        h('h2', null, 'Parley'),
        h('p', null, 'Pick a conversation on the left, start a new chat, or join a public channel.'),
        h('p.muted', null, 'Open a second browser window (a private one) and sign in with another name to chat with yourself.'),
      ),
    );
    return;
  }
  const switched = shownId !== id;
  // Keep the list element across renders so the scroll position survives.
  const prevList = switched ? undefined : listEl;
  const prevTop = prevList?.scrollTop ?? 0;
  const atBottom = !prevList || prevList.scrollHeight - prevList.scrollTop - prevList.clientHeight < 80;
  listEl = prevList ?? h('div.messages', { role: 'log', 'aria-live': 'polite' });

  const snap = client.messages(id).getSnapshot();
  const hidden = state.hidden.get(id);
  const messages = snap.messages.filter((m) => m.seq === null || !hidden?.has(m.seq));
  patch(listEl, messageList(app, entry, messages, snap.loaded, snap.hasOlder));

  const left = entry.member.leftSeq !== null;
  patch(el, header(app, entry), listEl, typingLine(app, entry), left ? leftBar(app, entry) : renderComposer(app, entry));

  if (switched || (atBottom && messages.length !== lastCount)) listEl.scrollTop = listEl.scrollHeight;
  else if (atBottom) listEl.scrollTop = listEl.scrollHeight;
  else listEl.scrollTop = prevTop;
  shownId = id;
  lastCount = messages.length;

  const hl = state.highlight;
  if (hl && hl.conversationId === id && snap.loaded) {
    const row = listEl.querySelector<HTMLElement>(`[data-seq="${hl.seq}"]`);
    if (row) {
      state.highlight = null;
      row.scrollIntoView({ block: 'center' });
      row.classList.add('flash');
    } else if (snap.hasOlder) void client.loadOlder(id).catch(() => {});
    else state.highlight = null;
  }
  maybeMarkRead(app, entry, snap.loaded);
}

function maybeMarkRead(app: App, entry: InboxEntry, loaded: boolean): void {
  const c = entry.conversation;
  if (!loaded || document.visibilityState !== 'visible' || entry.member.leftSeq !== null) return;
  if (entry.unread === 0 && entry.member.readSeq >= c.lastSeq) return;
  if (reading.has(c.id)) return;
  reading.add(c.id);
  void app.client
    .markRead(c.id)
    .catch(() => {})
    .finally(() => {
      reading.delete(c.id);
    });
}

function subtitle(app: App, entry: InboxEntry): string {
  const c = entry.conversation;
  const typing = app.client.typing(c.id).getSnapshot();
  if (typing.length > 0) {
    if (c.kind === 'direct') return 'typing…';
    const names = typing.map((u) => app.users.name(u).split(' ')[0]);
    return names.length === 1 ? `${names[0]} is typing…` : `${names.slice(0, 2).join(', ')} are typing…`;
  }
  if (c.kind === 'direct') {
    const peer = peerOf(entry, app.me);
    if (!peer) return '';
    const p = app.client.presence.getSnapshot()[peer];
    if (p?.online) return 'online';
    return lastSeen(p?.lastSeenAt ?? app.users.get(peer)?.lastSeenAt ?? null);
  }
  const n = c.memberCount;
  return `${c.kind === 'channel' ? 'Public channel · ' : ''}${n} member${n === 1 ? '' : 's'}`;
}

function header(app: App, entry: InboxEntry): HTMLElement {
  const c = entry.conversation;
  const title = titleOf(entry, app.users, app.me);
  const peer = peerOf(entry, app.me);
  if (peer) app.watchPresence(peer);
  const online = peer ? app.client.presence.getSnapshot()[peer]?.online === true : false;
  const sub = subtitle(app, entry);
  const active = entry.member.leftSeq === null;
  const liveCall = [...app.state.calls.values()].some((call) => call.conversationId === c.id);
  const call = (media: 'audio' | 'video') =>
    void app.run(async () => {
      const started = await app.client.api.startCall({ conversationId: c.id, media });
      app.state.calls.set(started.id, started);
      app.render();
    });
  return h(
    'header.conv-head',
    null,
    h('button.icon-btn.back', { title: 'Back', 'aria-label': 'Back', onclick: () => (document.getElementById('app')?.classList.remove('show-pane'), (app.state.activeId = null), app.render()) }, icon('back')),
    h(
      'button.conv-head-main',
      { onclick: () => openConversationInfo(app, c.id), title: 'Conversation info' },
      avatar(peer ?? c.id, title, { kind: c.kind, size: 40, online }),
      h('span.conv-head-text', null, h('span.conv-head-title', null, title), h('span.conv-head-sub', { class: { typing: sub.includes('typing'), online: sub === 'online' }, dataset: { test: 'subtitle' } }, sub)),
    ),
    h(
      'div.conv-actions',
      null,
      active && c.kind !== 'channel'
        ? [
            h('button.icon-btn', { title: 'Voice call', 'aria-label': 'Voice call', disabled: liveCall, dataset: { test: 'call-audio' }, onclick: () => call('audio') }, icon('phone')),
            h('button.icon-btn', { title: 'Video call', 'aria-label': 'Video call', disabled: liveCall, dataset: { test: 'call-video' }, onclick: () => call('video') }, icon('video')),
          ]
        : null,
      h('button.icon-btn', { title: 'Info', 'aria-label': 'Conversation info', dataset: { test: 'info' }, onclick: () => openConversationInfo(app, c.id) }, icon('info')),
    ),
  );
}

function messageList(app: App, entry: InboxEntry, messages: readonly ClientMessage[], loaded: boolean, hasOlder: boolean): Node[] {
  const out: Node[] = [];
  const c = entry.conversation;
  if (!loaded) return [h('div.loading', null, 'Loading messages…')];
  if (hasOlder) {
    out.push(h('button.load-older', { onclick: () => void app.client.loadOlder(c.id).catch(() => {}) }, 'Load older messages'));
  } else {
    out.push(
      h(
        'div.conv-start',
        null,
        h('b', null, c.kind === 'channel' ? `Welcome to #${c.title ?? ''}` : c.kind === 'group' ? `Group “${c.title ?? ''}”` : 'This is the start of your conversation.'),
        typeof c.metadata.description === 'string' ? h('span.description', null, c.metadata.description) : null,
        h('span.e2e-note', null, 'Messages are stored by this demo server in embedded Postgres.'),
      ),
    );
  }
  const bySeq = new Map<number, ClientMessage>();
  for (const m of messages) if (m.seq !== null) bySeq.set(m.seq, m);
  const showSender = c.kind !== 'direct';
  let prev: ClientMessage | undefined;
  let prevDay = '';
  for (const m of messages) {
    const day = dayKey(m.createdAt);
    if (day !== prevDay) {
      out.push(h('div.day-sep', null, h('span', null, dayLabel(m.createdAt))));
      prevDay = day;
      prev = undefined;
    }
    const first =
      !prev || prev.senderId !== m.senderId || m.createdAt - prev.createdAt > GROUP_GAP_MS || prev.kind === 'call' || prev.kind === 'system';
    out.push(messageRow(app, m, { first, showSender, quoted: m.replyTo !== null ? bySeq.get(m.replyTo) : undefined }));
    prev = m;
  }
  return out;
}

function typingLine(app: App, entry: InboxEntry): HTMLElement {
  const typing = app.client.typing(entry.conversation.id).getSnapshot();
  if (typing.length === 0) return h('div.typing-line.empty');
  const names = typing.map((u) => app.users.name(u).split(' ')[0]);
  const text = names.length === 1 ? `${names[0]} is typing` : `${names.slice(0, 2).join(' and ')} are typing`;
  return h('div.typing-line', { dataset: { test: 'typing' } }, h('span.dots', null, h('i'), h('i'), h('i')), text);
}

function leftBar(app: App, entry: InboxEntry): HTMLElement {
  const c = entry.conversation;
  return h(
    'div.left-bar',
    null,
    c.kind === 'channel'
      ? [
          'You left this channel. ',
          h('button.btn.small.primary', { onclick: () => void app.run(() => app.client.api.join({ conversationId: c.id })) }, 'Join again'),
        ]
      : 'You are no longer a member of this group.',
  );
}
