import type { MachineInfo } from '../machine.js';
import type { SectionResult } from '../report/model.js';
import { section } from '../report/model.js';
import { serverSql, withDatabase } from '../db/sql.js';
import type { Workload } from '../workload.js';
import { measureGrowth } from './growth.js';
import { storageSection } from './section.js';
import type { StoragePlan } from './section.js';

/**
 * The storage section on a Postgres server: creates a dedicated database next to the one in the
 * URL, runs the comparison there and drops it afterwards (also on failure).
 */
export async function serverStorage(url: string, workload: Workload, plan: StoragePlan, machine: MachineInfo, log: (l: string) => void): Promise<SectionResult> {
  const admin = serverSql(url, 1);
  const name = `parley_bench_${process.pid}`;
  try {
    await admin.query('select 1');
  } catch (error) {
    await admin.close();
    const out = section('pg', 'Storage on a Postgres server');
    out.skipped = `no Postgres server at ${url.replace(/\/\/[^@]*@/, '//…@')} (${(error as Error).message}); set PARLEY_PG_URL`;
    return out;
  }
  await admin.exec(`drop database if exists ${name}`);
  await admin.exec(`create database ${name}`);
  const sql = serverSql(withDatabase(url, name), plan.sends.concurrency);
  try {
    const [v] = await sql.query<{ server_version: string }>('show server_version');
    machine.postgres = v?.server_version ?? null;
    const out = await storageSection('pg', 'Storage on a Postgres server', sql, workload, plan, log);
    await sql.close();
    if (plan.growth) {
      const started = Date.now();
      await measureGrowth(url, plan.growth, out, log);
      out.durationMs += Date.now() - started;
    }
    return out;
  } finally {
    await sql.close().catch(() => undefined);
    await admin.exec(`drop database if exists ${name} with (force)`).catch(() => admin.exec(`drop database if exists ${name}`));
    await admin.close();
  }
}
