import { useRef, useSyncExternalStore } from 'react';
import type { View } from '@parley/client';

/** Tells whether two selections are the same, so the component need not re-render. */
export type Equality<S> = (a: S, b: S) => boolean;

interface Memo<T, S> {
  snapshot: T;
  selector: (snapshot: T) => S;
  selection: S;
}

const noSubscription = (): (() => void) => () => {};
const identity = <T>(value: T): T => value;

/**
 * Read a client {@link View} through `useSyncExternalStore`, re-rendering only when the
 * selected slice changes.
 *
 * - `selector` picks the slice; it may be an inline function. It runs again when the snapshot or
 *   the selector changes, and when `isEqual(previous, next)` holds the previous selection is
 *   returned, so the component keeps the same reference and does not re-render.
 * - `initial` is the state before there is any: it is what the server renders and what
 *   hydration starts from (`getServerSnapshot`), and what is shown while `view` is null (no
 *   client). It must be a constant (or memoised): hydration compares it with what the server
 *   rendered.
 *
 * Every Parley hook is this over one of the client's views. A view the client gains later (for
 * example threads) becomes a hook the same way: `useViewSelector(client?.thread(id) ?? null,
 * EMPTY_THREAD, selector, isEqual)`.
 */
export function useViewSelector<T, S>(view: View<T> | null, initial: T, selector: (snapshot: T) => S, isEqual: Equality<S> = Object.is): S {
  const client = useRef<Memo<T, S> | undefined>(undefined);
  const server = useRef<Memo<T, S> | undefined>(undefined);
  const select = (memo: { current: Memo<T, S> | undefined }, snapshot: T): S => {
    const last = memo.current;
    if (last && last.snapshot === snapshot && last.selector === selector) return last.selection;
    const next = selector(snapshot);
    const selection = last && isEqual(last.selection, next) ? last.selection : next;
    memo.current = { snapshot, selector, selection };
    return selection;
  };
  return useSyncExternalStore(
    view ? view.subscribe : noSubscription,
    () => select(client, view ? view.getSnapshot() : initial),
    () => select(server, initial),
  );
}

/** The whole snapshot of a {@link View}; see {@link useViewSelector}. */
export function useView<T>(view: View<T> | null, initial: T): T {
  return useViewSelector(view, initial, identity<T>);
}

/**
 * Equal when both are the same value, or arrays/plain objects whose items or own properties are
 * `Object.is`-equal one level deep. For selectors that build a new array or object each time.
 */
export function shallowEqual<S>(a: S, b: S): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
