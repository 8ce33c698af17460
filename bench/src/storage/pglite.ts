import type { MachineInfo } from '../machine.js';
import type { SectionResult } from '../report/model.js';
import { pgliteSql } from '../db/sql.js';
import type { Workload } from '../workload.js';
import { storageSection } from './section.js';
import type { StoragePlan } from './section.js';

/** The storage section on embedded PGlite (in memory; one session, so the 8 senders queue on it). */
export async function pgliteStorage(workload: Workload, plan: StoragePlan, machine: MachineInfo, log: (l: string) => void): Promise<SectionResult> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = new PGlite();
  await pglite.waitReady;
  const sql = pgliteSql(pglite);
  try {
    const [v] = await sql.query<{ server_version: string }>('show server_version');
    machine.pglite = v?.server_version ?? null;
    return await storageSection('pglite', 'Storage on PGlite (embedded)', sql, workload, plan, log);
  } finally {
    await sql.close();
  }
}
