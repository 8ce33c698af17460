import { createMemoryPubSub } from './pubsub.js';
import { createMemoryStore } from './memory-store.js';
import { runPubSubConformance, runStoreConformance } from './testing.js';

// The reference implementations pass the whole kit, every suite executed.
runStoreConformance({ name: 'memory', create: () => createMemoryStore() });

// Two "instances" of the in-process bus are one bus: pass a factory over one shared instance.
const shared = createMemoryPubSub();
runPubSubConformance({ name: 'memory', create: () => shared, close: () => undefined });
