import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ModuleJob,
  type PoolExecutor,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
} from '@aiots/executors';
import { sleep } from '@aiots/loop';

export const jobsModule = new URL('./fixtures/jobs.ts', import.meta.url);
export const crashyModule = new URL('./fixtures/crashy.mjs', import.meta.url);

/** Both pool kinds, for `describe.each`. */
export const pools: Array<
  [
    string,
    new (opts?: {
      maxWorkers?: number;
      cancelGraceMs?: number;
      errorClasses?: never[];
    }) => PoolExecutor,
  ]
> = [
  ['ThreadPoolExecutor', ThreadPoolExecutor],
  ['ProcessPoolExecutor', ProcessPoolExecutor],
];

export function job<A extends unknown[], R>(name: string): ModuleJob<A, R> {
  return { module: jobsModule, name };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (real time, polling) until `cond()` holds. */
export async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(5);
}

/**
 * A fresh path for a job to write when it starts (`markThenSpin`, `markThenSleep`), and a
 * wait for it: `stats().running` counts jobs sent to a worker, which may not have started.
 */
export function startMarker(): { path: string; started: () => Promise<void> } {
  const path = join(mkdtempSync(join(tmpdir(), 'aiots-start-')), 'started');
  return { path, started: () => until(() => existsSync(path)) };
}
