/**
 * The named errors of `@aiots/executors`. Each has a stable `name` and `code`, extends
 * `AiotsError` (so `AiotsError.is(e)` holds), and has its own `is()` that checks the kind
 * every `@aiots/*` error declares (`errorKind`), so checks hold across two copies of the
 * package.
 */
import { AiotsError } from '@aiots/loop';
import { isErrorKind as isKind, errorKind as kind } from '@aiots/loop/lowlevel';

/**
 * The worker running a job died (the job called `process.exit`, threw from a timer, ran out
 * of memory under `resourceLimits`, or its process was killed). Only that job fails; the pool
 * replaces the worker and its other jobs run elsewhere. `cause` is the worker's last error
 * when one is known.
 *
 * @example
 * ```ts
 * import { BrokenWorkerError, ThreadPoolExecutor } from '@aiots/executors';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * try {
 *   await pool.submit(() => process.exit(3));
 * } catch (e) {
 *   console.log(BrokenWorkerError.is(e), (e as BrokenWorkerError).exitCode); // true 3
 * }
 * ```
 */
export class BrokenWorkerError extends AiotsError {
  readonly [kind] = 'BrokenWorkerError';
  override readonly code: string = 'AIOTS_BROKEN_WORKER';
  override name = 'BrokenWorkerError';
  /** The worker's exit code, when it exited. */
  readonly exitCode: number | null;
  /** The signal that killed a child process, such as `SIGKILL`. */
  readonly signal: string | null;

  constructor(
    message: string,
    opts: { cause?: unknown; exitCode?: number | null; signal?: string | null } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.exitCode = opts.exitCode ?? null;
    this.signal = opts.signal ?? null;
  }

  /** True when `e` is a `BrokenWorkerError` from any copy of `@aiots/executors`. */
  static override is(e: unknown): e is BrokenWorkerError {
    return isKind(e, 'BrokenWorkerError');
  }
}

/**
 * A value cannot cross to or from a worker by structured clone (a function, a symbol, a
 * promise, an object with native state, a detached buffer). The job's Task fails with it,
 * naming the value in `argument` (`'args[1]'`, `'args[0].onDone'`; `'item.cb'` for a
 * `map()` item; `'result'` when the result cannot come back), and the message says what it
 * found there. Arguments are not checked before they are sent, so this costs nothing when
 * they can be. `submit` throws it at once only for what it handles itself: a `transfer()`
 * list it cannot move, or (process pools) a view of a SharedArrayBuffer. `cause` is the
 * platform error when there is one.
 *
 * @example
 * ```ts
 * import { DataCloneError, ThreadPoolExecutor } from '@aiots/executors';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * try {
 *   await pool.submit((o: object) => o, { onDone: () => {} });
 * } catch (e) {
 *   console.log(DataCloneError.is(e), (e as DataCloneError).argument); // true args[0].onDone
 * }
 * ```
 */
export class DataCloneError extends AiotsError {
  readonly [kind] = 'DataCloneError';
  override readonly code: string = 'AIOTS_DATA_CLONE';
  override name = 'DataCloneError';
  /** Which value could not cross: `args[i]` or `item` with a path into it, or `result`. */
  readonly argument: string;

  constructor(message: string, opts: { argument: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.argument = opts.argument;
  }

  /** True when `e` is a `DataCloneError` from any copy of `@aiots/executors`. */
  static override is(e: unknown): e is DataCloneError {
    return isKind(e, 'DataCloneError');
  }
}

/**
 * A job threw an error whose class cannot be rebuilt on this side (a custom class that was
 * not listed in the pool's `errorClasses`). It keeps the remote `name`, `message`, `stack`,
 * `cause` and own properties.
 *
 * @example
 * ```ts
 * import { RemoteError, ThreadPoolExecutor } from '@aiots/executors';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * try {
 *   await pool.submit(() => {
 *     class QuotaError extends Error { override name = 'QuotaError'; limit = 3; }
 *     throw new QuotaError('over quota');
 *   });
 * } catch (e) {
 *   const r = e as RemoteError & { limit: number };
 *   console.log(RemoteError.is(e), r.name, r.message, r.limit); // true QuotaError over quota 3
 * }
 * ```
 */
export class RemoteError extends AiotsError {
  readonly [kind] = 'RemoteError';
  override readonly code: string = 'AIOTS_REMOTE_ERROR';
  override name = 'RemoteError';
  /** The constructor name the error had in the worker. */
  readonly remoteClass: string;

  constructor(message: string, opts: { name: string; remoteClass: string; cause?: unknown }) {
    super(message, 'cause' in opts ? { cause: opts.cause } : undefined);
    this.name = opts.name;
    this.remoteClass = opts.remoteClass;
  }

  /** True when `e` is a `RemoteError` from any copy of `@aiots/executors`. */
  static override is(e: unknown): e is RemoteError {
    return isKind(e, 'RemoteError');
  }
}

/**
 * A job function uses variables from outside itself. Functions are sent to workers by their
 * source text, so a closure cannot work there: pass the values as arguments, or put the
 * function in a module and submit `{ module, name }`. `identifiers` lists the free names.
 *
 * @example
 * ```ts
 * import { ClosureError, ThreadPoolExecutor } from '@aiots/executors';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const factor = 3;
 * try {
 *   pool.submit((x: number) => x * factor, 2);
 * } catch (e) {
 *   console.log(ClosureError.is(e), (e as ClosureError).identifiers); // true [ 'factor' ]
 * }
 * ```
 */
export class ClosureError extends AiotsError {
  readonly [kind] = 'ClosureError';
  override readonly code: string = 'AIOTS_CLOSURE';
  override name = 'ClosureError';
  /** The names the function uses but does not define. */
  readonly identifiers: readonly string[];

  constructor(message: string, opts: { identifiers: readonly string[]; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.identifiers = opts.identifiers;
  }

  /** True when `e` is a `ClosureError` from any copy of `@aiots/executors`. */
  static override is(e: unknown): e is ClosureError {
    return isKind(e, 'ClosureError');
  }
}

/**
 * A job module cannot be found or loaded (it does not exist, or importing it threw). Thrown
 * by `submit` when the file is missing, or by the job's task when the import fails in the
 * worker; `cause` is the import error.
 *
 * @example
 * ```ts
 * import { JobModuleError, ThreadPoolExecutor } from '@aiots/executors';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * try {
 *   pool.submit({ module: '/nowhere/jobs.js', name: 'run' });
 * } catch (e) {
 *   console.log(JobModuleError.is(e), (e as JobModuleError).module); // true file:///nowhere/jobs.js
 * }
 * ```
 */
export class JobModuleError extends AiotsError {
  readonly [kind] = 'JobModuleError';
  override readonly code: string = 'AIOTS_JOB_MODULE';
  override name = 'JobModuleError';
  /** The module URL. */
  readonly module: string;

  constructor(message: string, opts: { module: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.module = opts.module;
  }

  /** True when `e` is a `JobModuleError` from any copy of `@aiots/executors`. */
  static override is(e: unknown): e is JobModuleError {
    return isKind(e, 'JobModuleError');
  }
}

/**
 * A job module loaded, but the export it names is missing or not a function. The job's task
 * fails with it.
 *
 * @example
 * ```ts
 * import { JobExportError, ThreadPoolExecutor } from '@aiots/executors';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const module = 'data:text/javascript,export const answer = 42;';
 * try {
 *   await pool.submit({ module, name: 'answer' });
 * } catch (e) {
 *   console.log(JobExportError.is(e), (e as JobExportError).exportName); // true answer
 * }
 * ```
 */
export class JobExportError extends AiotsError {
  readonly [kind] = 'JobExportError';
  override readonly code: string = 'AIOTS_JOB_EXPORT';
  override name = 'JobExportError';
  /** The module URL. */
  readonly module: string;
  /** The export that is not a function. */
  readonly exportName: string;

  constructor(message: string, opts: { module: string; exportName: string }) {
    super(message);
    this.module = opts.module;
    this.exportName = opts.exportName;
  }

  /** True when `e` is a `JobExportError` from any copy of `@aiots/executors`. */
  static override is(e: unknown): e is JobExportError {
    return isKind(e, 'JobExportError');
  }
}

/**
 * `submit` or `map` was called after `shutdown()` (asyncio: "cannot schedule new futures
 * after shutdown").
 *
 * @example
 * ```ts
 * import { ExecutorShutdownError, ThreadPoolExecutor } from '@aiots/executors';
 * const pool = new ThreadPoolExecutor();
 * await pool.shutdown();
 * try { pool.submit(() => 1); } catch (e) { console.log(ExecutorShutdownError.is(e)); } // true
 * ```
 */
export class ExecutorShutdownError extends AiotsError {
  readonly [kind] = 'ExecutorShutdownError';
  override readonly code: string = 'AIOTS_EXECUTOR_SHUTDOWN';
  override name = 'ExecutorShutdownError';

  /** True when `e` is an `ExecutorShutdownError` from any copy of `@aiots/executors`. */
  static override is(e: unknown): e is ExecutorShutdownError {
    return isKind(e, 'ExecutorShutdownError');
  }
}
