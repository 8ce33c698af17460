import { runRateLimiterConformance } from './testing.js';
import { createMemoryRateLimiter } from './rate-limit.js';

runRateLimiterConformance({ name: 'memory', create: () => createMemoryRateLimiter() });
