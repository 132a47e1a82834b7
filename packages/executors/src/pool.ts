/**
 * PoolExecutor: the public face shared by `ThreadPoolExecutor` and `ProcessPoolExecutor`.
 * Everything it does is delegated to a Scheduler held in a private field, so the published
 * types show the API and nothing of the engine.
 */
import type { Task } from '@aiots/loop';
import type { ErrorClass } from './error-decode.ts';
import type { Executor, JobArgs, ShutdownOptions } from './executor.ts';
import type { Job } from './job.ts';
import type { MapOptions } from './map.ts';
import { boolOption, checkKeys } from './options.ts';
import { Scheduler } from './scheduler.ts';
import type { Transferred } from './transfer.ts';

/** Options shared by `ThreadPoolExecutor` and `ProcessPoolExecutor`. */
export interface PoolOptions {
  /** How many workers at most (default `os.availableParallelism()`). */
  maxWorkers?: number;
  /** A worker idle this long (ms) exits; a new one starts when needed (default 30 000). */
  idleTimeoutMs?: number;
  /**
   * How long (ms) a cancelled running job may take to finish after its `jobSignal()` aborts
   * before its worker is terminated (default 100; 0 terminates at once).
   */
  cancelGraceMs?: number;
  /** Error classes to rebuild (by constructor name) when a job throws them. */
  errorClasses?: readonly ErrorClass[];
}

/** What `stats()` returns: a frozen snapshot. */
export interface ExecutorStats {
  /** The `maxWorkers` limit. */
  readonly maxWorkers: number;
  /** Workers alive (starting, working, idle or being stopped). */
  readonly workers: number;
  /** Workers with at least one job in flight. */
  readonly busy: number;
  /** Jobs waiting in the pool for a worker. */
  readonly queued: number;
  /** Jobs sent to a worker and not yet reported. */
  readonly running: number;
  /** Jobs that returned a value. */
  readonly completed: number;
  /** Jobs that threw, or whose worker died under them. */
  readonly failed: number;
  /** Jobs that ended cancelled. */
  readonly cancelled: number;
  /** Workers that died without being asked to (each failed at most one job). */
  readonly crashed: number;
}

/**
 * What `ThreadPoolExecutor` and `ProcessPoolExecutor` share: `submit`, `map`, `shutdown`,
 * `destroy` and `stats`. Not constructed directly.
 *
 * @example
 * ```ts
 * import { type PoolExecutor, ThreadPoolExecutor } from '@aiots/executors';
 * async function square(pool: PoolExecutor, x: number): Promise<number> {
 *   return await pool.submit((n: number) => n * n, x);
 * }
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * console.log(await square(pool, 7)); // 49
 * ```
 */
export abstract class PoolExecutor implements Executor {
  readonly #scheduler: Scheduler;

  /** @internal Built by the subclasses only: the scheduler is not part of the API. */
  constructor(scheduler: Scheduler) {
    if (!(scheduler instanceof Scheduler)) {
      throw new TypeError(
        'PoolExecutor is not constructed directly: use ThreadPoolExecutor or ProcessPoolExecutor',
      );
    }
    this.#scheduler = scheduler;
  }

  /** The most workers this pool runs at once. */
  get maxWorkers(): number {
    return this.#scheduler.maxWorkers;
  }

  /**
   * Runs `job(...args)` on a worker and returns its Task. The job is a self-contained function
   * (sent by its source: it may use its parameters and globals, not outer variables) or a
   * module export `{ module, name }`. Arguments and the result cross by structured clone;
   * wrap an argument in `transfer()` to move its buffers instead. Cancelling the Task (or a
   * task awaiting it, or a `timeout`/`waitFor`/task group around it) removes a queued job, or
   * aborts a running job's `jobSignal()` and terminates its worker if it has not finished
   * `cancelGraceMs` later; the Task ends cancelled once the job has stopped.
   *
   * @param job the function or module export to run.
   * @param args its arguments.
   * @returns a Task that settles with the job's result or (rebuilt) error; it fails with
   *   `DataCloneError` when an argument cannot be cloned (its `argument` names which).
   * @throws {ExecutorShutdownError} after `shutdown()`.
   * @throws {DataCloneError} when a `transfer()` argument cannot be moved, or a process pool
   *   is given a view of a SharedArrayBuffer.
   * @throws {ClosureError} when a function uses variables from outside itself.
   * @throws {JobModuleError} when a module job's file does not exist.
   * @throws {TypeError} when `job` is not a function or `{ module, name }`.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from '@aiots/executors';
   * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
   * const fib = (n: number): number => {
   *   const f = (k: number): number => (k < 2 ? k : f(k - 1) + f(k - 2));
   *   return f(n);
   * };
   * console.log(await pool.submit(fib, 25)); // 75025
   * ```
   */
  submit<A extends unknown[], R>(job: Job<A, R>, ...args: JobArgs<A>): Task<Awaited<R>> {
    return this.#scheduler.submit(job, args as unknown[]) as Task<Awaited<R>>;
  }

  /**
   * Runs `job(item)` for each item on the pool and yields the results in input order, like
   * asyncio's `Executor.map` but lazy: it reads `items` only as far as `prefetch` chunks ahead
   * of the consumer, so a huge or endless (async) input keeps memory bounded. With `chunksize`
   * > 1, that many items travel as one job (fewer messages for tiny jobs). When a job throws,
   * the results before it are yielded, then the error is thrown. Leaving early (the job
   * throws, `break`, `return()`, the consuming task is cancelled) cancels the jobs in flight
   * and finishes only once they have stopped, as cancelling `submit`'s Task does; items not
   * yet read are never read. An iterator dropped without being finished or returned cannot
   * be noticed: its jobs in flight run to their end.
   *
   * @param job the function or module export to run on each item.
   * @param items the inputs, sync or async.
   * @param opts `chunksize` (default 1), `prefetch` (chunks in flight, default 2 × maxWorkers).
   * @throws {TypeError} when `items` is not iterable, or for an unknown or malformed option.
   * @throws {RangeError} when `chunksize` or `prefetch` is below 1 or not an integer.
   * @returns an async iterable of the results, in order.
   * @throws {ExecutorShutdownError} after `shutdown()` (when iteration starts).
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from '@aiots/executors';
   * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
   * const out: number[] = [];
   * for await (const y of pool.map((x: number) => x * 2, [1, 2, 3], { chunksize: 2 })) out.push(y);
   * console.log(out); // [ 2, 4, 6 ]
   * ```
   */
  map<T, R>(
    job: Job<[T], R>,
    items: Iterable<T | Transferred<T>> | AsyncIterable<T | Transferred<T>>,
    opts: MapOptions = {},
  ): AsyncIterableIterator<Awaited<R>> {
    return this.#scheduler.map(job, items, opts);
  }

  /**
   * Stops taking jobs. With `cancelFutures`, jobs that have not started are cancelled; jobs
   * already running always finish. With `wait` (the default) it returns once every job has
   * settled and every worker has exited; without, it returns at once and the workers exit
   * when their jobs are done. Calling it again is harmless.
   *
   * @param opts `wait` (default true), `cancelFutures` (default false).
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from '@aiots/executors';
   * const pool = new ThreadPoolExecutor();
   * const t = pool.submit(() => 'done');
   * await pool.shutdown();
   * console.log(t.result(), pool.stats().workers); // done 0
   * ```
   */
  async shutdown(opts: ShutdownOptions = {}): Promise<void> {
    checkKeys('shutdown() options', opts, ['wait', 'cancelFutures']);
    const wait = boolOption(opts, 'wait', true);
    const cancelFutures = boolOption(opts, 'cancelFutures', false);
    await this.#scheduler.shutdown(wait, cancelFutures);
  }

  /** Same as `shutdown({ wait: true })`: waits for every job and worker. */
  close(): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /**
   * Stops at once: every job that has not finished, running or not, ends cancelled and every
   * worker is terminated. Returns once they have exited.
   *
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from '@aiots/executors';
   * const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
   * const t = pool.submit(() => { for (;;); });
   * await pool.destroy();
   * console.log(t.cancelled()); // true
   * ```
   */
  destroy(): Promise<void> {
    return this.#scheduler.destroy();
  }

  /** `await using pool = new ThreadPoolExecutor()` shuts it down (waiting) at scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /**
   * A frozen snapshot of the pool: workers, jobs queued and running, totals.
   *
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from '@aiots/executors';
   * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
   * await pool.submit(() => 1);
   * const s = pool.stats();
   * console.log(s.completed, s.queued, s.running); // 1 0 0
   * ```
   */
  stats(): ExecutorStats {
    return this.#scheduler.stats();
  }

  /** A one-line summary: `<ThreadPoolExecutor workers=1/2 queued=0 running=1>`. */
  toString(): string {
    return this.#scheduler.toString();
  }
}
