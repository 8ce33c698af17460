import { createMemoryStore } from '@parley/core';
import type { ConversationEvent } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { nextConversation } from '../src/effects.js';
import { isDuplicateKeyError } from '../src/errors.js';
import { eventId, keyId } from '../src/ids.js';
import { indexSpecs } from '../src/indexes.js';
import { createKeyedQueue } from '../src/keyed-queue.js';
import { groupInput, messageDraft } from './fixtures.js';

describe('duplicate-key detection', () => {
  it('recognises the driver error shapes, and nothing else', () => {
    expect(isDuplicateKeyError({ code: 11000 })).toBe(true);
    expect(isDuplicateKeyError({ code: 11001 })).toBe(true);
    expect(isDuplicateKeyError({ codeName: 'DuplicateKey' })).toBe(true);
    expect(isDuplicateKeyError({ code: 65, writeErrors: [{ code: 11000 }] })).toBe(true);
    expect(isDuplicateKeyError(new Error('E11000 duplicate key error collection: x'))).toBe(true);
    expect(isDuplicateKeyError({ code: 1, message: 'Duplicate key error: _id 0707' })).toBe(true);
    expect(isDuplicateKeyError({ code: 10107, message: 'not primary' })).toBe(false);
    expect(isDuplicateKeyError(new Error('connection closed'))).toBe(false);
    expect(isDuplicateKeyError(null)).toBe(false);
    expect(isDuplicateKeyError('E11000')).toBe(false);
  });
});

describe('deterministic ids', () => {
  it('are stable per key and differ between keys and kinds', () => {
    expect(eventId('c', 1).equals(eventId('c', 1))).toBe(true);
    expect(eventId('c', 1).equals(eventId('c', 2))).toBe(false);
    expect(keyId('a', 'b\u0000c').equals(keyId('a', 'b', 'c'))).toBe(true); // documented: NUL joins the parts
    expect(keyId('event', 'c', 1).equals(keyId('member', 'c', '1'))).toBe(false);
  });
});

describe('conversation step', () => {
  it('matches what the reference store does to the conversation', async () => {
    const memory = createMemoryStore();
    const { conversation } = await memory.createConversation(groupInput('g', ['ann', 'bob'], 1));
    let current = { ...conversation };
    const drafts = [
      messageDraft({ conversationId: 'g', senderId: 'ann', at: 2, text: 'hi' }),
      { type: 'member.joined', conversationId: 'g', actorId: 'ann', at: 3, userId: 'cy', role: 'member' },
      { type: 'message.edited', conversationId: 'g', actorId: 'ann', at: 4, target: 2, text: 'hello' },
      { type: 'conversation.updated', conversationId: 'g', actorId: 'ann', at: 5, changes: { title: 'T', messageTtlSeconds: 9 } },
      { type: 'member.left', conversationId: 'g', actorId: 'bob', at: 6, userId: 'bob', removed: false },
      { type: 'message.deleted', conversationId: 'g', actorId: 'ann', at: 7, target: 2 },
    ] as const;
    for (const draft of drafts) {
      const result = await memory.append({ draft: draft as never });
      const target = 'target' in result.event ? await memory.getMessage('g', result.event.target) : null;
      const stored = target && result.event.type === 'message.deleted' ? { ...target, deletedAt: result.event.at } : target;
      const step = nextConversation(current, result.event as ConversationEvent, stored);
      expect(step.conversation).toEqual(result.conversation);
      current = step.conversation;
    }
  });
});

describe('index specs', () => {
  it('key every per-conversation index by conversationId first, and keep the arbiters unique', () => {
    const specs = indexSpecs();
    for (const name of ['events', 'members']) {
      for (const spec of specs[name]!) {
        if (spec.name === 'message_text' || spec.name === 'deleted_at' || spec.name?.startsWith('user_')) continue;
        expect(Object.keys(spec.key)[0], `${name}.${spec.name}`).toBe('conversationId');
      }
    }
    const unique = (col: string, name: string) => specs[col]!.find((s) => s.name === name)?.unique;
    expect(unique('events', 'conversation_seq')).toBe(true);
    expect(unique('events', 'conversation_sender_client')).toBe(true);
    expect(unique('members', 'conversation_user')).toBe(true);
    expect(specs.events!.some((s) => s.name === 'message_text')).toBe(true);
    expect(indexSpecs({ textIndex: false }).events!.some((s) => s.name === 'message_text')).toBe(false);
  });
});

describe('keyed queue', () => {
  it('runs tasks of one key one at a time in order, other keys in parallel, and survives failures', async () => {
    const q = createKeyedQueue();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const task = (name: string, fail = false) => async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      log.push(name);
      running -= 1;
      if (fail) throw new Error(name);
      return name;
    };
    const a = [q.run('a', task('a1')), q.run('a', task('a2', true)).catch(() => 'failed'), q.run('a', task('a3'))];
    const b = q.run('b', task('b1'));
    expect(await Promise.all([...a, b])).toEqual(['a1', 'failed', 'a3', 'b1']);
    expect(log.filter((x) => x.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(maxRunning).toBe(2);
  });
});
