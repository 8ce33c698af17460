import type { SectionResult } from '../report/model.js';
import { section } from '../report/model.js';

/** Placeholder until the real-time section lands. */
export async function realtimeSection(_plan: unknown, _log: (l: string) => void): Promise<SectionResult> {
  const out = section('realtime', 'Real-time (WebSocket)');
  out.skipped = 'not yet';
  return out;
}
