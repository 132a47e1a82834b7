import { checkMs } from './errors.ts';
import { Future, PENDING } from './future.ts';
import { getLoop, type TimerHandle } from './loop.ts';

/** Package-internal: A Future settled by a timer; cancelling it cancels the timer. */
export class SleepFuture<T> extends Future<T> {
  /** @internal */ _timer: TimerHandle | undefined = undefined;
  /** @internal */ _result: T | undefined = undefined;
  /** @internal */ _ms = 0;

  override cancel(msg?: unknown): boolean {
    if (!super.cancel(msg)) return false;
    this._timer?.cancel();
    this._timer = undefined;
    return true;
  }

  /** @internal What the task tree shows for a task suspended here. */
  get _description(): string {
    return this._ms > 0 ? `sleep(${this._ms}ms)` : 'sleep(0)';
  }

  override toString(): string {
    return `<SleepFuture ${this._state === PENDING ? 'pending' : 'done'} ${this._description}>`;
  }
}

function wake(f: SleepFuture<unknown>): void {
  f._timer = undefined;
  if (f._state === PENDING) f._resolve(f._result);
}

/**
 * Resolves with `value` after `ms` milliseconds of loop time. `sleep(0)` (or a negative delay)
 * yields once so other tasks run; `sleep(Infinity)` waits until cancelled. A cancellation
 * point: cancelling the task wakes it at once with `CancelledError` and stops the timer.
 *
 * @throws {TypeError} when `ms` is not a number. @throws {RangeError} when `ms` is NaN.
 * @example
 * ```ts
 * import { sleep } from '@aiots/loop';
 * console.log(await sleep(10, 'woke')); // woke
 * ```
 */
export function sleep<T = void>(ms: number, value?: T): Promise<T> {
  checkMs(ms, 'ms', 'sleep()');
  const loop = getLoop();
  const f = new SleepFuture<T>(loop);
  f._result = value;
  f._ms = ms;
  if (ms <= 0) {
    // Already settled: awaiting it costs one loop iteration, as asyncio's `sleep(0)` (a bare
    // yield) does, and a pending cancel is still delivered there.
    f._resolve(value);
  } else {
    if (ms !== Number.POSITIVE_INFINITY)
      f._timer = loop._callAt(loop.time() + ms, wake as never, [f]);
  }
  return f;
}

/**
 * Delivers a pending cancel of the current task and lets other ready tasks run: the await
 * point to put in a long loop of synchronous work.
 *
 * @example
 * ```ts
 * import { checkpoint } from '@aiots/loop';
 * let sum = 0;
 * for (let i = 0; i < 1_000; i++) {
 *   sum += i;
 *   if (i % 100 === 0) await checkpoint();
 * }
 * console.log(sum); // 499500
 * ```
 */
export function checkpoint(): Promise<void> {
  return sleep(0);
}
