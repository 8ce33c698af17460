import { SYSTEM_ACTOR } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { createChat, createMemoryStore, DEFAULT_PERMISSIONS, type AuditEntry, type PermissionOptions } from './index.js';

const staff: PermissionOptions['staff'] = {
  roles: { moderator: ['deleteAny', 'removeMembers', 'ban', 'freeze', 'readReports'], helper: ['readReports'] },
  roleOf: (userId) => ({ mo: 'moderator', he: 'helper' })[userId] ?? null,
};

async function setup(permissions: PermissionOptions = { staff }) {
  const chat = createChat({ store: createMemoryStore(), permissions });
  for (const id of ['own', 'mem', 'mo', 'he']) await chat.upsertUser({ id, displayName: id });
  const audit: AuditEntry[] = [];
  chat.on('audit', (entry) => void audit.push(entry));
  const channel = await chat.as('own').createChannel({ title: 'public' });
  await chat.as('mem').join({ conversationId: channel.id });
  const spam = await chat.as('mem').send({ conversationId: channel.id, clientId: 's', text: 'spam' });
  const group = await chat.as('own').createGroup({ title: 'private', memberIds: ['mem'] });
  const secret = await chat.as('mem').send({ conversationId: group.id, clientId: 's', text: 'secret' });
  return { chat, audit, channel, spam, group, secret };
}

describe('app-level staff roles', () => {
  it('a moderator deletes and removes in a channel it is not a member of; each action is audited', async () => {
    const { chat, audit, channel, spam } = await setup();
    await chat.as('mo').delete({ conversationId: channel.id, seq: spam.seq, scope: 'everyone' });
    expect((await chat.store.getMessage(channel.id, spam.seq))!.deletedAt).not.toBeNull();
    await chat.as('mo').removeMember({ conversationId: channel.id, userId: 'mem' });
    expect((await chat.store.getMember(channel.id, 'mem'))!.leftSeq).not.toBeNull();
    expect(audit.map((a) => [a.actorId, a.authority, a.role, a.op, a.conversationId])).toEqual([
      ['mo', 'staff', 'moderator', 'delete', channel.id],
      ['mo', 'staff', 'moderator', 'removeMember', channel.id],
    ]);
    // the events name the moderator as actor
    const events = (await chat.store.events({ conversationId: channel.id, limit: 50, timelineOnly: false })).slice(-2);
    expect(events.map((e) => [e.type, e.actorId])).toEqual([['message.deleted', 'mo'], ['member.left', 'mo']]);
  });

  it('a moderator bans and freezes in a channel it is not in, works its report queue, and every action is audited with its reason', async () => {
    const { chat, audit, channel, spam } = await setup();
    await chat.as('own').report({ conversationId: channel.id, seq: spam.seq, reason: 'spam' });
    const [report] = (await chat.as('mo').listReports({ conversationId: channel.id })).items;
    expect(report).toMatchObject({ reporterId: 'own', targetUserId: 'mem' });
    await chat.as('mo').resolveReport({ conversationId: channel.id, reportId: report!.id, action: 'ban' });
    await chat.as('mo').freeze({ conversationId: channel.id, frozen: true, reason: 'raid' });
    expect((await chat.store.getMember(channel.id, 'mem'))!.leftSeq).not.toBeNull();
    await expect(chat.as('mem').join({ conversationId: channel.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(audit.map((a) => [a.op, a.reason])).toEqual([['ban', 'spam'], ['freeze', 'raid']]);
    // the helper reads the queue but cannot act on it
    await expect(chat.as('he').freeze({ conversationId: channel.id, frozen: false })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await chat.as('he').reportCounts({ conversationId: channel.id })).resolved).toBe(1);
  });

  it('staff act only in the kinds configured (channels by default) and only with their grants', async () => {
    const { chat, audit, channel, spam, group, secret } = await setup();
    const missing = await chat.as('mo').delete({ conversationId: 'nowhere', seq: 2, scope: 'everyone' }).catch((e: unknown) => e);
    const privateGroup = await chat.as('mo').delete({ conversationId: group.id, seq: secret.seq, scope: 'everyone' }).catch((e: unknown) => e);
    // a group is as invisible to staff as a conversation that does not exist
    expect(privateGroup).toMatchObject({ code: 'FORBIDDEN', message: (missing as Error).message });
    const helper = await chat.as('he').delete({ conversationId: channel.id, seq: spam.seq, scope: 'everyone' }).catch((e: unknown) => e);
    expect(helper).toMatchObject({ code: 'FORBIDDEN' });
    expect((await chat.store.getMessage(channel.id, spam.seq))!.deletedAt).toBeNull();
    expect(audit).toEqual([]);
  });

  it('a member who is also staff acts by the conversation role first (no audit entry)', async () => {
    const { chat, audit, channel, spam } = await setup({ staff, table: { channel: { ...DEFAULT_PERMISSIONS.channel } } });
    await chat.as('own').delete({ conversationId: channel.id, seq: spam.seq, scope: 'everyone' });
    expect(audit).toEqual([]);
  });

  it('bad permission options are INVALID at createChat', () => {
    expect(() => createChat({ store: createMemoryStore(), permissions: { table: { group: { member: ['fly' as never] } } } })).toThrow(
      expect.objectContaining({ code: 'INVALID' }),
    );
    expect(() => createChat({ store: createMemoryStore(), permissions: { table: { lobby: {} } as never } })).toThrow(expect.objectContaining({ code: 'INVALID' }));
  });
});

describe('the system actor', () => {
  it('needs a reason, acts everywhere, and is audited with it', async () => {
    const { chat, audit, group, secret } = await setup({});
    expect(() => chat.asSystem({ reason: ' ' })).toThrow(expect.objectContaining({ code: 'INVALID' }));
    await chat.asSystem({ reason: 'legal takedown #12' }).delete({ conversationId: group.id, seq: secret.seq, scope: 'everyone' });
    expect((await chat.store.getMessage(group.id, secret.seq))!.deletedAt).not.toBeNull();
    expect(audit).toEqual([
      { actorId: SYSTEM_ACTOR, authority: 'system', role: 'system', op: 'delete', conversationId: group.id, reason: 'legal takedown #12', at: expect.any(Number) },
    ]);
  });

  it('its id is reserved: no user can take it, and acting as that id without asSystem grants nothing', async () => {
    const { chat, group, secret } = await setup({});
    await expect(chat.upsertUser({ id: SYSTEM_ACTOR, displayName: 'fake' })).rejects.toMatchObject({ code: 'INVALID' });
    await expect(chat.as(SYSTEM_ACTOR).delete({ conversationId: group.id, seq: secret.seq, scope: 'everyone' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
