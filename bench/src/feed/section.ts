import { createChat, createFeed, type Chat } from '@parley/core';
import { openStore } from '../realtime/store.js';
import type { SectionResult } from '../report/model.js';
import { section, target } from '../report/model.js';
import { median } from '../stats.js';

/** What the feed section measures. */
export interface FeedPlan {
  conversations: number;
  senders: number;
  seconds: number;
  repetitions: number;
}

interface Run {
  sendsPerSecond: number;
  /** Feed events processed per second while sending (null without a feed). */
  feedPerSecond: number | null;
  maxLagEvents: number;
  maxLagAgeMs: number;
  /** Time from the last send until the feed had processed everything. */
  drainMs: number;
}

/** Send for `seconds` from `senders` loops over the conversations, with or without a feed consumer following. */
async function measure(chat: Chat, ids: string[], plan: FeedPlan, withFeed: boolean, rep: string): Promise<Run> {
  let processed = 0;
  const feed = withFeed
    ? createFeed({ chat, name: `bench-${rep}`, pollMs: 50, batchSize: 200, concurrency: 4, handle: ({ events }) => void (processed += events.length) })
    : null;
  if (feed) await feed.runOnce(); // start at the current end of every log
  processed = 0;
  feed?.start();
  let maxLagEvents = 0;
  let maxLagAgeMs = 0;
  let sampling = true;
  const sampler = (async () => {
    while (feed && sampling) {
      const lag = await feed.lag();
      maxLagEvents = Math.max(maxLagEvents, lag.events);
      maxLagAgeMs = Math.max(maxLagAgeMs, lag.oldestAgeMs ?? 0);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const end = Date.now() + plan.seconds * 1000;
  const started = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: plan.senders }, async (_, s) => {
      for (let i = 0; Date.now() < end; i++) {
        const id = ids[(s + i * plan.senders) % ids.length]!;
        await chat.as(s % 2 ? 'ben' : 'ana').send({ conversationId: id, clientId: `${rep}-${s}-${i}`, text: 'bench' });
        sent += 1;
      }
    }),
  );
  const sendSeconds = (performance.now() - started) / 1000;
  const feedDuringSends = processed;
  sampling = false;
  await sampler;
  const drainStart = performance.now();
  if (feed) {
    while ((await feed.lag()).events > 0) await new Promise((r) => setTimeout(r, 20));
    await feed.stop();
  }
  return {
    sendsPerSecond: sent / sendSeconds,
    feedPerSecond: feed ? feedDuringSends / sendSeconds : null,
    maxLagEvents,
    maxLagAgeMs,
    drainMs: feed ? performance.now() - drainStart : 0,
  };
}

/**
 * The change feed under a sustained send load: the send rate alone and with a feed consumer
 * following it (alternating, same store, same run), the events per second the feed processed, its
 * lag sampled every 200 ms, and how long it took to catch up after the sends stopped.
 */
export async function feedSection(plan: FeedPlan, pgAvailable: boolean, log: (line: string) => void): Promise<SectionResult> {
  const started = Date.now();
  const out = section('feed', 'Change feed under send load');
  const kind = pgAvailable ? 'postgres' : 'memory';
  const opened = await openStore(kind, { schema: `parley_feed_bench_${process.pid}` });
  const chat = createChat({ store: opened.store });
  try {
    for (const u of ['ana', 'ben']) await chat.upsertUser({ id: u, displayName: u });
    const ids: string[] = [];
    for (let i = 0; i < plan.conversations; i++) ids.push((await chat.as('ana', { unlimited: true }).createGroup({ title: `b${i}`, memberIds: ['ben'] })).id);
    const alone: Run[] = [];
    const followed: Run[] = [];
    for (let r = 0; r < plan.repetitions; r++) {
      alone.push(await measure(chat, ids, plan, false, `a${r}`));
      followed.push(await measure(chat, ids, plan, true, `f${r}`));
      log(`  feed rep ${r + 1}: sends alone ${Math.round(alone[r]!.sendsPerSecond)}/s, with feed ${Math.round(followed[r]!.sendsPerSecond)}/s, feed ${Math.round(followed[r]!.feedPerSecond ?? 0)} events/s`);
    }
    const m = (runs: Run[], f: (r: Run) => number) => Math.round(median(runs.map(f)));
    const sendsAlone = m(alone, (r) => r.sendsPerSecond);
    const sendsWithFeed = m(followed, (r) => r.sendsPerSecond);
    const feedRate = m(followed, (r) => r.feedPerSecond ?? 0);
    out.tables.push({
      title: `Sends and the feed (${kind} store, ${plan.conversations} conversations, ${plan.senders} senders, ${plan.seconds} s x ${plan.repetitions}, medians)`,
      head: ['run', 'sends/s', 'feed events/s', 'max lag (events)', 'max lag (oldest age, ms)', 'catch-up after sends (ms)'],
      rows: [
        ['sends alone', sendsAlone, '—', '—', '—', '—'],
        ['sends with a feed consumer', sendsWithFeed, feedRate, m(followed, (r) => r.maxLagEvents), m(followed, (r) => r.maxLagAgeMs), m(followed, (r) => r.drainMs)],
      ],
    });
    out.targets.push(
      target({
        id: 'feed.keeps-up',
        what: 'feed events/s processed / sends/s committed, while sending',
        ratio: sendsWithFeed > 0 ? feedRate / sendsWithFeed : null,
        goal: 0.9,
        goalText: 'keeps up (>= 0.9x)',
        detail: `feed ${feedRate}/s, sends ${sendsWithFeed}/s`,
      }),
      target({
        id: 'feed.send-cost',
        what: 'send rate with a feed consumer / send rate alone',
        ratio: sendsAlone > 0 ? sendsWithFeed / sendsAlone : null,
        goal: 0.75,
        goalText: '>= 0.75x (the feed only reads)',
        detail: `${sendsWithFeed}/s with the feed, ${sendsAlone}/s alone`,
      }),
    );
    out.notes.push('The feed runs in the sending process (one node), lease on, polling every 50 ms and woken by local commits; the lag is sampled with feed.lag() every 200 ms.');
  } finally {
    await chat.close();
    await opened.close();
  }
  out.durationMs = Date.now() - started;
  return out;
}
