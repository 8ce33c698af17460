import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { MessagesSnapshot, ParleyClient } from '@parley/client';
import { initialMessagesOf } from './initial.js';
import { useParleyClient } from './provider.js';
import { useViewSelector, type Equality } from './use-view.js';

/** Options of {@link useMessages}. */
export interface UseMessagesOptions {
  /**
   * Hold the conversation while the component is mounted: `client.open(id)` on mount (loads the
   * newest page and keeps it current), `client.release(id)` after the last component holding it
   * unmounts. Default true; with false the hook only reads what something else opened.
   */
  open?: boolean;
}

/** What {@link useMessages} returns: the snapshot plus paging back. */
export interface MessagesState extends MessagesSnapshot {
  /** Load the page before the oldest message held. Never rejects: a failure is in `olderError`. */
  loadOlder(): Promise<void>;
  /** True while a `loadOlder` is in flight. */
  loadingOlder: boolean;
  /** Why the last `loadOlder` failed (a `ParleyError`), or null. */
  olderError: unknown;
}

/** Components holding each conversation, per client: release only when the last one unmounts. */
const holders = new WeakMap<ParleyClient, Map<string, number>>();

function hold(client: ParleyClient, conversationId: string): () => void {
  let counts = holders.get(client);
  if (!counts) holders.set(client, (counts = new Map()));
  counts.set(conversationId, (counts.get(conversationId) ?? 0) + 1);
  void client.open(conversationId);
  return () => {
    counts.set(conversationId, (counts.get(conversationId) ?? 1) - 1);
    // StrictMode (and a list re-keyed in one commit) unmounts and mounts again at once: wait a
    // microtask so that does not release and reload the conversation.
    queueMicrotask(() => {
      if ((counts.get(conversationId) ?? 0) > 0) return;
      counts.delete(conversationId);
      client.release(conversationId);
    });
  };
}

/**
 * The messages of a conversation: `{ messages, loaded, hasOlder, loadOlder, loadingOlder }`.
 * Each conversation has its own view, so a message arriving in one conversation re-renders only
 * the components of that conversation; rows keep their identity (`key` is stable across the ack).
 */
export function useMessages(conversationId: string, options: UseMessagesOptions = {}): MessagesState {
  const snapshot = useMessagesSelector(conversationId, (s) => s);
  const client = useParleyClient();
  const open = options.open ?? true;
  useEffect(() => (client && open ? hold(client, conversationId) : undefined), [client, conversationId, open]);

  const [older, setOlder] = useState<{ id: string; loading: boolean; error: unknown }>({ id: conversationId, loading: false, error: null });
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => void (mounted.current = false);
  }, []);
  const loadOlder = useCallback(async () => {
    if (!client) return;
    setOlder({ id: conversationId, loading: true, error: null });
    let error: unknown = null;
    try {
      await client.loadOlder(conversationId);
    } catch (e) {
      error = e;
    }
    if (mounted.current) setOlder({ id: conversationId, loading: false, error });
  }, [client, conversationId]);
  const mine = older.id === conversationId;
  const loadingOlder = mine && older.loading;
  const olderError = mine ? older.error : null;
  return useMemo(() => ({ ...snapshot, loadOlder, loadingOlder, olderError }), [snapshot, loadOlder, loadingOlder, olderError]);
}

/**
 * A slice of a conversation's messages, for components that need less than the whole list
 * (`(s) => s.messages.length`, the last message, one message by key). Does not open the
 * conversation: pair it with {@link useMessages} or `client.open(id)`.
 */
export function useMessagesSelector<S>(conversationId: string, selector: (snapshot: MessagesSnapshot) => S, isEqual?: Equality<S>): S {
  const client = useParleyClient();
  return useViewSelector(client?.messages(conversationId) ?? null, initialMessagesOf(conversationId), selector, isEqual);
}
