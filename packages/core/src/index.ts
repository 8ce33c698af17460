export * from './errors.js';
export * from './store.js';
export * from './pubsub.js';
export * from './presence.js';
export * from './apply.js';
export { createMemoryStore } from './memory-store.js';
