import { describe, expect, it } from 'vitest';
import { createUuidV7 } from './ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10, the clock in the first 48 bits', () => {
    const at = Date.UTC(2030, 5, 1, 12, 0, 0, 123);
    const id = createUuidV7({ now: () => at }).next();
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('is strictly increasing within one millisecond, across milliseconds and when the clock goes back', () => {
    let t = 1_700_000_000_000;
    const ids = createUuidV7({ now: () => t });
    const out: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i % 1000 === 999) t += 1;
      if (i === 2500) t -= 50;
      out.push(ids.next());
    }
    for (let i = 1; i < out.length; i++) expect(out[i]! > out[i - 1]!, `${out[i - 1]} then ${out[i]}`).toBe(true);
    expect(new Set(out).size).toBe(out.length);
    for (const id of out) expect(id).toMatch(UUID_V7);
  });
});
