// The prelude of the docs' code samples (scripts/check-docs.mjs compiles it with every ```ts block).
// It declares only what a sample takes from outside Parley: the host application's own names, and
// the values a guide built in an earlier block (`chat`, `client`, `db`, …). Parley's own names are
// never declared here: a sample imports them, so they are checked against the real packages.
// A name is added here only when a sample uses it without defining it, as a reader's app would.

// --- values an earlier block of the same guide created ---
declare const chat: import('@parley/core').Chat;
declare const store: import('@parley/core').ChatStore;
declare const client: import('@parley/client').ParleyClient;
declare const db: import('kysely').Kysely<unknown>;
declare const server: import('node:http').Server;
declare const http: import('node:http').Server;
declare const ws: import('@parley/transport-ws').WsServer;
declare const conversationId: string;
declare const url: string;
declare const token: string;
declare const origins: string[];
declare const authenticate: import('@parley/transport-ws').WsServerOptions['authenticate'];

// --- the host application's own code ---
declare const myExistingApp: import('node:http').RequestListener;
declare const yourApp: import('node:http').RequestListener;
declare const mySessions: { verify(token: string | undefined): Promise<{ id: string; name: string } | null> };
declare const yourSessions: { userIdFor(token: string): Promise<string | null> };
declare const sessions: { userIdFor(token: string): Promise<string | null> };
declare function sessionUser(token: string | undefined): string | null;
declare const session: { userId: string };
declare const user: { id: string; name: string; avatarUrl: string | null };
declare function fetchToken(): Promise<string>;
declare function fetchSessionToken(): Promise<string>;
declare function getToken(): Promise<string>;
declare function render(snapshot: unknown): void;
declare function draw(snapshot: unknown): void;
declare function renderInbox(snapshot: unknown): void;
declare function renderMessages(snapshot: unknown): void;
declare function renderBadge(count: number): void;
declare function showNotAllowed(): void;
declare const logger: { info(msg: string, data?: object): void; warn(msg: string, data?: object): void; error(msg: string, data?: object): void; debug(msg: string, data?: object): void };
declare const yourLogger: typeof logger;
declare function spamScore(userId: string, text: string | null): Promise<number>;
declare function containsBlockedWord(text: string): boolean;
declare function mask(text: string): string;
declare const searchIndex: { put(key: string, value: unknown): Promise<void> };
declare function isModerator(userId: string): Promise<boolean>;
declare function appendToAuditLog(line: string): Promise<void>;
declare const pushQueue: { add(job: { userIds: string[]; title: string; body: string; data: Record<string, unknown> }): Promise<void> };
declare const file: File;
declare const caption: string;
declare const authorization: string;
declare const ourHooks: import('@parley/core').ChatHooks;
declare function onSignup(chat: import('@parley/core').Chat, userId: string): Promise<void>;
declare function createMyStore(db: unknown): import('@parley/core').ChatStore;
declare function truncateAll(db: unknown): Promise<void>;
declare function createMyBus(url: string): import('@parley/core').PubSub;

// --- files of the reader's own project, imported by a relative path in a sample ---
declare module 'host:../src/index.js' {
  export function createFooStore(options: { db: import('host:./db.js').FooDb }): import('@parley/core').ChatStore;
  export const createRedisPubSub: typeof import('@parley/pubsub-redis').createRedisPubSub;
}
declare module 'host:./db.js' {
  export interface FooDb {
    query(sql: string): Promise<{ rows: unknown[] }>;
    end(): Promise<void>;
  }
  export function connect(url: string | undefined): Promise<FooDb>;
}

// --- UI frameworks: React is a dependency of this repository (its real types are used); Vue is not,
// so the few signatures the samples call are declared here ---
declare module 'vue' {
  export interface ShallowRef<T> {
    value: T;
  }
  export function shallowRef<T>(value: T): ShallowRef<T>;
  export function onScopeDispose(fn: () => void): void;
}
declare function Row(props: { message: import('@parley/client').ClientMessage }): import('react').ReactNode;
