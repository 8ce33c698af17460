/**
 * The end-to-end loops of issue 14, run inside a load generator: pairs of users (sender `a<i>`,
 * receiver `b<i>`, one direct conversation each), every message carrying a unique key as its text.
 *
 * - Closed loop: each sender sends its next message when its peer received the previous one
 *   (or when the previous one was refused, errored or timed out). Throughput counts messages
 *   received inside the window.
 * - Open loop: `rate` msgs/s offered regardless of answers, round-robin over the pairs; goodput
 *   counts messages sent inside the window and received within `deadlineMs` of their send.
 *
 * Every message is accounted for: received once (duplicates and deliveries to the wrong peer are
 * counted), refused with a retryable error, errored, or timed out; acked messages never received
 * are `lost`.
 */
import type { LoopConn, SendReply } from './loop-conn.js';
import type { LoopStats } from './messages.js';

/** One pair of a loop. */
export interface LoopPair {
  index: number;
  conversationId: string;
  a: LoopConn;
  b: LoopConn;
}

/** What to run. */
export interface LoopSpec {
  mode: 'closed' | 'open';
  seconds: number;
  /** Open loop: messages per second offered by this process. */
  rate: number;
  deadlineMs: number;
}

type Fate = 'pending' | 'acked' | 'refused' | 'error';

interface Sent {
  pair: number;
  at: number;
  fate: Fate;
  /** Arrival latency (ms), once received. */
  latency?: number;
}

const now = (): number => performance.now();
/** Keys of every message this process ever sent, so a straggler from an earlier run is recognised as such. */
const everSent = new Set<string>();
const counters = new Map<number, number>();

/** A retryable refusal, as the issue defines it: `RATE_LIMITED` or `UNAVAILABLE` with `retryAfterMs`. */
export const isRefusal = (r: SendReply): boolean => !r.ok && (r.code === 'RATE_LIMITED' || r.code === 'UNAVAILABLE') && r.retryAfterMs !== undefined;

/** Run one loop over `pairs` and count what happened to every message. */
export async function runLoop(pairs: LoopPair[], spec: LoopSpec): Promise<LoopStats> {
  const sent = new Map<string, Sent>();
  const received = new Set<string>();
  const errors: Record<string, number> = {};
  let duplicates = 0;
  let unexpected = 0;
  let stale = 0;
  let arrivedInWindow = 0;
  const start = now();
  const windowEnd = start + spec.seconds * 1000;
  const outstanding = new Map<number, string>();
  let stopped = false;

  const sendOne = (p: LoopPair): string => {
    const n = (counters.get(p.index) ?? 0) + 1;
    counters.set(p.index, n);
    const key = `K${p.index}.${n}`;
    const entry: Sent = { pair: p.index, at: now(), fate: 'pending' };
    sent.set(key, entry);
    everSent.add(key);
    p.a.send(p.conversationId, key, (r) => {
      entry.fate = r.ok ? 'acked' : isRefusal(r) ? 'refused' : 'error';
      if (!r.ok && entry.fate === 'error') errors[r.code ?? 'UNKNOWN'] = (errors[r.code ?? 'UNKNOWN'] ?? 0) + 1;
      if (!r.ok && spec.mode === 'closed' && outstanding.get(p.index) === key) {
        outstanding.delete(p.index);
        setTimeout(() => next(p), Math.max(1, r.retryAfterMs ?? 10));
      }
    });
    return key;
  };
  const next = (p: LoopPair): void => {
    if (stopped || now() >= windowEnd) return;
    outstanding.set(p.index, sendOne(p));
  };

  for (const p of pairs) {
    p.b.onMessage((key) => {
      const entry = sent.get(key);
      if (!entry) {
        if (everSent.has(key)) stale++;
        else unexpected++;
        return;
      }
      if (entry.pair !== p.index) {
        unexpected++;
        return;
      }
      if (received.has(key)) {
        duplicates++;
        return;
      }
      received.add(key);
      const t = now();
      entry.latency = t - entry.at;
      if (t <= windowEnd && entry.latency <= spec.deadlineMs) arrivedInWindow++;
      if (spec.mode === 'closed' && outstanding.get(p.index) === key) {
        outstanding.delete(p.index);
        next(p);
      }
    });
  }

  let timer: NodeJS.Timeout;
  if (spec.mode === 'closed') {
    for (const p of pairs) next(p);
    // A message that never arrives must not stall its pair: after the deadline, send the next one.
    timer = setInterval(() => {
      const t = now();
      for (const p of pairs) {
        const key = outstanding.get(p.index);
        if (key !== undefined && t - sent.get(key)!.at > spec.deadlineMs) {
          outstanding.delete(p.index);
          next(p);
        }
      }
    }, 50);
  } else {
    let issued = 0;
    let rr = 0;
    timer = setInterval(() => {
      const t = Math.min(now(), windowEnd);
      const due = Math.floor(((t - start) * spec.rate) / 1000) - issued;
      for (let k = 0; k < due; k++, issued++) sendOne(pairs[rr++ % pairs.length]!);
    }, 2);
  }
  await new Promise((r) => setTimeout(r, spec.seconds * 1000));
  clearInterval(timer);
  // Drain: wait for what is still in flight, at most the deadline.
  const drainEnd = now() + spec.deadlineMs + 250;
  while (now() < drainEnd && [...sent.values()].some((s) => s.latency === undefined && (s.fate === 'pending' || s.fate === 'acked'))) {
    await new Promise((r) => setTimeout(r, 25));
  }
  stopped = true;
  for (const p of pairs) p.b.onMessage(() => undefined);

  const stats: LoopStats = {
    sent: sent.size, acked: 0, received: received.size, onTime: 0, late: 0, duplicates, unexpected, stale, refused: 0, errors,
    timeouts: 0, lost: 0, latencies: [], windowMs: windowEnd - start,
  };
  for (const s of sent.values()) {
    if (s.fate === 'acked') stats.acked++;
    if (s.fate === 'acked' && s.latency === undefined) stats.lost++;
    if (s.fate === 'refused') stats.refused++;
    if (s.fate === 'refused' || s.fate === 'error') continue;
    if (s.latency === undefined || s.latency > spec.deadlineMs) stats.timeouts++;
    if (s.latency !== undefined && s.latency > spec.deadlineMs) stats.late++;
    if (s.latency !== undefined) stats.latencies.push(s.latency);
    if (s.latency !== undefined && s.latency <= spec.deadlineMs) stats.onTime++;
  }
  if (spec.mode === 'closed') stats.onTime = arrivedInWindow;
  return stats;
}
