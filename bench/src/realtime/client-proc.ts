/**
 * A load-generator child process: opens groups of connections to one of the servers (Parley
 * protocol over `ws`, raw `ws`, or `socket.io-client`), reports when every socket of a group got a
 * fan-out message, and drives closed-loop 1:1 sends. Connects to 127.0.0.1 only.
 */
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import type { ClientCommand, ClientReport, LoopCommand, ServerKind } from './messages.js';
import { fanNumber, wallNow } from './messages.js';
import { openLoopConn } from './loop-conn.js';
import { runLoop } from './loop.js';
import type { LoopPair } from './loop.js';

interface Conn {
  user: string;
  send(text: string): void;
  close(): void;
}

const report = (r: ClientReport) => process.send!(r);
const groups = new Map<string, Conn[]>();
const fanCounts = new Map<string, Map<number, number>>();
/** Per-connection hook for 1:1 runs: called with each raw frame text. */
const frameHooks = new Map<string, (text: string) => void>();

function onFrame(group: string, user: string, text: string): void {
  frameHooks.get(user)?.(text);
  const k = fanNumber(text);
  if (k < 0) return;
  const counts = fanCounts.get(group) ?? new Map<number, number>();
  fanCounts.set(group, counts);
  const n = (counts.get(k) ?? 0) + 1;
  counts.set(k, n);
  if (n === groups.get(group)?.length) {
    counts.delete(k);
    report({ type: 'fanDone', group, k, last: wallNow(), bytes: Buffer.byteLength(text) });
  }
}

function open(kind: ServerKind, port: number, group: string, user: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    if (kind === 'socketio') {
      const s: Socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { role: group.split('-')[0] }, reconnection: false, forceNew: true });
      s.on('connect', () => resolve({ user, send: (t) => s.emit('msg', t), close: () => s.close() }));
      s.on('connect_error', reject);
      s.on('msg', (text: string) => onFrame(group, user, text));
      return;
    }
    const ws =
      kind === 'parley'
        ? new WebSocket(`ws://127.0.0.1:${port}/parley`, ['parley.v1', `parley.token.${Buffer.from(user).toString('base64url')}`])
        : new WebSocket(`ws://127.0.0.1:${port}/${group.split('-')[0]}`);
    const conn: Conn = { user, send: (t) => ws.send(t), close: () => ws.close() };
    let ready = false;
    ws.on('error', (e) => (ready ? undefined : reject(e)));
    if (kind === 'ws') ws.on('open', () => ((ready = true), resolve(conn)));
    ws.on('message', (data) => {
      const text = data.toString();
      if (!ready && text.startsWith('{"ev":"ready"')) {
        ready = true;
        resolve(conn);
        return;
      }
      onFrame(group, user, text);
    });
  });
}

async function openGroup(kind: ServerKind, port: number, group: string, users: string[]): Promise<number> {
  const conns: Conn[] = [];
  for (let i = 0; i < users.length; i += 200) {
    conns.push(...(await Promise.all(users.slice(i, i + 200).map((u) => open(kind, port, group, u)))));
  }
  groups.set(group, conns);
  return conns.length;
}

/** Closed-loop 1:1 sends (Parley): a<i> sends to b<i>, waits for its reply, sends again; b<i> records send-to-receive latency. */
async function runPairs(group: string, pairIds: string[], seconds: number): Promise<{ received: number; latencies: number[] }> {
  const conns = groups.get(group) ?? [];
  const latencies: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  let reqId = 0;
  const loops: Array<Promise<void>> = [];
  for (let i = 0; i + 1 < conns.length; i += 2) {
    const a = conns[i]!;
    const b = conns[i + 1]!;
    const conversationId = pairIds[Number(a.user.slice(1))]!;
    frameHooks.set(b.user, (text) => {
      const m = /"text":"lat-([\d.]+)"/.exec(text);
      if (m && text.includes('"ev":"event"')) latencies.push(wallNow() - Number(m[1]));
    });
    loops.push(
      new Promise<void>((done) => {
        let pending = '';
        const next = () => {
          if (Date.now() >= deadline) return done();
          pending = `r${reqId++}`;
          a.send(JSON.stringify({ id: pending, op: 'send', params: { conversationId, clientId: pending, text: `lat-${wallNow()}` } }));
        };
        frameHooks.set(a.user, (text) => {
          if (text.includes(`"id":"${pending}"`)) next();
        });
        next();
      }),
    );
  }
  await Promise.all(loops);
  await new Promise((r) => setTimeout(r, 300));
  for (const c of conns) frameHooks.delete(c.user);
  return { received: latencies.length, latencies };
}

const loops = new Map<string, LoopPair[]>();

/** The end-to-end loop commands (issue 14): open pairs, run a closed or open loop, close. */
async function onLoop(cmd: LoopCommand): Promise<void> {
  if (cmd.type === 'loopOpen') {
    const pairs: LoopPair[] = [];
    for (let i = 0; i < cmd.pairs.length; i += 100) {
      pairs.push(
        ...(await Promise.all(
          cmd.pairs.slice(i, i + 100).map(async (index) => ({
            index,
            conversationId: cmd.pairIds[index]!,
            a: await openLoopConn(cmd.kind, cmd.senderPort, `a${index}`),
            b: await openLoopConn(cmd.kind, cmd.receiverPort, `b${index}`),
          })),
        )),
      );
    }
    loops.set(cmd.group, pairs);
    report({ type: 'loopOpened', group: cmd.group, count: pairs.length });
  }
  if (cmd.type === 'loop') report({ type: 'loopDone', group: cmd.group, stats: await runLoop(loops.get(cmd.group) ?? [], cmd) });
  if (cmd.type === 'loopClose') {
    for (const p of loops.get(cmd.group) ?? []) {
      p.a.close();
      p.b.close();
    }
    loops.delete(cmd.group);
    await new Promise((r) => setTimeout(r, 300));
    report({ type: 'loopClosed', group: cmd.group });
  }
}

process.on('message', (cmd: ClientCommand) => {
  void (async () => {
    if (cmd.type === 'loopOpen' || cmd.type === 'loop' || cmd.type === 'loopClose') return onLoop(cmd);
    if (cmd.type === 'open') report({ type: 'opened', group: cmd.group, count: await openGroup(cmd.kind, cmd.port, cmd.group, cmd.users) });
    if (cmd.type === 'close') {
      for (const c of groups.get(cmd.group) ?? []) c.close();
      groups.delete(cmd.group);
      await new Promise((r) => setTimeout(r, 500));
      report({ type: 'closed', group: cmd.group });
    }
    if (cmd.type === 'pairs') report({ type: 'pairsDone', group: cmd.group, ...(await runPairs(cmd.group, cmd.pairIds, cmd.seconds)) });
    if (cmd.type === 'send') {
      const conn = groups.get(cmd.group)![0]!;
      const at = wallNow();
      conn.send(cmd.text);
      report({ type: 'sent', group: cmd.group, at });
    }
    if (cmd.type === 'exit') process.exit(0);
  })().catch((error: unknown) => {
    process.stderr.write(`load generator: ${String(error)}\n`);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
