/**
 * `@parley/core/testing`: the conformance kit every {@link ChatStore} and {@link PubSub} adapter
 * runs in its own test suite. Needs `vitest` and `fast-check` (optional peer dependencies).
 *
 * ```ts
 * import { runStoreConformance, runPubSubConformance } from '@parley/core/testing';
 *
 * runStoreConformance({ name: 'my-store', create: () => createMyStore(db), reset: (s) => truncateAll(db) });
 * runPubSubConformance({ name: 'my-bus', create: () => createMyBus(url) });
 * ```
 *
 * See `docs/adapters.md` for what each suite checks.
 * @module
 */
import { describe } from 'vitest';
import type { ChatStore } from './store.js';
import type { PubSub } from './pubsub.js';
import { authorizationSuite } from './testing/authorization.js';
import { callsSuite } from './testing/calls.js';
import { concurrencySuite } from './testing/concurrency.js';
import { idempotencySuite } from './testing/idempotency.js';
import { resolveCapabilities, type PubSubConformanceOptions, type ResolvedStoreOptions, type StoreConformanceOptions } from './testing/options.js';
import { feedSuite } from './testing/feed.js';
import { pushDevicesSuite } from './testing/push-devices.js';
import { erasureSuite } from './testing/erasure.js';
import { exportSuite } from './testing/export.js';
import { formerMembersSuite } from './testing/former-members.js';
import { inboxSuite } from './testing/inbox.js';
import { modelSuite } from './testing/model.js';
import { orderingSuite } from './testing/ordering.js';
import { preconditionsSuite } from './testing/preconditions.js';
import { pagingSuite } from './testing/paging.js';
import { permissionsSuite } from './testing/permissions.js';
import { moderationSuite } from './testing/moderation.js';
import { reportsSuite } from './testing/reports.js';
import { pubsubSuites } from './testing/pubsub.js';
import { receiptsSuite } from './testing/receipts.js';
import { retentionSuite } from './testing/retention.js';
import { searchSuite } from './testing/search.js';
import { validationSuite } from './testing/validation.js';
import { visibilitySuite } from './testing/visibility.js';

export type { StoreConformanceOptions, PubSubConformanceOptions } from './testing/options.js';
export { createManualClock, type ManualClock } from './testing/fixtures.js';
export { runRateLimiterConformance, type RateLimiterConformanceOptions } from './testing/rate-limiter.js';
export type { ChatStore, PubSub };

/**
 * Register the store conformance suites (vitest `describe` blocks) for one store: ordering,
 * idempotency, receipts, visibility, authorization, permissions, moderation, reports, concurrency, preconditions (and their races), inbox-unread, search, calls,
 * retention, validation, model, the change feed, push devices, user export and erasure. Suites that need a capability the store lacks are registered
 * as skipped with the reason in their name. Call it at the top level of a test file.
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  describe(`ChatStore conformance: ${options.name}`, async () => {
    const caps = await resolveCapabilities(options);
    const factor = options.propertyRunsFactor ?? 1;
    const o: ResolvedStoreOptions = { ...options, caps, runs: (base) => Math.max(1, Math.round(base * factor)) };
    orderingSuite(o);
    idempotencySuite(o);
    receiptsSuite(o);
    visibilitySuite(o);
    authorizationSuite(o);
    permissionsSuite(o);
    moderationSuite(o);
    reportsSuite(o);
    concurrencySuite(o);
    preconditionsSuite(o);
    inboxSuite(o);
    searchSuite(o);
    callsSuite(o);
    retentionSuite(o);
    validationSuite(o);
    modelSuite(o);
    formerMembersSuite(o);
    pagingSuite(o);
    feedSuite(o);
    pushDevicesSuite(o);
    exportSuite(o);
    erasureSuite(o);
  });
}

/**
 * Register the pub/sub conformance suites for one bus adapter: delivery between two instances,
 * per-publisher ordering, handler isolation, JSON round-trip and large payloads.
 */
export function runPubSubConformance(options: PubSubConformanceOptions): void {
  describe(`PubSub conformance: ${options.name}`, () => {
    pubsubSuites(options);
  });
}
