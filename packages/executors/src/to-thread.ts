import { getLoop, setDefaultExecutorFactory, type Task } from '@aiots/loop';
import type { JobArgs } from './executor.ts';
import type { Job } from './job.ts';
import { ThreadPoolExecutor } from './thread-pool.ts';

// Importing this package gives every loop a default executor: a thread pool created on first
// use of `toThread()` / `loop.runInExecutor(null, …)` and shut down by `run()`. Its threads are
// named asyncio_0, asyncio_1, … as in asyncio.
setDefaultExecutorFactory(() => new ThreadPoolExecutor({ name: 'asyncio' }));

/**
 * Runs `job(...args)` on the current loop's default thread pool (asyncio's `to_thread`),
 * which is created on first use and shut down when `run()` ends. Unlike Python threads, the
 * job cannot see the caller's variables or AsyncLocalStorage: pass what it needs as
 * arguments. Cancelling the returned Task stops the job as `submit` does.
 *
 * @param job a self-contained function or `{ module, name }`.
 * @param args its arguments (structured clone; `transfer()` to move buffers).
 * @returns the job's Task.
 * @throws as `ThreadPoolExecutor.submit` does.
 * @example
 * ```ts
 * import { run } from '@aiots/loop';
 * import { toThread } from '@aiots/executors';
 * const hash = await run(() => toThread(async (s: string) => {
 *   const { createHash } = await import('node:crypto');
 *   return createHash('sha256').update(s).digest('hex').slice(0, 8);
 * }, 'hello'));
 * console.log(hash); // 2cf24dba
 * ```
 */
export function toThread<A extends unknown[], R>(
  job: Job<A, R>,
  ...args: JobArgs<A>
): Task<Awaited<R>> {
  return getLoop().runInExecutor(null, job as never, ...(args as never[])) as unknown as Task<
    Awaited<R>
  >;
}
