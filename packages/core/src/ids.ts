/** Source of new identifiers. */
export interface IdGenerator {
  /** A new unique id (UUIDv7 by default: time-ordered, so ids sort by creation). */
  next(): string;
}

/** Source of time, in ms since the epoch. Inject one in tests to control time. */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** UUIDv7 (RFC 9562): 48-bit ms timestamp, version 7, variant 10, random rest; monotonic within a ms. */
export function createUuidV7(clock: Clock = systemClock): IdGenerator {
  let lastMs = -1;
  let counter = 0;
  return {
    next() {
      const bytes = new Uint8Array(16);
      globalThis.crypto.getRandomValues(bytes);
      let ms = clock.now();
      if (ms <= lastMs) {
        ms = lastMs;
        counter = (counter + 1) & 0xfff;
        if (counter === 0) ms = lastMs = lastMs + 1;
      } else {
        lastMs = ms;
        counter = bytes[6]! & 0x07;
      }
      for (let i = 5; i >= 0; i--) {
        bytes[i] = ms % 256;
        ms = Math.floor(ms / 256);
      }
      bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
      bytes[7] = counter & 0xff;
      bytes[8] = (bytes[8]! & 0x3f) | 0x80;
      const h = hex(bytes);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  };
}
