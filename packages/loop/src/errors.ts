/**
 * The named errors of `@aiots/loop`. Every class carries a stable `name` and `code` and a
 * `Symbol.for` brand, so `AiotsError.is(e)` and `CancelledError.is(e)` hold even when two
 * copies of the package are loaded.
 */

const brand = Symbol.for('aiots.error');
/**
 * The key under which an `@aiots/*` error class declares its kind (`Symbol.for`, so it is
 * shared by every copy of every package). See `isErrorKind`.
 *
 * @example
 * ```ts
 * import { CancelledError } from '@aiots/loop';
 * import { errorKind } from '@aiots/loop/lowlevel';
 * console.log(new CancelledError()[errorKind]); // CancelledError
 * ```
 */
export const errorKind: unique symbol = Symbol.for('aiots.error.kind');
const kind = errorKind;

/**
 * Base class of every error thrown by an `@aiots/*` package.
 *
 * @example
 * ```ts
 * import { AiotsError, CancelledError } from '@aiots/loop';
 * console.log(AiotsError.is(new CancelledError())); // true
 * ```
 */
export class AiotsError extends Error {
  readonly [brand] = true;
  /** A stable machine-readable code, such as `AIOTS_CANCELLED`. */
  readonly code: string = 'AIOTS_ERROR';
  override name = 'AiotsError';

  /** True when `e` is an error made by any copy of an `@aiots/*` package. */
  static is(e: unknown): e is AiotsError {
    return typeof e === 'object' && e !== null && brand in e;
  }
}

const isKind = isErrorKind;

/**
 * Thrown into a task at the await it is suspended on when the task is cancelled, and by
 * `result()` of a cancelled Future or Task. Catch it only to clean up, then rethrow it (or
 * call `currentTask().uncancel()` if you really mean to swallow the cancel).
 *
 * @example
 * ```ts
 * import { CancelledError, createTask, sleep } from '@aiots/loop';
 * const t = createTask(() => sleep(1000));
 * t.cancel('stop');
 * try { await t; } catch (e) { console.log(CancelledError.is(e), (e as Error).message); } // true stop
 * ```
 */
export class CancelledError extends AiotsError {
  readonly [kind] = 'CancelledError';
  override readonly code: string = 'AIOTS_CANCELLED';
  override name = 'CancelledError';

  /** True when `e` is a `CancelledError` from any copy of `@aiots/loop`. */
  static override is(e: unknown): e is CancelledError {
    return isKind(e, 'CancelledError');
  }
}

/**
 * Thrown by `timeout`, `timeoutAt` and `waitFor` when their deadline passes. Its `cause`
 * is the `CancelledError` that interrupted the body, when there was one.
 *
 * @example
 * ```ts
 * import { TimeoutError, sleep, waitFor } from '@aiots/loop';
 * try { await waitFor(sleep(1000), 10); } catch (e) { console.log(e instanceof TimeoutError); } // true
 * ```
 */
export class TimeoutError extends AiotsError {
  readonly [kind] = 'TimeoutError';
  override readonly code: string = 'AIOTS_TIMEOUT';
  override name = 'TimeoutError';

  /** True when `e` is a `TimeoutError` from any copy of `@aiots/loop`. */
  static override is(e: unknown): e is TimeoutError {
    return isKind(e, 'TimeoutError');
  }
}

/**
 * An operation is not allowed in the object's current state: reading the result of a
 * pending Future, setting one twice, entering a TaskGroup twice, calling `run()` inside a
 * running loop, using a closed loop.
 *
 * @example
 * ```ts
 * import { Future, InvalidStateError } from '@aiots/loop';
 * try { new Future().result(); } catch (e) { console.log(e instanceof InvalidStateError); } // true
 * ```
 */
export class InvalidStateError extends AiotsError {
  readonly [kind] = 'InvalidStateError';
  override readonly code: string = 'AIOTS_INVALID_STATE';
  override name = 'InvalidStateError';

  /** True when `e` is an `InvalidStateError` from any copy of `@aiots/loop`. */
  static override is(e: unknown): e is InvalidStateError {
    return isKind(e, 'InvalidStateError');
  }
}

/**
 * Thrown by `taskGroup` when the body or any child failed: `errors` holds every failure
 * (nested groups nest). asyncio calls this an `ExceptionGroup`.
 *
 * @example
 * ```ts
 * import { TaskGroupError, taskGroup } from '@aiots/loop';
 * try {
 *   await taskGroup(async (tg) => { tg.createTask(async () => { throw new Error('boom'); }); });
 * } catch (e) { console.log(e instanceof TaskGroupError, (e as TaskGroupError).errors.length); } // true 1
 * ```
 */
export class TaskGroupError extends AggregateError {
  readonly [brand] = true;
  readonly [kind] = 'TaskGroupError';
  /** A stable machine-readable code: `AIOTS_TASK_GROUP`. */
  readonly code: string = 'AIOTS_TASK_GROUP';
  override name = 'TaskGroupError';

  constructor(errors: unknown[], message = 'unhandled errors in a TaskGroup') {
    super(errors, `${message} (${errors.length} sub-exception${errors.length === 1 ? '' : 's'})`);
  }

  /** True when `e` is a `TaskGroupError` from any copy of `@aiots/loop`. */
  static is(e: unknown): e is TaskGroupError {
    return isKind(e, 'TaskGroupError');
  }
}

/**
 * A short description of a value for error messages: its type and a rendering cut to 40
 * characters (`string "abc"`, `number NaN`, `an array of length 3`, `an instance of Map`).
 * Every `@aiots/*` package words its `TypeError`/`RangeError` messages with it.
 *
 * @param value Anything.
 * @returns The description.
 * @example
 * ```ts
 * import { describe } from '@aiots/loop/lowlevel';
 * console.log(describe('x'.repeat(50)).length, describe([1, 2]), describe(null)); // 49 an array of length 2 null
 * ```
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const ctor = (value as object).constructor;
  return ctor?.name ? `an instance of ${ctor.name}` : 'an object';
}

/**
 * The brand check behind every `XError.is(e)` of the `@aiots/*` packages: true when `e` was
 * made by any copy of any `@aiots/*` package as an error of kind `kind` (the class sets
 * `readonly [errorKind] = 'Kind'`). Unlike `instanceof`, it holds across two installed
 * copies of a package.
 *
 * @param e Anything.
 * @param kind The kind a class declares under `errorKind`, usually its name.
 * @returns Whether `e` is of that kind.
 * @example
 * ```ts
 * import { AiotsError } from '@aiots/loop';
 * import { errorKind, isErrorKind } from '@aiots/loop/lowlevel';
 * class WidgetError extends AiotsError {
 *   readonly [errorKind] = 'WidgetError';
 *   static override is(e: unknown): e is WidgetError { return isErrorKind(e, 'WidgetError'); }
 * }
 * console.log(WidgetError.is(new WidgetError('x')), isErrorKind(new Error('x'), 'WidgetError')); // true false
 * ```
 */
export function isErrorKind(e: unknown, kind: string): boolean {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[errorKind] === kind;
}

/** Package-internal: validates a time in milliseconds (a delay, a deadline): any number but NaN. */
export function checkMs(ms: unknown, name: string, where: string): number {
  if (typeof ms !== 'number') {
    throw new TypeError(
      `${where} expected \`${name}\` to be a number of milliseconds, got ${describe(ms)}`,
    );
  }
  if (Number.isNaN(ms)) {
    throw new RangeError(`${where} expected \`${name}\` to be a number of milliseconds, got NaN`);
  }
  return ms;
}
