/** Modal dialogs: new chat, new group, conversation info (members and roles), profile. */
import type { Member, Role, User } from '@parley/protocol';
import type { App } from './app.js';
import { avatar } from './avatar.js';
import { lastSeen } from './format.js';
import { h, icon, patch } from './render.js';
import { titleOf } from './state.js';
import { moderates, moderationPanel } from './moderation.js';

interface Modal {
  body: HTMLElement;
  close(): void;
}

/** Open a modal with a title; returns its body to fill and a close function. */
function modal(title: string, testId: string): Modal {
  document.querySelector('.modal-backdrop')?.remove();
  const body = h('div.modal-body');
  const close = () => {
    backdrop.remove();
    document.removeEventListener('keydown', onKey);
  };
  const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
  const backdrop = h(
    'div.modal-backdrop',
    { onmousedown: (e: MouseEvent) => e.target === backdrop && close() },
    h(
      'div.modal',
      { role: 'dialog', 'aria-modal': 'true', 'aria-label': title, dataset: { test: testId } },
      h('header.modal-head', null, h('h3', null, title), h('button.icon-btn', { title: 'Close', 'aria-label': 'Close', onclick: close }, icon('x'))),
      body,
    ),
  );
  document.addEventListener('keydown', onKey);
  document.body.appendChild(backdrop);
  return { body, close };
}

/** A search box over users with a result list; `onPick` is called with the chosen user. */
function userPicker(app: App, options: { placeholder: string; exclude: () => Set<string>; onPick: (u: User) => void; actionLabel: string }): HTMLElement {
  const results = h('div.picker-results');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let seq = 0;
  const show = (users: User[], query: string) => {
    const list = users.filter((u) => u.id !== app.me && !options.exclude().has(u.id));
    patch(
      results,
      list.length === 0
        ? h('p.muted.pad', null, query ? `No one found for “${query}”. They need to sign in once first.` : 'Type a name to find people.')
        : list.map((u) =>
            h(
              'button.user-pick',
              { dataset: { user: u.id, name: u.displayName }, onclick: () => options.onPick(u) },
              avatar(u.id, u.displayName, { size: 36 }),
              h('span.conv-main', null, h('span.conv-title', null, u.displayName), h('span.conv-preview', null, u.statusText ?? lastSeen(u.lastSeenAt))),
              h('span.pick-action', null, options.actionLabel),
            ),
          ),
    );
  };
  const input = h('input.text-input', {
    type: 'search',
    placeholder: options.placeholder,
    'aria-label': options.placeholder,
    oninput: () => {
      clearTimeout(timer);
      const q = (input as HTMLInputElement).value.trim();
      if (!q) {
        show([], '');
        return;
      }
      timer = setTimeout(() => {
        const mine = ++seq;
        void app.client.api.searchUsers({ query: q, limit: 20 }).then((users) => {
          if (mine !== seq) return;
          app.users.put(users);
          show(users, q);
        });
      }, 150);
    },
  });
  // Start with the user's contacts as suggestions.
  const contacts = app.client.contacts.getSnapshot().flatMap((c) => {
    const u = app.users.get(c.userId);
    return u ? [u] : [];
  });
  show(contacts, '');
  queueMicrotask(() => (input as HTMLInputElement).focus());
  return h('div.user-picker', null, input, results);
}

/** Find a user and open (or create) the direct chat with them. */
export function openNewChat(app: App): void {
  const m = modal('New chat', 'new-chat-dialog');
  patch(
    m.body,
    userPicker(app, {
      placeholder: 'Search people by name',
      exclude: () => new Set(),
      actionLabel: 'Chat',
      onPick: (u) =>
        void app.run(async () => {
          const c = await app.client.api.openDirect({ userId: u.id });
          m.close();
          app.state.tab = 'chats';
          app.open(c.id);
        }),
    }),
  );
}

/** Name a group, pick members, create it. */
export function openNewGroup(app: App): void {
  const m = modal('New group', 'new-group-dialog');
  const picked = new Map<string, User>();
  const chips = h('div.chips');
  const title = h('input.text-input', { type: 'text', placeholder: 'Group name', 'aria-label': 'Group name', maxLength: 80 }) as HTMLInputElement;
  const drawChips = () =>
    patch(
      chips,
      [...picked.values()].map((u) =>
        h('span.chip', null, avatar(u.id, u.displayName, { size: 22 }), u.displayName, h('button.chip-x', { 'aria-label': `Remove ${u.displayName}`, onclick: () => (picked.delete(u.id), drawChips()) }, '×')),
      ),
    );
  const create = h(
    'button.btn.primary.wide',
    {
      dataset: { test: 'create-group' },
      onclick: () =>
        void app.run(async () => {
          const name = title.value.trim();
          if (!name) throw new Error('Give the group a name.');
          const c = await app.client.api.createGroup({ title: name, memberIds: [...picked.keys()] });
          m.close();
          app.state.tab = 'chats';
          app.open(c.id);
        }),
    },
    'Create group',
  );
  patch(
    m.body,
    h('label.field', null, h('span', null, 'Name'), title),
    h('label.field', null, h('span', null, 'Members'), chips),
    userPicker(app, { placeholder: 'Add people', exclude: () => new Set(picked.keys()), actionLabel: 'Add', onPick: (u) => (picked.set(u.id, u), drawChips()) }),
    h('div.modal-foot', null, create),
  );
  queueMicrotask(() => title.focus());
}

const ROLE_LABEL: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

/** Members, roles, add/remove, leave; presence for direct chats. */
export function openConversationInfo(app: App, conversationId: string): void {
  const entry = app.client.inbox.getSnapshot().byId[conversationId];
  if (!entry) return;
  const c = entry.conversation;
  const title = titleOf(entry, app.users, app.me);
  const m = modal(c.kind === 'direct' ? 'Contact info' : c.kind === 'channel' ? 'Channel info' : 'Group info', 'info-dialog');
  const membersEl = h('div.member-list');
  const myRole = entry.member.role;
  const canManage = c.kind === 'group' && (myRole === 'owner' || myRole === 'admin') && entry.member.leftSeq === null;
  let members: Member[] = [];

  const load = async () => {
    const page = await app.client.api.listMembers({ conversationId, limit: 200 });
    members = page.items;
    const missing = members.map((x) => x.userId).filter((id) => !app.users.get(id));
    if (missing.length) app.users.put(await app.client.api.getUsers({ ids: missing.slice(0, 100) }));
    draw();
  };
  const draw = () =>
    patch(
      membersEl,
      h('div.list-heading', null, `${members.length} member${members.length === 1 ? '' : 's'}`),
      members.map((mem) => {
        const u = app.users.get(mem.userId);
        const name = u?.displayName ?? mem.userId;
        const isMe = mem.userId === app.me;
        const manageable = canManage && !isMe && (myRole === 'owner' || mem.role === 'member');
        return h(
          'div.member-row',
          { dataset: { user: mem.userId, name } },
          avatar(mem.userId, name, { size: 36 }),
          h('span.conv-main', null, h('span.conv-title', null, isMe ? `${name} (you)` : name), h('span.conv-preview', null, ROLE_LABEL[mem.role])),
          manageable
            ? h(
                'span.row-actions',
                null,
                myRole === 'owner'
                  ? h(
                      'select.role-select',
                      {
                        'aria-label': `Role of ${name}`,
                        onchange: (e: Event) =>
                          void app.run(async () => {
                            await app.client.api.setRole({ conversationId, userId: mem.userId, role: (e.target as HTMLSelectElement).value as Role });
                            await load();
                          }),
                      },
                      (['member', 'admin', 'owner'] as const).map((r) => h('option', { value: r, selected: mem.role === r }, ROLE_LABEL[r])),
                    )
                  : null,
                h(
                  'button.btn.small.danger',
                  {
                    onclick: () =>
                      void app.run(async () => {
                        await app.client.api.removeMember({ conversationId, userId: mem.userId });
                        await load();
                      }),
                  },
                  'Remove',
                ),
              )
            : h('span.role-tag', { class: mem.role }, mem.role === 'member' ? '' : ROLE_LABEL[mem.role]),
        );
      }),
    );

  const peerId = c.kind === 'direct' ? c.directPair.find((id) => id !== app.me) : undefined;
  const presence = peerId ? app.client.presence.getSnapshot()[peerId] : undefined;
  const heading = h(
    'div.info-head',
    null,
    avatar(peerId ?? c.id, title, { size: 72, kind: c.kind, online: presence?.online === true }),
    h('h2', null, title),
    h('p.muted', null, c.kind === 'direct' ? (presence?.online ? 'online' : lastSeen(presence?.lastSeenAt ?? null)) : c.kind === 'channel' ? 'Public channel' : 'Group'),
  );
  const actions = h(
    'div.info-actions',
    null,
    c.kind !== 'direct' && entry.member.leftSeq === null
      ? h(
          'button.btn.danger',
          {
            dataset: { test: 'leave' },
            onclick: () =>
              void app.run(async () => {
                await app.client.api.leave({ conversationId });
                m.close();
                app.toast(`You left ${title}`);
                app.render();
              }),
          },
          c.kind === 'channel' ? 'Leave channel' : 'Leave group',
        )
      : null,
    c.kind === 'direct' && peerId
      ? h('button.btn', { onclick: () => void app.run(async () => (await app.client.api.setContact({ userId: peerId }), app.toast('Added to contacts'))) }, 'Add to contacts')
      : null,
  );
  patch(
    m.body,
    heading,
    canManage
      ? h(
          'details.add-members',
          null,
          h('summary', { dataset: { test: 'add-members' } }, icon('userPlus', 16), ' Add members'),
          userPicker(app, {
            placeholder: 'Search people to add',
            exclude: () => new Set(members.map((x) => x.userId)),
            actionLabel: 'Add',
            onPick: (u) =>
              void app.run(async () => {
                await app.client.api.addMembers({ conversationId, userIds: [u.id] });
                app.toast(`${u.displayName} added`);
                await load();
              }),
          }),
        )
      : null,
    c.kind !== 'direct' ? membersEl : null,
    moderates(entry) ? moderationPanel(app, entry, load) : null,
    actions,
  );
  if (c.kind !== 'direct') void app.run(load);
}

/** Show and edit the signed-in user's status. */
export function openProfile(app: App): void {
  const me = app.users.get(app.me) ?? app.state.session.user;
  const m = modal('Your profile', 'profile-dialog');
  const status = h('input.text-input', { type: 'text', value: me.statusText ?? '', placeholder: 'Status (e.g. “At the beach”)', maxLength: 120 }) as HTMLInputElement;
  patch(
    m.body,
    h('div.info-head', null, avatar(me.id, me.displayName, { size: 72 }), h('h2', null, me.displayName), h('p.muted', null, `User id: ${me.id}`)),
    h('label.field', null, h('span', null, 'Status'), status),
    h('p.dev-note', null, 'Signed in with the demo’s development-only sign-in: no password, anyone can use any name.'),
    h(
      'div.modal-foot',
      null,
      h(
        'button.btn.primary',
        {
          onclick: () =>
            void app.run(async () => {
              const u = await app.client.api.updateProfile({ statusText: status.value.trim() || null });
              app.users.put([u]);
              m.close();
              app.render();
            }),
        },
        'Save',
      ),
    ),
  );
}
