import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createChat } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { SERVER_URL, dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';

const available = await serverAvailable();
const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe.skipIf(!available)('parley-postgres export-user (server)', () => {
  const schema = randomSchema('parley_cli');
  const { db } = serverDb(2);

  beforeAll(async () => {
    await migrate({ db, schema });
    const chat = createChat({ store: createPostgresStore({ db, schema }) });
    await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
    await chat.upsertUser({ id: 'ben', displayName: 'Ben' });
    const dm = await chat.as('ana').openDirect({ userId: 'ben' });
    for (let i = 0; i < 5; i++) await chat.as('ana').send({ conversationId: dm.id, clientId: `c${i}`, text: `hello ${i}` });
    await chat.as('ben').send({ conversationId: dm.id, clientId: 'b', text: 'not ana' });
    await chat.close();
  });
  afterAll(async () => {
    await dropSchema(db, schema);
    await db.destroy();
  });

  const parley = (...args: string[]) =>
    run(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', cli, ...args], { env: { ...process.env, DATABASE_URL: '' } });

  it('writes JSON lines: header first, the user’s messages, end last', async () => {
    const { stdout, stderr } = await parley('export-user', '--url', SERVER_URL, '--schema', schema, '--user', 'ana');
    const records = stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; message?: { text: string } });
    expect(records[0]).toMatchObject({ type: 'header', format: 'parley.user-export', version: 1, userId: 'ana' });
    expect(records.at(-1)).toMatchObject({ type: 'end', counts: { message: 5 } });
    expect(records.filter((r) => r.type === 'message').map((r) => r.message!.text)).toEqual([0, 1, 2, 3, 4].map((i) => `hello ${i}`));
    expect(stdout).not.toContain('not ana');
    expect(stderr).toContain(`exported ${records.length} records`);
  }, 60_000);

  it('an unknown user exits 1 with the reason and writes nothing to stdout', async () => {
    const failure = await parley('export-user', '--url', SERVER_URL, '--schema', schema, '--user', 'nobody').then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1, stdout: '' });
    expect(failure!.stderr).toContain('no user nobody');
  }, 60_000);
});
