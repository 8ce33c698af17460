import type { OriginPolicy } from './options.js';

/** Whether an upgrade with this Origin header (undefined when absent) may proceed. */
export function originAllowed(policy: OriginPolicy, origin: string | undefined, allowMissing: boolean): boolean {
  if (origin === undefined || origin === '') return allowMissing;
  if (policy === '*') return true;
  if (typeof policy === 'function') {
    try {
      return policy(origin) === true;
    } catch {
      return false;
    }
  }
  return policy.includes(origin);
}
