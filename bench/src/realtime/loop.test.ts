/**
 * The loop's accounting must catch what it claims to catch: a peer that misbehaves in a known way
 * (duplicates, drops, misdelivers, refuses, never answers) must show up in exactly the right counter.
 * The peers here are scripted on purpose: no real server produces these faults on demand.
 * A second test drives a real Parley server process (in-memory store) over real sockets.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import type { LoopConn, SendReply } from './loop-conn.js';
import { openLoopConn } from './loop-conn.js';
import { runLoop } from './loop.js';
import type { LoopPair } from './loop.js';
import type { ServerReady } from './messages.js';
import { nextMessage, spawnChild, stopChild } from './procs.js';

type Fault = 'none' | 'duplicate' | 'drop' | 'misdeliver' | 'refuse' | 'silent';

/** Pairs whose server is this function: a send is acked after 1 ms and delivered after 2 ms, unless a fault applies. */
function scriptedPairs(count: number, fault: (pair: number, n: number) => Fault): LoopPair[] {
  const receivers: Array<(key: string) => void> = [];
  const sent = new Map<number, number>();
  return Array.from({ length: count }, (_, index) => {
    const b: LoopConn = { send: () => undefined, onMessage: (fn) => (receivers[index] = fn), close: () => undefined };
    const a: LoopConn = {
      send(_conversationId: string, key: string, reply: (r: SendReply) => void) {
        const n = (sent.get(index) ?? 0) + 1;
        sent.set(index, n);
        const f = fault(index, n);
        if (f === 'silent') return;
        if (f === 'refuse') return void setTimeout(() => reply({ ok: false, code: 'RATE_LIMITED', retryAfterMs: 5 }), 1);
        setTimeout(() => reply({ ok: true }), 1);
        if (f === 'drop') return;
        const to = f === 'misdeliver' ? (index + 1) % count : index;
        setTimeout(() => receivers[to]?.(key), 2);
        if (f === 'duplicate') setTimeout(() => receivers[to]?.(key), 3);
      },
      onMessage: () => undefined,
      close: () => undefined,
    };
    return { index, conversationId: `c${index}`, a, b };
  });
}

describe('loop accounting', () => {
  it('a faultless closed loop: every message sent, acked and received once', async () => {
    const s = await runLoop(scriptedPairs(4, () => 'none'), { mode: 'closed', seconds: 0.3, rate: 0, deadlineMs: 200 });
    expect(s.sent).toBeGreaterThan(20);
    expect(s.received).toBe(s.sent);
    expect(s.acked).toBe(s.sent);
    expect([s.duplicates, s.unexpected, s.lost, s.refused, s.timeouts, s.late]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(s.latencies.length).toBe(s.sent);
  });

  it('counts duplicates, lost, misdelivered, refused and silent sends each in its own counter', async () => {
    // Pair 0: the 3rd message is delivered twice; the 5th is acked but never delivered; the 7th is refused; the 9th is never answered.
    // Pair 1's 4th message goes to pair 0's receiver.
    const fault = (pair: number, n: number): Fault =>
      pair === 0 ? ({ 3: 'duplicate', 5: 'drop', 7: 'refuse', 9: 'silent' } as Record<number, Fault>)[n] ?? 'none' : pair === 1 && n === 4 ? 'misdeliver' : 'none';
    const s = await runLoop(scriptedPairs(2, fault), { mode: 'closed', seconds: 0.8, rate: 0, deadlineMs: 100 });
    expect(s.duplicates).toBe(1);
    expect(s.lost).toBe(2); // the dropped one, and pair 1's misdelivered one never reached its own peer
    expect(s.unexpected).toBe(1);
    expect(s.refused).toBe(1);
    expect(s.timeouts).toBe(3); // dropped, misdelivered, silent: not refused and not received in time
    expect(s.acked).toBe(s.sent - 2); // the refused and the silent one
  });

  it('open loop: offers the rate whatever the answers and counts refusals apart from timeouts', async () => {
    const s = await runLoop(scriptedPairs(5, (_, n) => (n % 2 === 0 ? 'refuse' : n % 3 === 0 ? 'silent' : 'none')), { mode: 'open', seconds: 0.5, rate: 400, deadlineMs: 100 });
    expect(s.sent).toBeGreaterThanOrEqual(190);
    expect(s.sent).toBeLessThanOrEqual(201);
    expect(s.refused + s.timeouts + s.onTime).toBe(s.sent);
    expect(s.refused).toBeGreaterThan(80);
    expect(s.timeouts).toBeGreaterThan(20);
    expect(s.duplicates + s.unexpected + s.lost).toBe(0);
  });
});

describe('loop against a real Parley server (in-memory store)', () => {
  let server: ChildProcess | undefined;
  afterAll(async () => {
    if (server) await stopChild(server);
  });

  it('every message sent over the wire is received exactly once by its peer', async () => {
    server = spawnChild('./server-proc.ts', ['parley', '0', '4', 'memory', JSON.stringify({ load: true })]);
    const ready = await nextMessage<ServerReady>(server, (m) => m.type === 'ready', 60_000);
    const pairs: LoopPair[] = [];
    for (let index = 0; index < 4; index++) {
      pairs.push({ index, conversationId: ready.pairIds[index]!, a: await openLoopConn('parley', ready.port, `a${index}`), b: await openLoopConn('parley', ready.port, `b${index}`) });
    }
    const s = await runLoop(pairs, { mode: 'closed', seconds: 0.5, rate: 0, deadlineMs: 2000 });
    for (const p of pairs) {
      p.a.close();
      p.b.close();
    }
    expect(s.sent).toBeGreaterThan(10);
    expect(s.received).toBe(s.sent);
    expect(s.acked).toBe(s.sent);
    expect([s.duplicates, s.unexpected, s.lost, s.refused, s.timeouts]).toEqual([0, 0, 0, 0, 0]);
  }, 90_000);
});
