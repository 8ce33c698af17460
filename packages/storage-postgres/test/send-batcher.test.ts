import { isChatError } from '@parley/core';
import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/send-batcher.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

/** A batch runner that records batches and answers after `ms`, failing items named 'bad'. */
function recorder(ms = 5) {
  const batches: string[][] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const run = async (items: string[]) => {
    batches.push(items);
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await new Promise((r) => setTimeout(r, ms));
    concurrent--;
    return items.map((i) => (i.endsWith('bad') ? new Error(`refused ${i}`) : `ok ${i}`));
  };
  return { run, batches, max: () => maxConcurrent };
}

describe('Batcher (group commit of sends)', () => {
  it('sends submitted together leave in one batch, each with its own result or error', async () => {
    const r = recorder();
    const b = new Batcher(r.run);
    const results = await Promise.allSettled(['a1', 'a2bad', 'b1', 'a3'].map((i) => b.submit(i[0]!, i)));
    expect(r.batches).toEqual([['a1', 'a2bad', 'b1', 'a3']]);
    expect(results.map((x) => (x.status === 'fulfilled' ? x.value : (x.reason as Error).message))).toEqual(['ok a1', 'refused a2bad', 'ok b1', 'ok a3']);
  });

  it('a key is never in two batches in flight: later items of it wait, other keys go ahead', async () => {
    const r = recorder(20);
    const b = new Batcher(r.run, { maxInFlight: 4 });
    const first = b.submit('x', 'x1');
    await tick();
    const later = [b.submit('x', 'x2'), b.submit('y', 'y1'), b.submit('x', 'x3')];
    await Promise.all([first, ...later]);
    expect(r.batches).toEqual([['x1'], ['y1'], ['x2', 'x3']]);
  });

  it('keeps at most maxInFlight batches running and batches what waits meanwhile', async () => {
    const r = recorder(10);
    const b = new Batcher(r.run, { maxInFlight: 2, maxBatch: 3 });
    const jobs: Array<Promise<string>> = [];
    for (let i = 0; i < 12; i++) {
      jobs.push(b.submit(`k${i}`, `k${i}`));
      if (i % 2 === 1) await tick();
    }
    await Promise.all(jobs);
    expect(r.max()).toBeLessThanOrEqual(2);
    expect(r.batches.flat().sort()).toEqual(jobs.map((_, i) => `k${i}`).sort());
    expect(r.batches.length).toBeLessThan(12);
  });

  it('refuses at once, with retryAfterMs, beyond maxQueued; nothing queued is lost', async () => {
    const r = recorder(20);
    const b = new Batcher(r.run, { maxInFlight: 1, maxQueued: 3 });
    const accepted = [b.submit('a', 'a1')];
    await tick(); // a1 in flight
    accepted.push(b.submit('a', 'a2'), b.submit('b', 'b1'), b.submit('c', 'c1'));
    const refused = await b.submit('d', 'd1').catch((e: unknown) => e);
    expect(isChatError(refused, 'UNAVAILABLE')).toBe(true);
    expect((refused as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);
    expect(await Promise.all(accepted)).toEqual(['ok a1', 'ok a2', 'ok b1', 'ok c1']);
  });

  it('a send that waited longer than maxWaitMs is refused (retryable), and so are later sends of its key', async () => {
    const r = recorder(40);
    const b = new Batcher(r.run, { maxInFlight: 1, maxWaitMs: 10 });
    const inFlight = b.submit('a', 'a1');
    await tick();
    const waiting = [b.submit('b', 'b1'), b.submit('b', 'b2')];
    const outcomes = await Promise.allSettled([inFlight, ...waiting]);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'ok a1' });
    for (const o of outcomes.slice(1)) expect(o.status === 'rejected' && isChatError(o.reason, 'UNAVAILABLE')).toBe(true);
  });

  it('when the batch itself fails, every item of it gets that error and the batcher goes on', async () => {
    let calls = 0;
    const b = new Batcher<string, string>(async (items) => {
      if (calls++ === 0) throw new Error('connection lost');
      return items.map((i) => `ok ${i}`);
    });
    const failed = await Promise.allSettled([b.submit('a', 'a1'), b.submit('b', 'b1')]);
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    expect(await b.submit('a', 'a2')).toBe('ok a2');
  });
});
