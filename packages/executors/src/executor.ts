/**
 * The `Executor` interface: what every pool of this package offers, as the design names it.
 */
import type { Executor as LoopExecutor, Task } from '@aiots/loop';
import type { Job } from './job.ts';
import type { MapOptions } from './map.ts';
import type { Transferred } from './transfer.ts';

/** Arguments of a job: each may be wrapped by `transfer()`. */
export type JobArgs<A extends unknown[]> = { [K in keyof A]: A[K] | Transferred<A[K]> };

/** Options of `shutdown()`. */
export interface ShutdownOptions {
  /** Return only once every job has settled and every worker has exited (default true). */
  wait?: boolean;
  /** Cancel the jobs that have not started (default false). */
  cancelFutures?: boolean;
}

/**
 * What `ThreadPoolExecutor` and `ProcessPoolExecutor` both are (asyncio's
 * `concurrent.futures.Executor`): run jobs, map over inputs in order, shut down. It is also
 * what `loop.runInExecutor()` and `loop.setDefaultExecutor()` take.
 *
 * @example
 * ```ts
 * import { type Executor, ProcessPoolExecutor, ThreadPoolExecutor } from '@aiots/executors';
 * async function total(executor: Executor, xs: number[]): Promise<number> {
 *   let sum = 0;
 *   for await (const y of executor.map((x: number) => x * x, xs)) sum += y;
 *   return sum;
 * }
 * await using threads = new ThreadPoolExecutor({ maxWorkers: 1 });
 * await using processes = new ProcessPoolExecutor({ maxWorkers: 1 });
 * console.log(await total(threads, [1, 2, 3]), await total(processes, [1, 2, 3])); // 14 14
 * ```
 */
export interface Executor extends LoopExecutor, AsyncDisposable {
  /** Runs `job(...args)` on a worker; the Task settles with its result. */
  submit<A extends unknown[], R>(job: Job<A, R>, ...args: JobArgs<A>): Task<Awaited<R>>;
  /** Runs `job(item)` for each item and yields the results in input order. */
  map<T, R>(
    job: Job<[T], R>,
    items: Iterable<T | Transferred<T>> | AsyncIterable<T | Transferred<T>>,
    opts?: MapOptions,
  ): AsyncIterableIterator<Awaited<R>>;
  /** Stops taking jobs; with `wait`, returns once every job and worker is done. */
  shutdown(opts?: ShutdownOptions): Promise<void>;
  /** `shutdown({ wait: true })`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}
