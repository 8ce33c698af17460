import { describe, expect, it } from 'vitest';
import { parseLsn, PrimaryFloor } from '../src/replica-position.js';

describe('WAL positions', () => {
  it('compare as numbers across the high word', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(parseLsn('A/10') > parseLsn('9/FFFFFF00')).toBe(true);
    expect(() => parseLsn('garbage')).toThrow(/pg_lsn/);
  });
});

describe('the floor of a node', () => {
  /** A primary whose position the test moves, answering each fetch when told to. */
  function primary() {
    let position = 100n;
    const pending: Array<() => void> = [];
    let fetches = 0;
    const floor = new PrimaryFloor(() => {
      fetches += 1;
      const at = position; // the position when the query ran
      return new Promise<bigint>((resolve) => pending.push(() => resolve(at)));
    });
    return {
      floor,
      move: (to: bigint) => void (position = to),
      answer: () => pending.splice(0).forEach((f) => f()),
      fetches: () => fetches,
    };
  }

  it('is fetched once for every read waiting at the same moment, and not again until something settles', async () => {
    const p = primary();
    const reads = [p.floor.current(), p.floor.current(), p.floor.current()];
    p.answer();
    expect(await Promise.all(reads)).toEqual([100n, 100n, 100n]);
    expect(await p.floor.current()).toBe(100n);
    expect(p.fetches()).toBe(1);
  });

  it('never reuses a fetch that started before a write settled', async () => {
    const p = primary();
    const early = p.floor.current(); // fetch 1 runs at position 100
    p.move(200n); // a write commits…
    p.floor.dirty(); // …and settles after fetch 1 started
    const late = p.floor.current(); // must not be answered by fetch 1
    expect(p.fetches()).toBe(2);
    p.answer();
    expect(await early).toBe(100n);
    expect(await late).toBe(200n);
  });

  it('never moves back when an older fetch answers last', async () => {
    let resolveOld!: (v: bigint) => void;
    let resolveNew!: (v: bigint) => void;
    let n = 0;
    const floor = new PrimaryFloor(() => new Promise<bigint>((resolve) => (n++ === 0 ? (resolveOld = resolve) : (resolveNew = resolve))));
    const old = floor.current();
    floor.dirty();
    const fresh = floor.current();
    resolveNew(300n);
    expect(await fresh).toBe(300n);
    resolveOld(100n);
    expect(await old).toBe(300n);
    expect(await floor.current()).toBe(300n);
  });
});
