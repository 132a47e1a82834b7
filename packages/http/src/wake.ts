/**
 * How this package parks a task until a foreign callback (undici's handler, a socket event)
 * wakes it: a plain `Future` of `@aiots/loop`. Awaiting it inside a task is a cancellation
 * point (cancelling the task cancels the Future and wakes the task at once with
 * `CancelledError`), and settling it from any callback is safe. Every park of the package
 * goes through here. Internal.
 */
import { type Future, getLoop } from '@aiots/loop';

/** A fresh latch to park on. */
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

/**
 * Sleeps `ms` on the current loop; a cancellation point. `onTimer` receives the latch so a
 * deadline elsewhere can end the sleep early with an error.
 */
export function sleepLatch(ms: number): Future<void> {
  const fut = latch();
  const handle = getLoop().callLater(ms, wake, fut, undefined);
  fut.addDoneCallback(() => handle.cancel());
  return fut;
}
