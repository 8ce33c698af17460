/**
 * Internal: one ordered queue. Pushes, syncs, gap fetches, `open` and `loadOlder` run through it
 * one at a time, so local state is only ever changed by one of them; a failed job does not stop
 * the ones after it.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(job);
    this.#tail = run.catch(() => {});
    return run;
  }
}
