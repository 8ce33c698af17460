import type { ParleyClient } from '@parley/client';
import type { Conversation, ConversationEvent } from '@parley/protocol';
import { expect } from 'vitest';
import { clientFor, until, type Admin } from './support.js';

/** Message ids of the server's history, in seq order. */
export const messageIds = (events: ConversationEvent[]): string[] =>
  events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? e.message.id : ''));

/** Confirmed message ids a client holds, in the order it shows them. */
export const clientIds = (c: ParleyClient, conversationId: string): (string | null)[] =>
  c
    .messages(conversationId)
    .getSnapshot()
    .messages.filter((m) => m.seq !== null)
    .map((m) => m.id);

/** Users and one group with all of them; one client per user on `url` (the balancer: round robin). */
export async function groupWithClients(admin: Admin, url: string, tag: string, n: number, track: ParleyClient[]) {
  const users = Array.from({ length: n }, (_, i) => `${tag}-u${i}`);
  for (const id of users) await admin.chat.upsertUser({ id, displayName: id });
  const group: Conversation = await admin.chat.as(users[0]!).createGroup({ title: tag, memberIds: users.slice(1) });
  const cs = users.map((u) => clientFor(url, u));
  track.push(...cs);
  await Promise.all(cs.map((c) => c.ready()));
  await Promise.all(cs.map((c) => c.open(group.id)));
  return { users, group, cs };
}

/**
 * Every client sends a message every 25 ms for `durationMs`; `disrupt` runs at `disruptAtMs`.
 * Then: every send was acknowledged, the server holds exactly one message per send, every client
 * holds exactly the server's history, and no client reported an event twice or out of order.
 * Returns how many messages were sent.
 */
export async function loadWithDisruption(input: {
  admin: Admin;
  cs: ParleyClient[];
  users: string[];
  group: Conversation;
  durationMs: number;
  disruptAtMs: number;
  disrupt: () => Promise<void>;
}): Promise<number> {
  const { admin, cs, users, group } = input;
  const reported = cs.map(() => [] as number[]);
  cs.forEach((c, i) => c.on('event', (e) => e.conversationId === group.id && reported[i]!.push(e.seq)));
  const sends: Promise<unknown>[] = [];
  let stop = false;
  const load = cs.map(async (c, i) => {
    for (let k = 0; !stop; k++) {
      sends.push(c.send({ conversationId: group.id, text: `load ${i}.${k}` }).message);
      await new Promise((r) => setTimeout(r, 25));
    }
  });
  await new Promise((r) => setTimeout(r, input.disruptAtMs));
  await input.disrupt();
  await new Promise((r) => setTimeout(r, Math.max(0, input.durationMs - input.disruptAtMs)));
  stop = true;
  await Promise.all(load);
  const settled = await Promise.allSettled(sends);
  expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
  const history = await admin.history(group.id, users[0]!);
  const expected = messageIds(history);
  expect(expected.length).toBe(sends.length); // exactly once per send, retries included
  await until(() => cs.every((c) => clientIds(c, group.id).join() === expected.join()), 20_000, 'every client to hold exactly the server history');
  for (const seqs of reported) {
    expect(new Set(seqs).size).toBe(seqs.length); // nothing reported twice
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs); // in order
  }
  return sends.length;
}
