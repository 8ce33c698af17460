import type { ChildProcess } from 'node:child_process';
import type { ClientReport } from './messages.js';
import { fanMarker } from './messages.js';
import { nextMessage } from './procs.js';
import type { RunningServer } from './servers.js';
import { closeEverywhere, openEverywhere, TIMEOUT } from './servers.js';

/** Fan-out times (ms from send until the last member received it) per server name, and the received size of Parley's frame. */
export interface FanoutResult {
  times: Map<string, number[]>;
  bytes: number;
}

/**
 * Every server has the channel connected; messages alternate between servers (the order rotates
 * every message). Raw `ws` and Socket.IO send a payload as long as Parley's pushed frame. Message 0
 * is a warm-up and also measures that length.
 */
export async function measureFanout(loaders: ChildProcess[], servers: RunningServer[], members: number, messages: number): Promise<FanoutResult> {
  const users = Array.from({ length: members }, (_, i) => `m${i}`);
  for (const s of servers) {
    await openEverywhere(loaders, s.kind, s.ready.port, `fan-${s.name}`, users);
    await openEverywhere(loaders.slice(0, 1), s.kind, s.ready.port, `sender-${s.name}`, ['sender']);
  }
  let bytes = 0;
  const times = new Map<string, number[]>(servers.map((s) => [s.name, []]));
  for (let k = 0; k <= messages; k++) {
    const order = servers.map((_, i) => servers[(i + k) % servers.length]!);
    if (k === 0) order.sort((a, b) => (a.kind === 'parley' ? 0 : 1) - (b.kind === 'parley' ? 0 : 1));
    for (const s of order) {
      const marker = `${fanMarker(k)}${s.name}`;
      const text =
        s.kind === 'parley'
          ? JSON.stringify({ id: `f${k}`, op: 'send', params: { conversationId: s.ready.channelId, clientId: `f${k}`, text: marker } })
          : marker.padEnd(Math.max(marker.length, bytes), '.');
      const done = loaders.map((l) => nextMessage<ClientReport>(l, (m) => m.type === 'fanDone' && m.group === `fan-${s.name}` && m.k === k, TIMEOUT));
      const sent = nextMessage<ClientReport>(loaders[0]!, (m) => m.type === 'sent' && m.group === `sender-${s.name}`, TIMEOUT);
      loaders[0]!.send({ type: 'send', group: `sender-${s.name}`, text });
      const at = ((await sent) as { at: number }).at;
      const reports = (await Promise.all(done)) as Array<{ last: number; bytes: number }>;
      if (s.kind === 'parley') bytes = Math.max(bytes, reports[0]!.bytes);
      if (k > 0) times.get(s.name)!.push(Math.max(...reports.map((r) => r.last)) - at);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  for (const s of servers) {
    await closeEverywhere(loaders, `fan-${s.name}`);
    await closeEverywhere(loaders.slice(0, 1), `sender-${s.name}`);
  }
  return { times, bytes };
}
