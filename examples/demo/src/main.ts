/**
 * The Parley demo: `npm start` from the repository root.
 *
 * Starts a web chat on http://127.0.0.1:3000 backed by embedded Postgres (PGlite) under
 * `.data/demo`. Options: `--port <n>` or `PORT`, `--host <addr>` or `HOST`, `PARLEY_DATA_DIR`;
 * push notifications: `PARLEY_DEMO_PUSH=off` turns them off, `PARLEY_DEMO_PUSH=hidden` keeps titles
 * and message text out of them (see examples/demo/README.md).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedChannels } from './seed.js';
import { startDemoServer } from './server.js';
import { openDemoStorage } from './storage.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function argValue(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

async function main(): Promise<void> {
  const portText = argValue('port') ?? process.env.PORT ?? '3000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${JSON.stringify(portText)}`);
  const host = argValue('host') ?? process.env.HOST ?? '127.0.0.1';
  const dataDir = resolve(argValue('data-dir') ?? process.env.PARLEY_DATA_DIR ?? resolve(repoRoot, '.data/demo'));

  const started = Date.now();
  console.log(`Parley demo: opening embedded Postgres in ${dataDir}`);
  console.log('  (the first start creates the database, which takes 10-20 seconds)');
  const storage = await openDemoStorage(dataDir);
  const seeded = await seedChannels(storage.chat);
  if (seeded.length > 0) console.log(`  created channels: ${seeded.map((t) => `#${t}`).join(', ')}`);
  const pushMode = process.env.PARLEY_DEMO_PUSH ?? 'on';
  if (!['on', 'off', 'hidden'].includes(pushMode)) throw new Error(`PARLEY_DEMO_PUSH must be on, off or hidden, not ${JSON.stringify(pushMode)}`);
  const push = pushMode === 'off' ? undefined : { presence: storage.presence, privacy: pushMode === 'hidden' ? ('hidden' as const) : ('full' as const) };
  const server = await startDemoServer({ chat: storage.chat, dataDir, port, host, minify: process.env.NODE_ENV === 'production', ...(push ? { push } : {}) });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\n  Parley demo is running (ready in ${secs} s): ${server.url}\n`);
  console.log(push ? `  Push notifications: on (${push.privacy}); the bell in the sidebar turns them on in a browser.` : '  Push notifications: off.');
  console.log('  Sign-in is DEVELOPMENT-ONLY: anyone can be anyone by typing a name. Do not expose this server.');
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    console.warn(`  WARNING: bound to ${host}, reachable from other machines.`);
  }
  console.log('  Stop with Ctrl+C. Reset all data: stop, then delete the data directory above.\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down…`);
    const force = setTimeout(() => process.exit(1), 8000);
    force.unref();
    try {
      await server.close();
      await storage.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') console.error(`Port in use. Pick another with PORT=3001 npm start (or --port 3001).`);
  else console.error(error);
  process.exit(1);
});
