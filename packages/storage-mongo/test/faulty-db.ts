/** A `Db` wrapper that lets a test intercept collection calls to inject faults. */
import type { Db } from 'mongodb';

/**
 * Called instead of `collection.method(...args)`; `real` runs the real call. Return `undefined`
 * from `intercept` to leave a call alone.
 */
export type Interceptor = (call: { collection: string; method: string; args: unknown[]; real: () => Promise<unknown> }) => Promise<unknown> | undefined;

/** `db` with every collection method routed through `intercept`. */
export function faultyDb(db: Db, intercept: Interceptor): Db {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'collection') return Reflect.get(target, prop, receiver);
      return (name: string, ...rest: unknown[]) => {
        const col = (target.collection as (...a: unknown[]) => object)(name, ...rest);
        return new Proxy(col, {
          get(c, method, r) {
            const value = Reflect.get(c, method, r);
            if (typeof value !== 'function' || typeof method !== 'string') return value;
            return (...args: unknown[]) => {
              const real = () => value.apply(c, args) as Promise<unknown>;
              return intercept({ collection: name, method, args, real }) ?? value.apply(c, args);
            };
          },
        });
      };
    },
  });
}

/** An interceptor that runs `run` for the first call matching `match` only. */
export function firstMatch(match: (call: Parameters<Interceptor>[0]) => boolean, run: Interceptor): Interceptor {
  let fired = false;
  return (call) => {
    if (fired || !match(call)) return undefined;
    fired = true;
    return run(call);
  };
}

/** The insert of an event document (the commit point of an append). */
export const eventInsert = (call: Parameters<Interceptor>[0]): boolean => call.collection.endsWith('events') && call.method === 'insertOne';

/** An error shaped like the driver's duplicate-key `MongoServerError`. */
export function duplicateKeyError(index: string): Error {
  return Object.assign(new Error(`E11000 duplicate key error collection: test index: ${index}`), {
    name: 'MongoServerError',
    code: 11000,
    codeName: 'DuplicateKey',
  });
}

/** An error shaped like a dropped connection. */
export function networkError(): Error {
  return Object.assign(new Error('connection 3 to 127.0.0.1 closed'), { name: 'MongoNetworkError' });
}
