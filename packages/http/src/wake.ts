/**
 * How this package parks a task until a foreign callback (undici's handler, a socket event)
 * wakes it. Internal.
 *
 * - `latch()`: a plain `Future` for a wait only this package's own code makes, one waiter
 *   at a time (the response headers of an attempt, a back-off sleep a deadline may end).
 *   Awaiting it in a task is a cancellation point.
 * - `Waiters`: for a wait that user code makes and that several tasks may share (the end of
 *   a body that two tasks read, a WebSocket closing): each task parks on its own Future in a
 *   `ParkingLot` of `@aiots/loop/lowlevel`, so cancelling one waiter never disturbs another.
 *   The lot is made on first use: a body that arrived before anyone asked makes none.
 */
import { type Future, getLoop } from '@aiots/loop';
import { ParkingLot } from '@aiots/loop/lowlevel';

/** A fresh latch for one private waiter. */
export function latch<T = void>(): Future<T> {
  return getLoop().createFuture<T>();
}

/** Wakes whoever waits on `fut` with `value`, unless it is already done (cancelled). */
export function wake<T>(fut: Future<T> | undefined, value: T): void {
  if (fut !== undefined && !fut.done()) fut.setResult(value);
}

/** Wakes whoever waits on `fut` with `err`, unless it is already done. */
export function wakeWithError(fut: Future<unknown> | undefined, err: unknown): void {
  if (fut !== undefined && !fut.done()) fut.setException(err);
}

/** Sleeps `ms` on the current loop; a cancellation point that `wakeWithError` can end early. */
export function sleepLatch(ms: number): Future<void> {
  const fut = latch();
  const handle = getLoop().callLater(ms, wake, fut, undefined);
  fut.addDoneCallback(() => handle.cancel());
  return fut;
}

/** Tasks waiting for a state change; each re-checks the state when woken. */
export class Waiters {
  #lot: ParkingLot<void> | undefined;
  readonly #label: string;

  constructor(label: string) {
    this.#label = label;
  }

  /** Parks the current task until `wakeAll()`; a cancellation point. */
  wait(): Promise<void> {
    this.#lot ??= new ParkingLot<void>({ label: this.#label });
    return this.#lot.park();
  }

  /** Wakes every task waiting now. */
  wakeAll(): void {
    this.#lot?.unparkAll(undefined);
  }
}
