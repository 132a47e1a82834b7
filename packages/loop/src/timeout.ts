import { CancelledError, checkMs, describe, InvalidStateError, TimeoutError } from './errors.ts';
import { toFuture } from './future.ts';
import { getLoop, type Loop, type TimerHandle } from './loop.ts';
import { CANCEL_LAST, createTask, currentStepTask, type Task } from './task.ts';

type State = 'created' | 'active' | 'expiring' | 'expired' | 'finished';

/**
 * The scope of a `timeout()`/`timeoutAt()` body: read or move its deadline.
 *
 * @example
 * ```ts
 * import { sleep, timeout } from '@aiots/loop';
 * await timeout(10, async (scope) => {
 *   scope.reschedule(null); // no deadline after all
 *   await sleep(20);
 *   console.log(scope.expired()); // false
 * });
 * ```
 */
export class Timeout {
  #state: State = 'created';
  #when: number | null;
  #task: Task<unknown> | undefined;
  #loop: Loop | undefined;
  #handle: TimerHandle | undefined;
  #cancelling = 0;

  /** @internal */
  constructor(when: number | null) {
    this.#when = when;
  }

  /** The deadline in loop time (ms), or `null` for none. */
  when(): number | null {
    return this.#when;
  }

  /**
   * Moves the deadline to `whenMs` (loop time), or removes it with `null`.
   * @throws {InvalidStateError} before the body runs or once the timeout expired or finished.
   */
  reschedule(whenMs: number | null): void {
    if (this.#state === 'created') throw new InvalidStateError('Timeout has not been entered');
    if (this.#state !== 'active') {
      throw new InvalidStateError(`Cannot change state of ${this.#state} Timeout`);
    }
    if (whenMs !== null) checkMs(whenMs, 'whenMs', 'reschedule()');
    this.#when = whenMs;
    this.#handle?.cancel();
    this.#handle = undefined;
    if (whenMs === null) return;
    const loop = this.#loop as Loop;
    if (whenMs <= loop.time()) this.#handle = loop.callLater(0, this.#onTimeout);
    else this.#handle = loop.callAt(whenMs, this.#onTimeout);
  }

  /** True once the deadline passed and the body was cancelled. */
  expired(): boolean {
    return this.#state === 'expiring' || this.#state === 'expired';
  }

  toString(): string {
    return `<Timeout [${this.#state}] when=${this.#when}>`;
  }

  readonly #onTimeout = (): void => {
    this.#handle = undefined;
    (this.#task as Task<unknown>).cancel();
    this.#state = 'expiring';
  };

  /** @internal */
  _enter(task: Task<unknown>): void {
    if (this.#state !== 'created') throw new InvalidStateError('Timeout has already been entered');
    this.#state = 'active';
    this.#task = task;
    this.#loop = task._loop;
    this.#cancelling = task.cancelling();
    this.reschedule(this.#when);
  }

  /** @internal The body threw `error`: returns what to throw instead. */
  _exitError(error: unknown): unknown {
    this.#handle?.cancel();
    this.#handle = undefined;
    const task = this.#task as Task<unknown>;
    if (this.#state === 'expiring') {
      this.#state = 'expired';
      if (task.uncancel() <= this.#cancelling && CancelledError.is(error)) {
        return new TimeoutError('Timeout expired', { cause: error });
      }
      return error;
    }
    if (this.#state === 'active') this.#state = 'finished';
    return error;
  }

  /** @internal The body returned: throws TimeoutError if the deadline passed unobserved. */
  _exitOk(): void {
    this.#handle?.cancel();
    this.#handle = undefined;
    const task = this.#task as Task<unknown>;
    if (this.#state === 'expiring') {
      this.#state = 'expired';
      // The cancel could not reach the body (it waited on a foreign promise): the value is
      // late, so the caller gets the TimeoutError it asked for, not the value.
      const undelivered = task._mustCancel;
      if (task.uncancel() <= this.#cancelling && undelivered) {
        task._mustCancel = false;
        throw new TimeoutError('Timeout expired');
      }
      return;
    }
    if (this.#state === 'active') this.#state = 'finished';
  }
}

/**
 * Runs `body` with a deadline `ms` from now (`null`: none). At the deadline the current task
 * is cancelled; the `CancelledError` that leaves `body` becomes a `TimeoutError`. Nested
 * timeouts with the same deadline raise only at the outermost, and a cancel from outside
 * stays a `CancelledError`. Outside a task, `body` runs in a new task.
 *
 * @throws {TimeoutError} when the deadline passed before `body` finished.
 * @example
 * ```ts
 * import { TimeoutError, sleep, timeout } from '@aiots/loop';
 * try {
 *   await timeout(10, () => sleep(1000));
 * } catch (e) {
 *   console.log(e instanceof TimeoutError); // true
 * }
 * ```
 */
export function timeout<T>(
  ms: number | null,
  body: (scope: Timeout) => PromiseLike<T>,
): Promise<T> {
  if (ms !== null) checkMs(ms, 'ms', 'timeout()');
  checkBody(body, 'timeout()');
  return timeoutAt(ms === null ? null : getLoop().time() + ms, body);
}

/**
 * Like `timeout`, with the deadline given in loop time (`loop.time()` milliseconds).
 *
 * @example
 * ```ts
 * import { getLoop, sleep, timeoutAt } from '@aiots/loop';
 * const deadline = getLoop().time() + 1_000;
 * console.log(await timeoutAt(deadline, () => sleep(10, 'in time'))); // in time
 * ```
 */
export async function timeoutAt<T>(
  whenMs: number | null,
  body: (scope: Timeout) => PromiseLike<T>,
): Promise<T> {
  if (whenMs !== null) checkMs(whenMs, 'whenMs', 'timeoutAt()');
  checkBody(body, 'timeoutAt()');
  const task = currentStepTask();
  if (task === undefined)
    return await createTask(() => timeoutAt(whenMs, body), { name: 'timeout' });
  const scope = new Timeout(whenMs);
  scope._enter(task);
  let result: T;
  try {
    result = await body(scope);
  } catch (e) {
    throw scope._exitError(e);
  }
  scope._exitOk();
  return result;
}

function checkBody(body: unknown, where: string): void {
  if (typeof body !== 'function') {
    throw new TypeError(
      `${where} expected a body function (scope) => Promise, got ${describe(body)}`,
    );
  }
}

/**
 * Waits for `aw` for at most `timeoutMs` (`null`: no limit). On timeout `aw` is cancelled (a
 * Task or Future) or abandoned (a foreign promise), waitFor waits until the cancel is done,
 * and throws `TimeoutError`. If `aw` swallows the cancel and returns a value, that value is
 * returned. A promise from an async function called in the current task runs inline in it,
 * so the cancel reaches the aiots awaits inside it.
 *
 * @throws {TimeoutError} at the deadline.
 * @example
 * ```ts
 * import { TimeoutError, sleep, waitFor } from '@aiots/loop';
 * console.log(await waitFor(sleep(1, 'quick'), 100)); // quick
 * await waitFor(sleep(1000), 10).catch((e) => console.log(e instanceof TimeoutError)); // true
 * ```
 */
export async function waitFor<T>(aw: PromiseLike<T>, timeoutMs: number | null): Promise<T> {
  const limited = timeoutMs !== null && timeoutMs !== undefined;
  if (limited) checkMs(timeoutMs, 'timeoutMs', 'waitFor()');
  const fut = toFuture(aw, 'waitFor()');
  // A promise may come from an async function running inline in this task: a cancel must
  // reach its own aiots awaits first, and reach this wrapper only if none took it (a foreign
  // promise), so that waitFor waits for the inline cleanup as asyncio's wait_for does.
  if (fut !== (aw as unknown)) fut._flags |= CANCEL_LAST;
  if (!limited) return await fut;
  // A Task or Future is cancelled at once. A promise goes through timeout() below even at 0:
  // an inline one has already started (asyncio's coroutine would not have), so it must get
  // the cancel at its own awaits and be waited for, not be abandoned while it runs.
  if (timeoutMs <= 0 && fut === (aw as unknown)) {
    if (fut.done()) return fut.result();
    fut.cancel();
    try {
      return await fut;
    } catch (e) {
      if (CancelledError.is(e)) {
        const outer = currentStepTask();
        // Our own cancel of `fut` surfaced; a cancel of the calling task must stay one.
        if (outer === undefined || outer.cancelling() === 0) {
          throw new TimeoutError('Timeout expired', { cause: e });
        }
      }
      throw e;
    }
  }
  // asyncio's wait_for(coro, 0) cancels the inner and awaits it; a cancel of the calling task
  // that was pending on entry interrupts that await, so the caller ends cancelled. timeout(0)
  // would turn that pending cancel into TimeoutError (as asyncio.timeout(0) does) and leave
  // the caller going on with cancelling() at 1: give the caller its cancel back.
  const cancelPending = timeoutMs <= 0 && currentStepTask()?._mustCancel === true;
  try {
    return await timeout(timeoutMs, () => fut);
  } catch (e) {
    if (cancelPending && TimeoutError.is(e)) {
      throw CancelledError.is(e.cause) ? e.cause : new CancelledError('');
    }
    throw e;
  }
}
