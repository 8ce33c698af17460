import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Node flags for TypeScript children: tsx, Parley sources, and `gc()` for memory readings. */
const EXEC_ARGV = ['--import', 'tsx', '--conditions=@parley/source', '--expose-gc'];

/** Fork a child process from a file next to this one, with IPC (and extra environment variables). */
export function spawnChild(file: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const path = fileURLToPath(new URL(file, import.meta.url));
  return fork(path, args, { execArgv: EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
}

/** Wait for the next IPC message that matches, failing after `ms` (children are bounded in time). */
export function nextMessage<T>(child: ChildProcess, match: (m: T) => boolean, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', on);
      child.off('exit', onExit);
      reject(new Error(`child ${child.pid}: no answer within ${ms} ms`));
    }, ms);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      child.off('message', on);
      reject(new Error(`child ${child.pid} exited (${code})`));
    };
    const on = (m: unknown) => {
      if (!match(m as T)) return;
      clearTimeout(timer);
      child.off('message', on);
      child.off('exit', onExit);
      resolve(m as T);
    };
    child.on('message', on);
    child.once('exit', onExit);
  });
}

/** Stop a child we started (by its own handle, never by name); resolves once it exited (killed after 15 s). */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ type: 'exit' });
    else child.kill('SIGTERM');
  });
}
