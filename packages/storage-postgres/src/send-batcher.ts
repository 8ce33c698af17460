import { ChatError } from '@parley/core';

/** Tuning of the group commit of sends. Every field has a default in {@link DEFAULT_BATCHING}. */
export interface BatchingOptions {
  /** Most sends in one batch (one statement, one commit). Default 128. */
  maxBatch: number;
  /**
   * Batches in flight at once (each on its own pool connection). Keep it below the pool size so
   * reads find a connection. Default 4.
   */
  maxInFlight: number;
  /**
   * Sends waiting for a batch. One more is refused at once with `UNAVAILABLE` and a `retryAfterMs`
   * (the client's outbox retries it), instead of queueing work the client will have given up on.
   * Default 4,096.
   */
  maxQueued: number;
  /** A send that waited this long for a batch is refused the same way rather than written late. Default 5 s. */
  maxWaitMs: number;
}

/** The defaults of {@link BatchingOptions}. */
export const DEFAULT_BATCHING: Readonly<BatchingOptions> = Object.freeze({ maxBatch: 128, maxInFlight: 4, maxQueued: 4096, maxWaitMs: 5000 });

interface Pending<I, O> {
  key: string;
  item: I;
  since: number;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects concurrent submissions into batches and runs `run` on each batch. Under light load a
 * batch holds one item and leaves at once (no added latency); while batches are in flight, new
 * items wait and leave together. Items with the same key (a conversation) are never in two batches
 * in flight at once, so their batches commit in submission order: per-conversation arrival order
 * is seq order. `run` returns one result per item, in order; an item's result may be an Error,
 * which rejects that item alone. If `run` throws, every item of the batch is rejected with it.
 */
export class Batcher<I, O> {
  readonly #run: (items: I[]) => Promise<Array<O | Error>>;
  readonly #options: BatchingOptions;
  #queue: Array<Pending<I, O>> = [];
  #busy = new Set<string>();
  #inFlight = 0;
  #scheduled = false;
  /** Moving average of a batch's duration, for the retry hint of refused items. */
  #batchMs = 5;

  constructor(run: (items: I[]) => Promise<Array<O | Error>>, options: Partial<BatchingOptions> = {}) {
    this.#run = run;
    this.#options = { ...DEFAULT_BATCHING, ...options };
  }

  /** Items waiting for a batch. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Submit an item; resolves with its own result. */
  submit(key: string, item: I): Promise<O> {
    if (this.#queue.length >= this.#options.maxQueued) return Promise.reject(this.#busyError());
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ key, item, since: Date.now(), resolve, reject });
      this.#schedule();
    });
  }

  #busyError(): ChatError {
    const waves = Math.ceil(this.#queue.length / (this.#options.maxBatch * this.#options.maxInFlight));
    const retryAfterMs = Math.max(50, Math.min(10_000, Math.round(waves * this.#batchMs)));
    return new ChatError('UNAVAILABLE', 'the server is at capacity; retry shortly', { retryAfterMs });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#options.maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    // Every submission of the current synchronous run joins the batch. A microtask, not a timer:
    // a caller that keeps the microtask queue busy (a read loop on embedded PGlite) must not
    // starve the flush. Under load, batches form while earlier ones are in flight.
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#queue.length > 0) {
      const batch = this.#take();
      if (batch.length === 0) return;
      this.#inFlight++;
      void this.#execute(batch);
    }
  }

  /** The next batch: oldest first, skipping keys already in flight (and everything after them with that key). */
  #take(): Array<Pending<I, O>> {
    const batch: Array<Pending<I, O>> = [];
    const rest: Array<Pending<I, O>> = [];
    const now = Date.now();
    const blocked = new Set(this.#busy);
    // once one item of a key is refused for waiting too long, its later items are too (order)
    const expired = new Set<string>();
    for (const p of this.#queue) {
      if (expired.has(p.key) || (!blocked.has(p.key) && now - p.since > this.#options.maxWaitMs)) {
        expired.add(p.key);
        p.reject(this.#busyError());
      } else if (batch.length >= this.#options.maxBatch || blocked.has(p.key)) {
        rest.push(p);
        blocked.add(p.key);
      } else {
        batch.push(p);
      }
    }
    this.#queue = rest;
    for (const p of batch) this.#busy.add(p.key);
    return batch;
  }

  async #execute(batch: Array<Pending<I, O>>): Promise<void> {
    const started = Date.now();
    try {
      const results = await this.#run(batch.map((p) => p.item));
      batch.forEach((p, i) => {
        const r = results[i];
        if (r instanceof Error) p.reject(r);
        else if (r === undefined) p.reject(new ChatError('INTERNAL', 'the batch returned no result for a send'));
        else p.resolve(r);
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.#batchMs = this.#batchMs * 0.8 + (Date.now() - started) * 0.2;
      for (const p of batch) this.#busy.delete(p.key);
      this.#inFlight--;
      this.#schedule();
    }
  }
}
