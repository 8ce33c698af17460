/** Reconnect timing. Every field has a default. */
export interface BackoffOptions {
  /** First delay ceiling in ms. Default 500. */
  baseMs?: number;
  /** Largest delay ceiling in ms. Default 30 000. */
  capMs?: number;
  /** A connection that stayed up this long resets the attempt counter. Default 10 000. */
  stableAfterMs?: number;
  /** Delay ceiling after the server said "too many connections" (close 4008) or "policy violation" (4029). Default 60 000. */
  penaltyMs?: number;
}

/** {@link BackoffOptions} with every default filled in. */
export type ResolvedBackoff = Required<BackoffOptions>;

/** Fill in the defaults of {@link BackoffOptions}. */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  return { baseMs: 500, capMs: 30_000, stableAfterMs: 10_000, penaltyMs: 60_000, ...options };
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base * 2^attempt)).
 * Full jitter spreads a crowd of clients that lost the same server, so they do not return in step.
 * `attempt` counts from 0. `random` is injectable for tests.
 */
export function backoffDelay(attempt: number, options: ResolvedBackoff, random: () => number = Math.random): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * The delay before reconnecting after the server closed with `code`: at least half the penalty
 * for 4008/4029 (so a misbehaving client cannot hammer the server), plain backoff otherwise.
 */
export function reconnectDelay(attempt: number, code: number, options: ResolvedBackoff, random: () => number = Math.random): number {
  if (code === 4008 || code === 4029) return Math.floor(options.penaltyMs / 2 + random() * (options.penaltyMs / 2));
  return backoffDelay(attempt, options, random);
}
