import type { Call } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { createChat } from './chat.js';
import { isChatError } from './errors.js';
import { createMemoryStore } from './memory-store.js';
import type { ChatStore } from './store.js';

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isChatError(e) ? e.code : String(e)));
const states = (call: Call | null) => Object.fromEntries((call?.participants ?? []).map((p) => [p.userId, p.state]));

async function setup(wrap?: (store: ChatStore) => ChatStore) {
  const base = createMemoryStore();
  const store = wrap ? wrap(base) : base;
  const chat = createChat({ store, limits: { ringTimeoutMs: 60_000 } });
  for (const id of ['ana', 'ben', 'cy', 'dan']) await chat.upsertUser({ id, displayName: id });
  const group = await chat.as('ana').createGroup({ title: 'g', memberIds: ['ben', 'cy', 'dan'] });
  return { chat, store: base, group };
}

/** Wait until `probe` holds (the call housekeeping after a removal runs just after the op). */
async function until(probe: () => Promise<boolean>) {
  for (let i = 0; i < 100; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out');
}

describe('calls require current membership', () => {
  it('a removed member can no longer answer, decline, end or signal, and is dropped from the live call', async () => {
    const { chat, store, group } = await setup();
    const call = await chat.as('ana').startCall({ conversationId: group.id, media: 'audio' });
    await chat.as('ben').answerCall({ callId: call.id });
    await chat.as('ana').removeMember({ conversationId: group.id, userId: 'cy' });
    await until(async () => states(await store.getCall(call.id)).cy === 'missed');
    const before = await store.getCall(call.id);
    expect(before?.status).toBe('active');
    expect(states(before)).toEqual({ ana: 'joined', ben: 'joined', cy: 'missed', dan: 'ringing' });

    expect(await code(chat.as('cy').answerCall({ callId: call.id }))).toBe('FORBIDDEN');
    expect(await code(chat.as('cy').declineCall({ callId: call.id }))).toBe('FORBIDDEN');
    expect(await code(chat.as('cy').endCall({ callId: call.id }))).toBe('FORBIDDEN');
    expect(await code(chat.as('cy').signal({ callId: call.id, to: 'ana', kind: 'offer', payload: { sdp: 'x' } }))).toBe('FORBIDDEN');
    // nobody may signal to them either
    expect(await code(chat.as('ana').signal({ callId: call.id, to: 'cy', kind: 'offer', payload: null }))).toBe('FORBIDDEN');
    expect(await store.getCall(call.id)).toEqual(before);
  });

  it('a joined member who is removed is dropped: the call ends when fewer than two remain', async () => {
    const { chat, store, group } = await setup();
    const call = await chat.as('ana').startCall({ conversationId: group.id, media: 'video' });
    await chat.as('ben').answerCall({ callId: call.id });
    await chat.as('ana').removeMember({ conversationId: group.id, userId: 'ben' });
    await until(async () => (await store.getCall(call.id))?.status === 'ended');
    const ended = await store.getCall(call.id);
    expect(states(ended)).toEqual({ ana: 'left', ben: 'left', cy: 'missed', dan: 'missed' });
    expect(await code(chat.as('ben').signal({ callId: call.id, to: 'ana', kind: 'candidate', payload: null }))).toBe('FORBIDDEN');
  });

  it('a member who leaves is dropped too; a ringing call its caller left is cancelled', async () => {
    const { chat, store, group } = await setup();
    const call = await chat.as('ben').startCall({ conversationId: group.id, media: 'audio' });
    await chat.as('ben').leave({ conversationId: group.id });
    await until(async () => (await store.getCall(call.id))?.status === 'cancelled');
    expect(states(await store.getCall(call.id))).toEqual({ ana: 'missed', ben: 'left', cy: 'missed', dan: 'missed' });
  });

  it('a removal that commits between the checks and the append still stops the answer (the store checks membership)', async () => {
    let chatRef: ReturnType<typeof createChat> | undefined;
    let groupId = '';
    let raced = false;
    const { chat, store, group } = await setup((inner) => ({
      ...inner,
      async append(input) {
        if (!raced && input.draft.type === 'call' && input.draft.actorId === 'cy') {
          raced = true;
          await chatRef!.as('ana').removeMember({ conversationId: groupId, userId: 'cy' });
        }
        return inner.append(input);
      },
    }));
    chatRef = chat;
    groupId = group.id;
    const call = await chat.as('ana').startCall({ conversationId: group.id, media: 'audio' });
    expect(await code(chat.as('cy').answerCall({ callId: call.id }))).toBe('FORBIDDEN');
    expect(raced).toBe(true);
    await until(async () => states(await store.getCall(call.id)).cy === 'missed');
    expect((await store.getCall(call.id))?.status).toBe('ringing');
  });

  it('current members are unaffected: answer and signal still work', async () => {
    const { chat, group } = await setup();
    const call = await chat.as('ana').startCall({ conversationId: group.id, media: 'audio' });
    expect((await chat.as('dan').answerCall({ callId: call.id })).status).toBe('active');
    expect(await chat.as('dan').signal({ callId: call.id, to: 'ana', kind: 'answer', payload: { sdp: 'y' } })).toEqual({ ok: true });
  });
});
