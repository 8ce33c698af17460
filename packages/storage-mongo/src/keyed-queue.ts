/**
 * Runs tasks one at a time per key, in arrival order; different keys run in parallel. Used to
 * serialize one process's appends to one conversation: they would otherwise race for the same seq
 * and mostly lose (the database still arbitrates between processes).
 */
export interface KeyedQueue {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

/** A new {@link KeyedQueue}. Keys are forgotten when their last task settles. */
export function createKeyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(task, task);
      const tail = result.catch(() => undefined);
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}
