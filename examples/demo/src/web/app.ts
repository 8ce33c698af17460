/** The signed-in page: layout, render loop, and actions shared by the views. */
import { createClient, type ParleyClient } from '@parley/client';
import type { Call, ConversationEvent } from '@parley/protocol';
import { saveSession, type Session } from './api.js';
import { renderCallOverlay } from './calls.js';
import { renderConversation } from './conversation.js';
import { disablePush, initPush } from './push.js';
import { h, keepingFocus, patch } from './render.js';
import { renderSidebar } from './sidebar.js';
import { UserCache, type AppState } from './state.js';

/** What views get: the state, the user cache, and the actions. */
export interface App {
  state: AppState;
  users: UserCache;
  client: ParleyClient;
  me: string;
  /** Re-render on the next frame (coalesced). */
  render(): void;
  /** Open a conversation in the right pane. */
  open(conversationId: string, highlightSeq?: number): void;
  /** Show a short notice. */
  toast(text: string, kind?: 'info' | 'error'): void;
  /** Run an action, showing its error as a toast. */
  run<T>(action: () => Promise<T>): Promise<T | undefined>;
  /** Ask the server for a user's presence (once per connection); it then pushes changes. */
  watchPresence(userId: string): void;
  /** Sign out and go back to the sign-in screen. */
  signOut(): void;
}

/** Start the chat UI for a session inside `root`. `onSignOut` shows the sign-in screen again. */
export function startApp(root: HTMLElement, session: Session, onSignOut: () => void): App {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/parley`;
  // The token is sent in the first WebSocket frame, never in the URL.
  const client = createClient({ url, token: session.token });
  const state: AppState = {
    session,
    client,
    tab: 'chats',
    activeId: null,
    query: '',
    searchResults: null,
    replyTo: null,
    editing: null,
    menuFor: null,
    hidden: new Map(),
    highlight: null,
    calls: new Map(),
    push: 'unavailable',
    toasts: [],
  };
  let frame = 0;
  const watched = new Set<string>();
  let toastId = 0;
  const sidebarEl = h('aside.sidebar');
  const paneEl = h('main.pane');
  const overlayEl = h('div.overlay-root');
  const toastEl = h('div.toasts', { role: 'status', 'aria-live': 'polite' });

  const app: App = {
    state,
    client,
    me: session.user.id,
    users: undefined as unknown as UserCache,
    render() {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        draw();
      });
    },
    open(conversationId, highlightSeq) {
      if (state.activeId !== conversationId) {
        state.replyTo = null;
        state.editing = null;
        state.menuFor = null;
      }
      state.activeId = conversationId;
      state.highlight = highlightSeq ? { conversationId, seq: highlightSeq } : null;
      root.classList.add('show-pane');
      void client.open(conversationId);
      app.render();
    },
    toast(text, kind = 'info') {
      const id = ++toastId;
      state.toasts.push({ id, text, kind });
      app.render();
      setTimeout(() => {
        state.toasts = state.toasts.filter((t) => t.id !== id);
        app.render();
      }, kind === 'error' ? 6000 : 3500);
    },
    async run(action) {
      try {
        return await action();
      } catch (error) {
        app.toast(error instanceof Error ? error.message : String(error), 'error');
        return undefined;
      }
    },
    watchPresence(userId) {
      if (watched.has(userId) || userId === app.me) return;
      watched.add(userId);
      void client.api.presence({ userIds: [userId] }).catch(() => watched.delete(userId));
    },
    signOut() {
      void disablePush(app).finally(() => {
        client.close();
        saveSession(null);
        // A fresh page drops every view's kept elements and handlers.
        onSignOut();
        location.reload();
      });
    },
  };
  app.users = new UserCache(client, () => app.render());
  app.users.put([session.user]);

  const draw = () =>
    keepingFocus(() => {
      renderSidebar(app, sidebarEl);
      renderConversation(app, paneEl);
      renderCallOverlay(app, overlayEl);
      patch(
        toastEl,
        state.toasts.map((t) => h(`div.toast.${t.kind}`, null, t.text)),
      );
    });

  patch(root, h('div.shell', null, sidebarEl, paneEl), overlayEl, toastEl);
  root.classList.add('signed-in');

  // Delivery receipts (also for messages that arrive through a sync or open()) are the SDK's job: `autoDeliver`.
  client.on('change', () => app.render());
  client.on('state', (s) => {
    if (s === 'auth_failed') {
      app.toast('Your session expired. Sign in again.', 'error');
      setTimeout(() => app.signOut(), 800);
    }
  });
  client.on('event', (event: ConversationEvent) => {
    if (event.type === 'call') onCall(event.call);
  });
  client.on('ready', () => {
    watched.clear();
    // Presence of everyone I have a direct chat with (the server then pushes changes).
    const peers = client.inbox
      .getSnapshot()
      .items.flatMap((e) => (e.peer ? [e.peer] : []));
    app.users.put(peers);
    for (const p of peers.slice(0, 200)) watched.add(p.id);
    if (peers.length > 0) void client.api.presence({ userIds: peers.map((p) => p.id).slice(0, 200) }).catch(() => {});
    void client.api.listContacts().catch(() => {});
    app.render();
  });
  const onCall = (call: Call) => {
    if (call.status === 'ringing' || call.status === 'active') state.calls.set(call.id, call);
    else state.calls.delete(call.id);
    app.render();
  };
  window.addEventListener('focus', () => app.render());
  initPush(app);
  app.render();
  return app;
}
