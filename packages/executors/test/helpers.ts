import { type PoolExecutor, ProcessPoolExecutor, ThreadPoolExecutor } from '@aiots/executors';

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

export function job<A extends unknown[], R>(name: string) {
  return { module: jobsModule, name } as {
    module: URL;
    name: string;
    __signature?: (...a: A) => R;
  };
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
