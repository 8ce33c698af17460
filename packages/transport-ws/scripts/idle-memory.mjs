#!/usr/bin/env node
/**
 * Idle memory per authenticated connection: Parley (`createWsServer` over the in-memory store)
 * against a raw `ws` server, each in its own process, with the connections opened from another
 * process on 127.0.0.1. Reports heapUsed + external + arrayBuffers and RSS deltas per connection
 * (after forced GC), and the ratio to raw ws.
 *
 *   node --import tsx --conditions=@parley/source --expose-gc packages/transport-ws/scripts/idle-memory.mjs [N] [--snapshot] [--users-on-demand]
 *
 * N defaults to 5000. Users are created before the baseline reading, so the delta is the
 * transport's (plus presence and fan-out state); `--users-on-demand` creates them in the
 * authenticate hook as `bench/src/realtime` does. `--snapshot` also writes heap snapshots of both
 * servers before and after connecting (in /tmp) and prints, per connection, the object groups that
 * grew more on Parley than on raw ws.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

const self = fileURLToPath(import.meta.url);
const [role, ...rest] = process.argv.slice(2);

if (role === 'server') await server(rest[0], rest.includes('--users-on-demand'), Number(rest[1]));
else if (role === 'client') client();
else await main(process.argv.slice(2));

async function gcAndMeasure() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

async function server(kind, onDemand, n) {
  const http = createServer();
  if (kind === 'parley') {
    const { createChat, createMemoryStore } = await import('@parley/core');
    const { createWsServer } = await import('@parley/transport-ws');
    const chat = createChat({ store: createMemoryStore() });
    const known = new Set();
    if (!onDemand) for (let i = 0; i < n; i++) await chat.upsertUser({ id: `idle${i}`, displayName: `idle${i}` });
    await createWsServer({
      chat,
      server: http,
      path: '/parley',
      origins: '*',
      authenticate: async ({ token }) => {
        if (token === undefined) return null;
        if (onDemand && !known.has(token)) {
          known.add(token);
          await chat.upsertUser({ id: token, displayName: token });
        }
        return token;
      },
      limits: { maxConnectionsPerUser: 100_000 },
    });
  } else {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    wss.on('connection', (socket) => socket.on('message', (d) => socket.send(d)));
  }
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  process.on('message', async (msg) => {
    if (msg.type === 'memory') process.send({ type: 'memory', ...(await gcAndMeasure()) });
    if (msg.type === 'snapshot') {
      await gcAndMeasure();
      process.send({ type: 'snapshot', file: v8.writeHeapSnapshot(msg.file) });
    }
    if (msg.type === 'exit') process.exit(0);
  });
  process.send({ type: 'ready', port: http.address().port });
}

function client() {
  process.on('message', async (msg) => {
    if (msg.type !== 'open') return;
    const { default: WebSocket } = await import('ws');
    const open = (user) =>
      new Promise((resolve, reject) => {
        const ws =
          msg.kind === 'parley'
            ? new WebSocket(`ws://127.0.0.1:${msg.port}/parley`, ['parley.v1', `parley.token.${Buffer.from(user).toString('base64url')}`])
            : new WebSocket(`ws://127.0.0.1:${msg.port}/`);
        ws.on('error', reject);
        if (msg.kind === 'ws') ws.on('open', () => resolve(ws));
        else ws.on('message', (d) => String(d).startsWith('{"ev":"ready"') && resolve(ws));
      });
    const all = [];
    for (let i = 0; i < msg.n; i += 200) all.push(...(await Promise.all(Array.from({ length: Math.min(200, msg.n - i) }, (_, j) => open(`idle${i + j}`)))));
    process.send({ type: 'opened', count: all.length });
  });
}

function next(child, type) {
  return new Promise((resolve, reject) => {
    const on = (m) => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
}

/** Growth per connection between two group tables. */
function diff(before, after, n) {
  const out = new Map();
  for (const [key, g] of after) {
    const was = before.get(key) ?? { count: 0, size: 0 };
    out.set(key, { count: (g.count - was.count) / n, size: (g.size - was.size) / n });
  }
  return out;
}

/** Self size and count per (node type, name) of a heap snapshot. */
function groups(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = f.length;
  const [iType, iName, iSize] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const out = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + iType]];
    let name = snap.strings[nodes[i + iName]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(string)';
    else if (name.length > 60) name = name.slice(0, 60);
    const key = `${type}:${name}`;
    const g = out.get(key) ?? { count: 0, size: 0 };
    g.count++;
    g.size += nodes[i + iSize];
    out.set(key, g);
  }
  return out;
}

async function main(args) {
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 5000);
  const snapshot = args.includes('--snapshot');
  const onDemand = args.includes('--users-on-demand');
  const execArgv = process.execArgv;
  const results = {};
  const growth = {};
  for (const kind of ['ws', 'parley']) {
    const srv = fork(self, ['server', kind, String(n), ...(onDemand ? ['--users-on-demand'] : [])], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const cli = fork(self, ['client'], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const { port } = await next(srv, 'ready');
      const ask = (type, extra = {}) => {
        const wait = next(srv, type);
        srv.send({ type, ...extra });
        return wait;
      };
      const file = (when) => `/tmp/idle-${kind}-${when}-${process.pid}.heapsnapshot`;
      if (snapshot) await ask('snapshot', { file: file('before') });
      const before = await ask('memory');
      const opened = next(cli, 'opened');
      cli.send({ type: 'open', kind, port, n });
      await opened;
      await new Promise((r) => setTimeout(r, 1000));
      const after = await ask('memory');
      results[kind] = { rss: (after.rss - before.rss) / n, heap: (after.heap - before.heap) / n };
      if (snapshot) {
        await ask('snapshot', { file: file('after') });
        growth[kind] = diff(groups(file('before')), groups(file('after')), n);
      }
    } finally {
      srv.send({ type: 'exit' });
      cli.kill();
    }
  }
  if (snapshot) {
    // what Parley holds beyond what raw ws holds, per connection
    const rows = [];
    for (const key of new Set([...growth.parley.keys(), ...growth.ws.keys()])) {
      const p = growth.parley.get(key) ?? { count: 0, size: 0 };
      const w = growth.ws.get(key) ?? { count: 0, size: 0 };
      if (Math.abs(p.size - w.size) >= 4) rows.push({ key, count: p.count - w.count, size: p.size - w.size, parley: p.size });
    }
    rows.sort((x, y) => y.size - x.size);
    console.log('heap growth per connection, Parley minus raw ws, by (type:name): self bytes, objects');
    for (const r of rows.slice(0, 40)) console.log(`  ${String(Math.round(r.size)).padStart(6)} B  ${r.count.toFixed(2).padStart(6)}  ${r.key}  (parley ${Math.round(r.parley)} B)`);
    console.log(`  total ${Math.round(rows.reduce((s, r) => s + r.size, 0))} B`);
  }
  const ratio = (k) => (results.parley[k] / results.ws[k]).toFixed(2);
  console.log(`idle connections: ${n}${onDemand ? ' (users created on demand)' : ''}`);
  for (const kind of ['ws', 'parley']) console.log(`  ${kind.padEnd(7)} RSS ${Math.round(results[kind].rss)} B/conn, heap+external ${Math.round(results[kind].heap)} B/conn`);
  console.log(`  ratio parley/ws: RSS ${ratio('rss')}x, heap+external ${ratio('heap')}x`);
}
