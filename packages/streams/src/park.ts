/**
 * @internal How this package parks a task until a Node callback wakes it: a Future of the
 * owner's loop that the callback settles, awaited directly (a cancellation point: cancelling
 * the task cancels the Future) or under the loop's `AbortWatch` when a `signal` is given.
 *
 * Wakeups carry no data: the woken code takes what it needs from its buffer only once it
 * runs, so a waiter cancelled after its wakeup was sent loses nothing, and nothing needs
 * handing back (the cases where a value is handed over use `ParkingLot` directly).
 */
import type { Future, Loop } from '@aiots/loop';
import { AbortWatch } from '@aiots/loop/lowlevel';

/** What every wait of this package accepts as its last argument: `{ signal }`. */
export interface WaitOptions {
  /**
   * Aborting it abandons the wait: the call rejects with `signal.reason` and nothing is
   * lost (bytes not yet handed over stay for the next read). An aborted signal rejects at
   * once.
   */
  signal?: AbortSignal | undefined;
}

/** A pending Future on `loop`, to be settled by a callback. */
export function newWaiter<T = void>(loop: Loop): Future<T> {
  return loop.createFuture<T>();
}

/**
 * Waits for `fut`: cancelling the awaiting task cancels it, and so does aborting `signal`,
 * after which this rejects with `signal.reason`.
 */
export function park<T>(fut: Future<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal === undefined ? fut : parkAbortable(fut, signal);
}

async function parkAbortable<T>(fut: Future<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    fut.cancel();
    throw signal.reason;
  }
  const watch = new AbortWatch(signal, fut);
  try {
    return await fut;
  } catch (e) {
    throw watch.aborted ? signal.reason : e;
  } finally {
    watch.dispose();
  }
}

/** Settles `fut` with `value` unless it is done (cancelled by its waiter). */
export function wake<T>(fut: Future<T> | undefined, value: T): void {
  if (fut !== undefined && !fut.done()) fut.setResult(value);
}

/** Fails `fut` with `error` unless it is done. */
export function wakeWithError(fut: Future<unknown> | undefined, error: unknown): void {
  if (fut !== undefined && !fut.done()) fut.setException(error);
}
