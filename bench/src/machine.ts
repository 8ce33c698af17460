import os from 'node:os';

/** Where a run happened: what a reader needs to compare two result files. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  node: string;
  postgres: string | null;
  pglite: string | null;
  /** MongoDB server version, when the MongoDB section ran against a real server. */
  mongodb?: string | null;
  date: string;
}

/** Collect machine details; database versions are filled in by the sections that connect. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres: null,
    pglite: null,
    date: new Date().toISOString(),
  };
}
