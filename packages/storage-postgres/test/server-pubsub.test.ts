import type { BusMessage, PubSub } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrations.js';
import { createPostgresPubSub } from '../src/postgres-pubsub.js';
import type { PgClientLike } from '../src/postgres-pubsub.js';
import { runPubSubConformance } from '@parley/core/testing';
import { Client } from './support/pg.js';
import { SERVER_URL, dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';

const available = await serverAvailable();
const schema = randomSchema('parley_bus');
const prefix = schema.slice(-12);

const connect = async (): Promise<PgClientLike> => {
  const client = new Client({ connectionString: SERVER_URL });
  client.on('error', () => {}); // the bus listens too; this keeps a kill from crashing the worker
  await client.connect();
  return client as unknown as PgClientLike;
};
const bus = () => createPostgresPubSub({ connect, schema, channelPrefix: `t${prefix}` });

const typing = (n: number): BusMessage => ({ t: 'typing', conversationId: 'c', userId: `u${n}`, typing: true, expiresInMs: n });
const collect = () => {
  const got: BusMessage[] = [];
  return {
    got,
    handler: (m: BusMessage) => got.push(m),
    until: async (n: number, ms = 5_000) => {
      const end = Date.now() + ms;
      while (got.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      return got;
    },
  };
};

describe.skipIf(!available)('postgres LISTEN/NOTIFY pub/sub', () => {
  const { db } = serverDb(2);
  beforeAll(() => migrate({ db, schema }));
  afterAll(async () => {
    await dropSchema(db, schema);
    await db.destroy();
  });

  it('two independent connections see each other, also for payloads over 8000 bytes', async () => {
    const a = bus();
    const b = bus();
    try {
      const onA = collect();
      const onB = collect();
      await a.subscribe('c:room', onA.handler);
      await b.subscribe('c:room', onB.handler);
      const big: BusMessage = { t: 'push', userId: 'u', push: { ev: 'x', blob: 'é'.repeat(20_000) } as never };
      await a.publish('c:room', typing(1));
      await b.publish('c:room', big);
      await a.publish('c:room', typing(2));
      expect(await onA.until(3)).toEqual([typing(1), big, typing(2)]);
      expect(await onB.until(3)).toEqual([typing(1), big, typing(2)]);
    } finally {
      await a.close!();
      await b.close!();
    }
  });

  it('reconnects a killed listener, re-listens and calls onReset', async () => {
    let listenerPid: number | null = null;
    const tracked = createPostgresPubSub({
      schema,
      channelPrefix: `t${prefix}`,
      reconnectDelayMs: 20,
      connect: async () => {
        const client = await connect();
        const { rows } = await client.query('select pg_backend_pid() as pid');
        listenerPid ??= Number(rows[0]!.pid); // the first connection is the listener (subscribe comes first)
        return client;
      },
    });
    const other = bus();
    try {
      const got = collect();
      const resets: string[] = [];
      tracked.onReset!((reason) => resets.push(reason));
      await tracked.subscribe('c:r', got.handler);
      const admin = await connect();
      await admin.query('select pg_terminate_backend($1)', [listenerPid]);
      await admin.end();
      const end = Date.now() + 5_000;
      while (resets.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(resets).toHaveLength(1);
      await other.publish('c:r', typing(7));
      expect(await got.until(1)).toEqual([typing(7)]);
    } finally {
      await tracked.close!();
      await other.close!();
    }
  });
});

if (available) {
  const { db } = serverDb(2);
  let ready: Promise<unknown> | undefined;
  const schemaK = randomSchema('parley_busk');
  afterAll(async () => {
    await dropSchema(db, schemaK);
    await db.destroy();
  });
  await runPubSubConformance({
    name: 'postgres LISTEN/NOTIFY',
    create: async (): Promise<PubSub> => {
      await (ready ??= migrate({ db, schema: schemaK }));
      return createPostgresPubSub({ connect, schema: schemaK, channelPrefix: `k${schemaK.slice(-12)}` });
    },
  });
}
