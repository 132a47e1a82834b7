/**
 * @internal How this package parks a task until a Node callback wakes it: a Future of the
 * owner's loop that the callback settles. Awaiting a Future inside a task is a cancellation
 * point (cancelling the task cancels the Future); an `AbortSignal` cancels it too, and the
 * wait then rejects with `signal.reason`.
 *
 * Wakeups carry no data: the woken code takes what it needs from its buffer only once it
 * runs, so a waiter cancelled after its wakeup was sent loses nothing. This is the one
 * module to switch when the loop's low-level parking surface is used instead.
 */
import type { Future, Loop } from '@aiots/loop';

/** What every wait of this package accepts. */
export interface WaitOptions {
  /**
   * Aborting it abandons the wait: the call rejects with `signal.reason` and nothing is
   * lost (data not yet handed over stays for the next read). An aborted signal rejects at
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
  let aborted = false;
  const onAbort = () => {
    if (!fut.done()) {
      aborted = true;
      fut.cancel();
    }
  };
  signal.addEventListener('abort', onAbort);
  try {
    return await fut;
  } catch (e) {
    throw aborted ? signal.reason : e;
  } finally {
    signal.removeEventListener('abort', onAbort);
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
