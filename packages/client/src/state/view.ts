/**
 * A readable piece of client state, shaped for React's `useSyncExternalStore`, Vue's
 * `shallowRef` + `watch`, or plain callbacks.
 */
export interface View<T> {
  /** Call `listener` after every change; returns the function that stops it. */
  subscribe(listener: () => void): () => void;
  /**
   * The current state: an immutable object that stays referentially equal until the state
   * changes, so `===` tells whether anything changed.
   */
  getSnapshot(): T;
}

/** Internal: a view whose snapshot is rebuilt lazily after `invalidate()`. */
export class Cell<T> implements View<T> {
  readonly #listeners = new Set<() => void>();
  readonly #build: () => T;
  #snapshot: T | undefined;
  #dirty = true;

  constructor(build: () => T) {
    this.#build = build;
  }

  subscribe = (listener: () => void): (() => void) => {
    const wrapped = () => listener();
    this.#listeners.add(wrapped);
    return () => void this.#listeners.delete(wrapped);
  };

  getSnapshot = (): T => {
    if (this.#dirty) {
      this.#snapshot = this.#build();
      this.#dirty = false;
    }
    return this.#snapshot as T;
  };

  /** Mark the snapshot stale and tell the listeners. */
  invalidate(): void {
    this.#dirty = true;
    for (const l of [...this.#listeners]) {
      try {
        l();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Number of listeners (for tests and leak checks). */
  get listenerCount(): number {
    return this.#listeners.size;
  }
}
