/**
 * The named errors of `@aiots/sync`. Each extends `AiotsError` from `@aiots/loop`, carries a
 * stable `name` and `code`, and is recognised by `is()` through a `Symbol.for` brand, so the
 * check holds even when two copies of the package are loaded.
 *
 * Misuse that is a state error (releasing an unlocked Lock, over-releasing a
 * BoundedSemaphore, `taskDone()` too often, waiting on a Condition without its lock) throws
 * `InvalidStateError` from `@aiots/loop`; bad arguments throw `TypeError` or `RangeError`.
 */
import { AiotsError } from '@aiots/loop';
import { isErrorKind as isKind, errorKind as kind } from '@aiots/loop/lowlevel';

/**
 * Thrown by `Queue.getNowait()` when the queue has no item to give.
 *
 * @example
 * ```ts
 * import { Queue, QueueEmpty } from '@aiots/sync';
 * try {
 *   new Queue<number>().getNowait();
 * } catch (e) {
 *   console.log(QueueEmpty.is(e), (e as QueueEmpty).code); // true AIOTS_QUEUE_EMPTY
 * }
 * ```
 */
export class QueueEmpty extends AiotsError {
  readonly [kind] = 'QueueEmpty';
  override readonly code: string = 'AIOTS_QUEUE_EMPTY';
  override name = 'QueueEmpty';

  constructor(
    message = 'getNowait() expected an item in the queue, but the queue is empty',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** True when `e` is a `QueueEmpty` from any copy of `@aiots/sync`. */
  static override is(e: unknown): e is QueueEmpty {
    return isKind(e, 'QueueEmpty');
  }
}

/**
 * Thrown by `Queue.putNowait()` when the queue has no free slot.
 *
 * @example
 * ```ts
 * import { Queue, QueueFull } from '@aiots/sync';
 * const q = new Queue<number>(1);
 * q.putNowait(1);
 * try {
 *   q.putNowait(2);
 * } catch (e) {
 *   console.log(QueueFull.is(e), (e as Error).message); // true putNowait() expected a free slot, ...
 * }
 * ```
 */
export class QueueFull extends AiotsError {
  readonly [kind] = 'QueueFull';
  override readonly code: string = 'AIOTS_QUEUE_FULL';
  override name = 'QueueFull';

  constructor(
    message = 'putNowait() expected a free slot, but the queue is full',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** True when `e` is a `QueueFull` from any copy of `@aiots/sync`. */
  static override is(e: unknown): e is QueueFull {
    return isKind(e, 'QueueFull');
  }
}

/**
 * Thrown by puts on a queue that was shut down, by gets once it is also empty (at once after
 * `shutdown(true)`), and into every put and get that was waiting when it was shut down.
 *
 * @example
 * ```ts
 * import { Queue, QueueShutDown } from '@aiots/sync';
 * const q = new Queue<string>();
 * q.shutdown();
 * await q.put('late').catch((e) => console.log(QueueShutDown.is(e))); // true
 * ```
 */
export class QueueShutDown extends AiotsError {
  readonly [kind] = 'QueueShutDown';
  override readonly code: string = 'AIOTS_QUEUE_SHUT_DOWN';
  override name = 'QueueShutDown';

  constructor(message = 'the queue is shut down', options?: ErrorOptions) {
    super(message, options);
  }

  /** True when `e` is a `QueueShutDown` from any copy of `@aiots/sync`. */
  static override is(e: unknown): e is QueueShutDown {
    return isKind(e, 'QueueShutDown');
  }
}

/**
 * Thrown by `Barrier.wait()` when the barrier is aborted (`'Barrier aborted'`), or into the
 * tasks waiting at it when it is reset or aborted (`'Abort or reset of barrier'`).
 *
 * @example
 * ```ts
 * import { Barrier, BrokenBarrierError } from '@aiots/sync';
 * const b = new Barrier(2);
 * b.abort();
 * await b.wait().catch((e) => console.log(BrokenBarrierError.is(e), (e as Error).message)); // true Barrier aborted
 * ```
 */
export class BrokenBarrierError extends AiotsError {
  readonly [kind] = 'BrokenBarrierError';
  override readonly code: string = 'AIOTS_BROKEN_BARRIER';
  override name = 'BrokenBarrierError';

  /** True when `e` is a `BrokenBarrierError` from any copy of `@aiots/sync`. */
  static override is(e: unknown): e is BrokenBarrierError {
    return isKind(e, 'BrokenBarrierError');
  }
}
