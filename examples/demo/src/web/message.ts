/** One message row: bubble, quote, attachments, reactions, ticks and the hover actions. */
import type { ClientMessage } from '@parley/client';
import type { Attachment } from '@parley/protocol';
import type { App } from './app.js';
import { avatar } from './avatar.js';
import { clockTime, colorFor, duration, fileSize } from './format.js';
import { h, icon } from './render.js';

/** The emoji offered by the reaction picker. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏', '🎉', '🔥'];

/** Where the row sits in a run of messages from one sender. */
export interface RowContext {
  /** First message of a run from this sender: show name and avatar. */
  first: boolean;
  /** Show sender names and avatars (groups and channels). */
  showSender: boolean;
  /** The quoted message, when this one replies and the original is held. */
  quoted: ClientMessage | undefined;
}

/** A short one-line summary of a message for quotes. */
export function summaryOf(m: Pick<ClientMessage, 'text' | 'kind' | 'deletedAt' | 'attachments'>): string {
  if (m.deletedAt !== null) return 'This message was deleted';
  if (m.text) return m.text.length > 120 ? `${m.text.slice(0, 120)}…` : m.text;
  const a = m.attachments[0];
  if (m.kind === 'image') return '📷 Photo';
  if (a) return `📎 ${a.name ?? 'File'}`;
  return m.kind;
}

function ticks(m: ClientMessage): HTMLElement | null {
  const status = m.status;
  if (status === null) return null;
  const r = m.receipt;
  const title =
    status === 'sending' ? 'Sending…'
    : status === 'failed' ? `Not sent${m.error ? `: ${m.error.message}` : ''}`
    : r && r.recipients > 1 ? `Delivered to ${r.delivered} of ${r.recipients} · read by ${r.read} of ${r.recipients}`
    : status === 'read' ? 'Read'
    : status === 'delivered' ? 'Delivered'
    : 'Sent';
  const glyph = status === 'sending' ? icon('clock', 12) : status === 'failed' ? '!' : status === 'sent' ? '✓' : '✓✓';
  return h('span.ticks', { class: status, title, dataset: { status, test: 'ticks' } }, glyph);
}

function attachmentView(a: Attachment, single: boolean): HTMLElement {
  if (a.mime.startsWith('image/')) {
    const w = a.width ?? 320;
    const hgt = a.height ?? 240;
    const maxW = single ? 320 : 150;
    const scale = Math.min(1, maxW / w, 320 / hgt);
    return h(
      'a.att-image',
      { href: a.url, target: '_blank', rel: 'noopener', title: a.name ?? 'image' },
      h('img', {
        src: a.url,
        alt: a.name ?? 'image',
        loading: 'lazy',
        width: Math.max(40, Math.round(w * scale)),
        height: Math.max(40, Math.round(hgt * scale)),
      }),
    );
  }
  if (a.mime.startsWith('video/')) return h('video.att-video', { src: a.url, controls: true, preload: 'metadata' });
  if (a.mime.startsWith('audio/')) return h('audio.att-audio', { src: a.url, controls: true, preload: 'metadata' });
  const ext = (a.name?.split('.').pop() ?? a.mime.split('/')[1] ?? 'file').slice(0, 4).toUpperCase();
  return h(
    'a.att-file',
    { href: a.url, download: a.name ?? '', rel: 'noopener' },
    h('span.file-icon', null, ext),
    h('span.file-meta', null, h('span.file-name', null, a.name ?? 'File'), h('span.file-size', null, `${fileSize(a.size)} · ${a.mime}`)),
    icon('download', 18),
  );
}

function callLine(app: App, m: ClientMessage): HTMLElement {
  const c = m.call;
  const media = c?.media === 'video' ? 'Video call' : 'Voice call';
  const missedForMe = c && (c.status === 'missed' || c.status === 'cancelled') && m.senderId !== app.me;
  const label =
    !c ? 'Call'
    : c.status === 'ended' && c.durationMs !== null ? `${media}, ${duration(c.durationMs)}`
    : c.status === 'declined' ? `${media} declined`
    : missedForMe ? `Missed ${media.toLowerCase()}`
    : c.status === 'missed' || c.status === 'cancelled' ? `${media}, no answer`
    : media;
  return h(
    'div.msg-row.center',
    { dataset: { seq: String(m.seq ?? ''), key: m.key, kind: 'call' } },
    h(
      'div.call-pill',
      { class: { missed: Boolean(missedForMe) } },
      icon(c?.media === 'video' ? 'video' : 'phone', 16),
      h('span', null, label),
      h('span.call-time', null, clockTime(m.createdAt)),
    ),
  );
}

/** Render one message. */
export function messageRow(app: App, m: ClientMessage, ctx: RowContext): HTMLElement {
  if (m.kind === 'call') return callLine(app, m);
  if (m.kind === 'system') {
    return h('div.msg-row.center', { dataset: { seq: String(m.seq ?? ''), key: m.key } }, h('div.system-pill', null, m.text ?? ''));
  }
  const { state, client } = app;
  const own = m.senderId === app.me;
  const deleted = m.deletedAt !== null;
  const confirmed = m.seq !== null;
  const seq = m.seq ?? 0;
  const menu = state.menuFor?.key === m.key ? state.menuFor.kind : null;
  const conversationId = m.conversationId;

  const react = (emoji: string, remove: boolean) => {
    state.menuFor = null;
    app.render();
    void app.run(() => client.api.react({ conversationId, seq, emoji, remove }));
  };

  const reactions = Object.entries(m.reactions).filter(([, users]) => users.length > 0);
  const bubble = h(
    'div.bubble',
    { class: { deleted, 'has-media': m.attachments.some((a) => a.mime.startsWith('image/')) && !m.text } },
    ctx.showSender && !own && ctx.first ? h('div.sender', { style: { color: colorFor(m.senderId) } }, app.users.name(m.senderId)) : null,
    !deleted && m.replyTo !== null
      ? h(
          'button.quote',
          {
            onclick: () => {
              state.highlight = { conversationId, seq: m.replyTo! };
              app.render();
            },
          },
          h('span.quote-name', null, ctx.quoted ? (ctx.quoted.senderId === app.me ? 'You' : app.users.name(ctx.quoted.senderId)) : 'Reply'),
          h('span.quote-text', null, ctx.quoted ? summaryOf(ctx.quoted) : 'Original message'),
        )
      : null,
    deleted
      ? h('div.text.tombstone', null, '🚫 This message was deleted')
      : [
          m.attachments.length > 0 ? h('div.attachments', { class: { grid: m.attachments.length > 1 } }, m.attachments.map((a) => attachmentView(a, m.attachments.length === 1))) : null,
          m.text ? h('div.text', null, m.text) : null,
        ],
    h(
      'span.meta',
      null,
      m.editedAt && !deleted ? h('span.edited', null, 'edited') : null,
      h('span.time', { title: new Date(m.createdAt).toLocaleString() }, clockTime(m.createdAt)),
      own && !deleted ? ticks(m) : null,
    ),
  );

  const actions =
    confirmed && !deleted
      ? h(
          'div.msg-actions',
          null,
          h('button.icon-btn.small', { title: 'React', 'aria-label': 'React', dataset: { action: 'react' }, onclick: () => toggleMenu(app, m.key, 'react') }, icon('smile', 16)),
          h(
            'button.icon-btn.small',
            {
              title: 'Reply',
              'aria-label': 'Reply',
              dataset: { action: 'reply' },
              onclick: () => {
                state.replyTo = m;
                state.editing = null;
                app.render();
                document.querySelector<HTMLTextAreaElement>('.composer textarea')?.focus();
              },
            },
            icon('reply', 16),
          ),
          own && m.text !== null && m.kind === 'text'
            ? h(
                'button.icon-btn.small',
                {
                  title: 'Edit',
                  'aria-label': 'Edit',
                  dataset: { action: 'edit' },
                  onclick: () => {
                    state.editing = m;
                    state.replyTo = null;
                    const ta = document.querySelector<HTMLTextAreaElement>('.composer textarea');
                    if (ta) {
                      ta.value = m.text ?? '';
                      ta.focus();
                    }
                    app.render();
                  },
                },
                icon('pencil', 16),
              )
            : null,
          h('button.icon-btn.small', { title: 'Delete', 'aria-label': 'Delete', dataset: { action: 'delete' }, onclick: () => toggleMenu(app, m.key, 'delete') }, icon('trash', 16)),
          !own
            ? h(
                'button.icon-btn.small',
                {
                  title: 'Report',
                  'aria-label': 'Report',
                  dataset: { action: 'report' },
                  onclick: () =>
                    void app.run(async () => {
                      await client.api.report({ conversationId, seq: m.seq!, reason: 'reported in the demo' });
                      app.toast('Reported to the moderators');
                    }),
                },
                icon('flag', 16),
              )
            : null,
        )
      : null;

  const popup =
    menu === 'react'
      ? h(
          'div.popup.picker',
          { role: 'menu' },
          QUICK_REACTIONS.map((e) => h('button.emoji', { role: 'menuitem', dataset: { emoji: e }, onclick: () => react(e, (m.reactions[e] ?? []).includes(app.me)) }, e)),
        )
      : menu === 'delete'
        ? h(
            'div.popup.menu',
            { role: 'menu' },
            h(
              'button.menu-item',
              {
                role: 'menuitem',
                dataset: { action: 'delete-me' },
                onclick: () => {
                  state.menuFor = null;
                  let set = state.hidden.get(conversationId);
                  if (!set) state.hidden.set(conversationId, (set = new Set()));
                  set.add(seq);
                  app.render();
                  void app.run(() => client.api.delete({ conversationId, seq, scope: 'me' }));
                },
              },
              'Delete for me',
            ),
            own || canModerate(app, conversationId)
              ? h(
                  'button.menu-item.danger',
                  {
                    role: 'menuitem',
                    dataset: { action: 'delete-everyone' },
                    onclick: () => {
                      state.menuFor = null;
                      app.render();
                      void app.run(() => client.api.delete({ conversationId, seq, scope: 'everyone' }));
                    },
                  },
                  'Delete for everyone',
                )
              : null,
          )
        : null;

  const failed = m.status === 'failed';
  return h(
    'div.msg-row',
    { class: { own, first: ctx.first, 'menu-open': menu !== null }, dataset: { seq: String(m.seq ?? ''), key: m.key, test: 'message' } },
    ctx.showSender && !own ? (ctx.first ? avatar(m.senderId, app.users.name(m.senderId), { size: 30 }) : h('span.avatar-space')) : null,
    h(
      'div.bubble-wrap',
      null,
      bubble,
      reactions.length > 0
        ? h(
            'div.reactions',
            null,
            reactions.map(([emoji, users]) =>
              h(
                'button.reaction',
                {
                  class: { mine: users.includes(app.me) },
                  title: users.map((u) => (u === app.me ? 'You' : app.users.name(u))).join(', '),
                  dataset: { emoji },
                  onclick: () => react(emoji, users.includes(app.me)),
                },
                emoji,
                h('span.count', null, String(users.length)),
              ),
            ),
          )
        : null,
      failed
        ? h(
            'div.failed-line',
            null,
            'Not sent. ',
            h('button.link', { onclick: () => void app.run(async () => client.resend(m.key).message) }, 'Retry'),
            ' · ',
            h('button.link', { onclick: () => client.discard(m.key) }, 'Discard'),
          )
        : null,
      popup,
    ),
    actions,
  );
}

function toggleMenu(app: App, key: string, kind: 'react' | 'delete'): void {
  const cur = app.state.menuFor;
  app.state.menuFor = cur && cur.key === key && cur.kind === kind ? null : { key, kind };
  app.render();
}

function canModerate(app: App, conversationId: string): boolean {
  const e = app.client.inbox.getSnapshot().byId[conversationId];
  return e !== undefined && e.conversation.kind !== 'direct' && (e.member.role === 'owner' || e.member.role === 'admin');
}
