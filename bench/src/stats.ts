/** Small statistics helpers: percentiles, medians, timing. */

/** The p-th percentile (0..100) of the values, nearest-rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median of the values. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Latency summary in milliseconds. */
export interface Latency {
  p50: number;
  p99: number;
  samples: number;
}

/** Summarise latencies (ms). */
export function latency(values: readonly number[]): Latency {
  return { p50: percentile(values, 50), p99: percentile(values, 99), samples: values.length };
}

/** Milliseconds elapsed while `fn` runs (high resolution). */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** A deterministic pseudo-random generator (mulberry32), so runs pick the same samples. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Round to a few significant digits for reports. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const scale = 10 ** Math.max(0, digits - Math.ceil(Math.log10(Math.abs(value))));
  return Math.round(value * scale) / scale;
}
