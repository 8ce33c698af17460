import { PERMISSIONS, type ConversationKind, type Message, type OpName, type Permission } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { createChat } from '../chat.js';
import { DEFAULT_PERMISSIONS, type PermissionTableOptions } from '../permissions.js';
import { appendRefused } from '../preconditions.js';
import { scenario, type Scenario } from './authorization.js';
import { createWorld, expectCode, failure, snapshotOf, useStore } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

/** How the kit exercises one permission: an operation that needs it (and `also`, nothing else). */
export interface PermissionProbe {
  op: OpName;
  /** Conversation kinds the operation exists in. */
  kinds: readonly ConversationKind[];
  params(s: Scenario): Record<string, unknown>;
  /** Other permissions the operation needs as well. */
  also?: readonly Permission[];
  /** Permissions that allow the operation too (revoked together with this one). */
  impliedBy?: readonly Permission[];
}

const ALL: readonly ConversationKind[] = ['group', 'channel', 'direct'];
const SHARED: readonly ConversationKind[] = ['group', 'channel'];
const inConv = (s: Scenario, extra: Record<string, unknown> = {}) => ({ conversationId: s.conversationId, ...extra });
const FILE = { url: 'https://files.example/report.pdf', mime: 'application/pdf', size: 1000 };

/**
 * One probe per permission, keyed by {@link Permission}: a permission added to the protocol does
 * not compile here until it has a probe, and from then on {@link permissionsSuite} tests it in every
 * store. `null`: no operation needs it yet (listed by the suite as a todo, never silently).
 */
export const PERMISSION_PROBES: Record<Permission, PermissionProbe | null> = {
  send: { op: 'send', kinds: ALL, params: (s) => inConv(s, { clientId: 'probe', text: 'hello' }) },
  sendLinks: { op: 'send', kinds: ALL, also: ['send'], params: (s) => inConv(s, { clientId: 'probe', text: 'see https://example.com/x' }) },
  upload: { op: 'send', kinds: ALL, also: ['send'], params: (s) => inConv(s, { clientId: 'probe', kind: 'file', attachments: [FILE] }) },
  mentionChannel: { op: 'send', kinds: SHARED, also: ['send'], params: (s) => inConv(s, { clientId: 'probe', text: 'all of you', mentions: ['@channel'] }) },
  react: { op: 'react', kinds: ALL, params: (s) => inConv(s, { seq: s.otherSeq, emoji: '👍' }) },
  pin: { op: 'pin', kinds: ALL, params: (s) => inConv(s, { seq: s.otherSeq, pinned: true }) },
  editOwn: { op: 'edit', kinds: ALL, params: (s) => inConv(s, { seq: s.ownSeq, text: 'changed' }) },
  editAny: { op: 'edit', kinds: ALL, params: (s) => inConv(s, { seq: s.otherSeq, text: 'changed' }) },
  deleteOwn: { op: 'delete', kinds: ALL, impliedBy: ['deleteAny'], params: (s) => inConv(s, { seq: s.ownSeq, scope: 'everyone' }) },
  deleteAny: { op: 'delete', kinds: ALL, params: (s) => inConv(s, { seq: s.otherSeq, scope: 'everyone' }) },
  addMembers: { op: 'addMembers', kinds: SHARED, params: (s) => inConv(s, { userIds: [s.fresh] }) },
  removeMembers: { op: 'removeMember', kinds: SHARED, params: (s) => inConv(s, { userId: s.target }) },
  changeRoles: { op: 'setRole', kinds: SHARED, params: (s) => inConv(s, { userId: s.target, role: 'admin' }) },
  updateConversation: { op: 'updateConversation', kinds: SHARED, params: (s) => inConv(s, { title: 'renamed' }) },
  managePermissions: {
    op: 'updateConversation',
    kinds: SHARED,
    also: ['updateConversation'],
    params: (s) => inConv(s, { permissions: { member: ['send'] } }),
  },
  ban: { op: 'ban', kinds: SHARED, params: (s) => inConv(s, { userId: s.target }) },
  mute: { op: 'muteMember', kinds: SHARED, params: (s) => inConv(s, { userId: s.target }) },
  freeze: { op: 'freeze', kinds: SHARED, params: (s) => inConv(s, { frozen: true }) },
  setSlowMode: { op: 'setSlowMode', kinds: SHARED, params: (s) => inConv(s, { intervalMs: 1000 }) },
  readReports: { op: 'reportCounts', kinds: SHARED, params: (s) => inConv(s) },
};

const without = (list: readonly Permission[], gone: readonly Permission[]) => list.filter((p) => !gone.includes(p));

/** The default table with `gone` taken from every role of `kind`. */
function revoked(kind: ConversationKind, gone: readonly Permission[]): PermissionTableOptions {
  const d = DEFAULT_PERMISSIONS[kind];
  return { [kind]: { owner: without(d.owner, gone), admin: without(d.admin, gone), member: without(d.member, gone) } };
}

/**
 * The permission matrix, generated from {@link PERMISSION_PROBES} and {@link DEFAULT_PERMISSIONS}:
 * for every permission, (1) the store decides it at commit from the conversation's own grants (a
 * refused append writes nothing), (2) an app table without it refuses it even to owners, and (3) a
 * conversation's override takes it from plain members, or gives it to them, and the operation
 * follows. Today's role defaults themselves are the authorization suite's matrix.
 */
export function permissionsSuite(o: ResolvedStoreOptions): void {
  describe('permissions', () => {
    const store = useStore(o);

    for (const permission of PERMISSIONS) {
      it(`${permission}: the store decides it from the grants stored at commit`, async () => {
        const w = createWorld(store());
        const [owner, member] = await w.users('owner', 'member');
        const g = await w.chat.as(owner!).createGroup({ title: 'grants', memberIds: [member!] });
        const s = store();
        const setOverride = (permissions: Record<string, Permission[]>) =>
          s.append({ draft: { type: 'conversation.updated', conversationId: g.id, actorId: owner!, at: w.clock.now(), changes: { permissions } } });
        const send = (clientId: string) => {
          const message: Omit<Message, 'seq'> = {
            conversationId: g.id, id: w.id(clientId), senderId: member!, kind: 'text', text: clientId, attachments: [], replyTo: null,
            mentions: [], reactions: {}, clientId, call: null, metadata: {}, pinned: false, createdAt: w.clock.now(), editedAt: null, deletedAt: null,
          };
          return s.append({
            draft: { type: 'message', conversationId: g.id, actorId: member!, at: w.clock.now(), message },
            requireActiveMember: member!,
            permission: { needed: [permission], table: DEFAULT_PERMISSIONS },
          });
        };
        await setOverride({ owner: [...DEFAULT_PERMISSIONS.group.owner], admin: [], member: [] });
        const before = await s.getConversation(g.id);
        const f = await failure(send('denied'));
        const want = appendRefused('actor-role');
        expect({ code: f.code, message: f.message }).toEqual({ code: want.code, message: want.message });
        expect(await s.getConversation(g.id), 'a refused append wrote something').toEqual(before);
        await setOverride({ member: [permission] });
        expect((await send('granted')).duplicate).toBe(false);
      });

      const probe = PERMISSION_PROBES[permission];
      if (probe === null) {
        it.todo(`${permission}: no operation needs it yet`);
        continue;
      }
      const gone = [permission, ...(probe.impliedBy ?? [])];
      for (const kind of probe.kinds) {
        it(`${permission} in a ${kind}: an app table without it refuses it to everyone; a conversation override moves it`, async () => {
          const w = createWorld(store());
          const s = await scenario(w, kind, kind === 'direct' ? 'member' : 'owner', false);
          const strict = createChat({ store: store(), clock: w.clock, permissions: { table: revoked(kind, gone) } });
          try {
            const before = await snapshotOf(o, w);
            await expectCode(strict.as(s.actor).call(probe.op, probe.params(s)), 'FORBIDDEN');
            expect(await snapshotOf(o, w), 'a refused operation changed the store').toBe(before);
          } finally {
            await strict.close();
          }
          if (kind === 'direct') return;
          const m = await scenario(w, kind, 'member', false);
          const byDefault = DEFAULT_PERMISSIONS[kind].member.includes(permission);
          const member = byDefault ? without(DEFAULT_PERMISSIONS[kind].member, gone) : [...DEFAULT_PERMISSIONS[kind].member, permission, ...(probe.also ?? [])];
          const owner = m.w.known.find((u) => u.endsWith('-owner'))!;
          await w.chat.as(owner).updateConversation({ conversationId: m.conversationId, permissions: { member } });
          const run = w.chat.as(m.actor).call(probe.op, probe.params(m));
          if (byDefault) await expectCode(run, 'FORBIDDEN');
          else await expect(run).resolves.toBeDefined();
        });
      }
    }
  });
}
