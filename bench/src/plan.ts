import type { E2EPlan } from './e2e/section.js';
import type { OfflinePlan } from './offline/section.js';
import type { ReplicaPlan } from './replicas/section.js';
import type { FeedPlan } from './feed/section.js';
import type { StoragePlan } from './storage/section.js';
import type { Workload } from './workload.js';
import { w1 } from './workload.js';

/** What a mode measures: workload scales, sample counts, durations. */
export interface ModePlan {
  /** W1 on the Postgres server. */
  server: Workload;
  /** W1 on PGlite (kept small: PGlite is one in-memory session). */
  pglite: Workload;
  storage: StoragePlan;
  pgliteStorage: StoragePlan;
  /** W1 on MongoDB (`MONGODB_URL`). */
  mongo: Workload;
  mongoStorage: StoragePlan;
  /** Real-time: idle connections, fan-out members, 1:1 pairs, seconds per run, repetitions. */
  realtime: { idle: number; fanoutMembers: number; fanoutMessages: number; pairs: number; seconds: number; repetitions: number };
  /** End to end over the wire (issue 14): closed and open loops, the home-grown baseline, the cluster row. */
  e2e: E2EPlan;
  /** The client's offline cache: first inbox render and resume bytes, W1 user and a heavy inbox. */
  offline: OfflinePlan;
  /** Read replicas (issue 19): a private primary alone vs with a streaming replica. */
  replicas: ReplicaPlan;
  /** The change feed under send load (issue 16). */
  feed: FeedPlan;
}

/** CongoDB (`--mongo=congodb`) only shows that the MongoDB section runs: a small W1 and few samples in every mode. */
export const CONGO_PLAN: { workload: Workload; storage: StoragePlan } = {
  workload: w1(1 / 100),
  storage: { reads: { samples: 6, warmup: 1 }, sends: { concurrency: 8, seconds: 1, repetitions: 1 }, unreadUsers: 10 },
};

/** The quick (CI) and full (report) plans. */
export function modePlan(mode: 'quick' | 'full'): ModePlan {
  if (mode === 'quick') {
    const small: StoragePlan = { reads: { samples: 40, warmup: 4 }, sends: { concurrency: 8, seconds: 1, repetitions: 3 }, unreadUsers: 20, heavyInbox: 1000 };
    return {
      server: w1(1 / 50),
      pglite: w1(1 / 50),
      storage: { ...small, growth: { scale: 1 / 250, samples: 20, warmup: 2 } },
      pgliteStorage: small,
      mongo: w1(1 / 50),
      mongoStorage: small,
      realtime: { idle: 1000, fanoutMembers: 1000, fanoutMessages: 10, pairs: 50, seconds: 2, repetitions: 3 },
      e2e: { levels: [10, 50, 200], seconds: 1, repetitions: 2, openSeconds: 1.5, openRepetitions: 1, lightRate: 500, deadlineMs: 1000, clusterPairs: 50 },
      offline: { repetitions: 3, heavy: { conversations: 100, messages: 20 } },
      replicas: { conversations: 100, messagesPerConversation: 20, users: 60, readers: 8, seconds: 1, repetitions: 3 },
      feed: { conversations: 50, senders: 8, seconds: 1.5, repetitions: 2 },
    };
  }
  return {
    server: w1(1),
    pglite: w1(1 / 20),
    storage: { reads: { samples: 200, warmup: 10 }, sends: { concurrency: 8, seconds: 4, repetitions: 5 }, unreadUsers: 100, heavyInbox: 10_000, growth: { scale: 1 / 10, samples: 100, warmup: 5 } },
    pgliteStorage: { reads: { samples: 60, warmup: 5 }, sends: { concurrency: 8, seconds: 2, repetitions: 3 }, unreadUsers: 30, heavyInbox: 10_000 },
    mongo: w1(1),
    mongoStorage: { reads: { samples: 200, warmup: 10 }, sends: { concurrency: 8, seconds: 4, repetitions: 5 }, unreadUsers: 100 },
    realtime: { idle: 10_000, fanoutMembers: 1000, fanoutMessages: 30, pairs: 200, seconds: 5, repetitions: 5 },
    e2e: { levels: [10, 50, 200], seconds: 5, repetitions: 5, openSeconds: 10, openRepetitions: 3, lightRate: 500, deadlineMs: 5000, clusterPairs: 200 },
    offline: { repetitions: 7, heavy: { conversations: 500, messages: 50 } },
    replicas: { conversations: 1000, messagesPerConversation: 50, users: 500, readers: 16, seconds: 4, repetitions: 5 },
    feed: { conversations: 500, senders: 16, seconds: 5, repetitions: 5 },
  };
}
