/**
 * Lock: asyncio's `Lock` with ownership handed over at `release()`.
 *
 * `release()` with a waiter queued does not unlock: it passes the lock to the first waiter
 * whose Future is still pending and resolves that Future. So a task that releases and at
 * once re-acquires queues behind the waiter it woke (no barging), and `locked()` is true
 * whenever `acquire()` would wait.
 *
 * The race behind bpo-27585 and bpo-32734: a waiter can be handed the lock and then be
 * cancelled before it resumes (its Future has a result, its task gets `CancelledError`). It
 * then releases on the spot, which hands the lock to the next waiter or unlocks, so the lock
 * is never held by two tasks nor left held by nobody.
 *
 * `hold()` is the same wait with the disposable as what is handed over: the waiter's Future
 * resolves with the `Hold` itself, so the hand-off rule covers it too. (A `then()` that
 * makes the disposable after the wakeup would be a second hand-over, and a cancel between
 * the two would drop the disposable with the lock held.)
 *
 * Cancelled waiters are not searched for and removed (asyncio's O(n) `deque.remove`): they
 * stop counting at once and stay in the ring until `release()` skips them, and the ring is
 * compacted once they outnumber the live waiters.
 */
import { InvalidStateError } from '@aiots/loop';
import { Deque } from '@aiots/loop/lowlevel';
import { Hold } from './hold.ts';
import {
  AbortWatch,
  Count,
  compact,
  HandOff,
  liveCount,
  nextLive,
  RESOLVED_TRUE,
  signalOf,
  type WaitOptions,
} from './wait-options.ts';

// One options object per kind of wait: the label names it in formatTaskTree(), and only a
// hand-over that did not reach its waiter is reported.
const ACQUIRE = { label: 'Lock.acquire', reportTaken: false };
const HOLD = { label: 'Lock.hold', reportTaken: false };

/** What `Lock.stats()` returns. */
export interface LockStats {
  /** True while the lock is held (or handed to a waiter that has not resumed yet). */
  readonly locked: boolean;
  /** Tasks waiting in `acquire()`. */
  readonly waiting: number;
}

/**
 * A mutual-exclusion lock for tasks: at most one holder, waiters served strictly in arrival
 * order, and safe against cancellation at any moment. Not owned by a task: any code may
 * release it.
 *
 * @example
 * ```ts
 * import { createTask, sleep } from '@aiots/loop';
 * import { Lock } from '@aiots/sync';
 * const lock = new Lock();
 * const log: string[] = [];
 * const worker = async (name: string) => {
 *   await using _ = await lock.hold();
 *   log.push(`${name} in`);
 *   await sleep(10);
 *   log.push(`${name} out`);
 * };
 * await Promise.all([createTask(() => worker('a')), createTask(() => worker('b'))]);
 * console.log(log); // ['a in', 'a out', 'b in', 'b out']
 * ```
 */
export class Lock {
  #locked = false;
  readonly #waiters = new Deque<HandOff<unknown>>();
  /** Waiters queued and not handed the lock yet (cancelled ones count out at once). */
  readonly #count = new Count();

  constructor() {
    // Bound, so `setTimeout(lock.release, ms)` works.
    this.release = this.release.bind(this);
  }

  /**
   * Acquires the lock, waiting in FIFO order while it is held. When the lock is free the
   * returned promise is already settled: the call does not yield to the loop, as in asyncio.
   *
   * A cancellation point while waiting: cancelling the task (or aborting `signal`) ends the
   * wait with `CancelledError` (or `signal.reason`) and the lock is not held by the caller,
   * even when it had already been handed over.
   *
   * @param opts `{ signal }`: aborting it gives up the wait.
   * @returns `true`, once the lock is held by the caller.
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @throws {TypeError} when `opts` or `signal` has the wrong type (as a rejected promise).
   * @throws `signal.reason` when `signal` aborts first.
   * @example
   * ```ts
   * import { Lock } from '@aiots/sync';
   * const lock = new Lock();
   * await lock.acquire();
   * try {
   *   console.log(lock.locked()); // true
   * } finally {
   *   lock.release();
   * }
   * ```
   */
  acquire(opts?: WaitOptions): Promise<true> {
    let signal: AbortSignal | undefined;
    if (opts !== undefined) {
      try {
        signal = signalOf(opts, 'Lock.acquire()');
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (!this.#locked) {
      this.#locked = true;
      return RESOLVED_TRUE;
    }
    return this.#park(ACQUIRE, true as const, signal);
  }

  /** Queues a waiter to be handed `value` with the lock. */
  #park<T>(kind: typeof ACQUIRE, value: T, signal: AbortSignal | undefined): Promise<T> {
    const fut = new HandOff<unknown>(this.#onHandoff, kind, 1, value, this.#count);
    this.#waiters.push(fut);
    this.#count.n++;
    return (signal === undefined ? fut : this.#waitAbortable(fut, signal)) as Promise<T>;
  }

  async #waitAbortable(fut: HandOff<unknown>, signal: AbortSignal): Promise<unknown> {
    const watch = new AbortWatch(signal, fut);
    let value: unknown;
    try {
      value = await fut;
    } catch (e) {
      throw watch.aborted ? signal.reason : e;
    } finally {
      watch.dispose();
    }
    if (signal.aborted) {
      this.release();
      throw signal.reason;
    }
    // A native promise from here on: the caller receives the value (a cancel requested in
    // between reaches the caller at its next await, inside the `using` block).
    return value;
  }

  /**
   * The waiter of `fut` did not take the lock (see `HandOff`). Cancelled while queued: it has
   * gone (and counted itself out). Handed the lock, then cancelled before it resumed
   * (bpo-32734): pass the lock on.
   */
  readonly #onHandoff = (fut: HandOff<unknown>): void => {
    if (fut.cancelled()) compact(this.#waiters, this.#count);
    else this.release();
  };

  /**
   * Releases the lock: hands it to the first waiter, or unlocks when nobody waits. Any code
   * may release (the lock has no owner), as in asyncio. Bound to the lock, so it can be
   * passed as a callback.
   *
   * @throws {InvalidStateError} when the lock is not held.
   * @example
   * ```ts
   * import { Lock } from '@aiots/sync';
   * const lock = new Lock();
   * await lock.acquire();
   * setTimeout(lock.release, 10); // bound: no arrow function needed
   * await lock.acquire(); // waits until the timer releases it
   * lock.release();
   * console.log(lock.locked()); // false
   * ```
   */
  release(): void {
    if (!this.#locked) {
      throw new InvalidStateError(
        'Lock.release() expected the lock to be held, but it is not acquired',
      );
    }
    const fut = this.#waiters.size > 0 ? nextLive(this.#waiters) : undefined;
    // Stays locked when there is a waiter: ownership passes to it.
    if (fut !== undefined) fut.setResult(fut.value);
    else this.#locked = false;
  }

  /**
   * True while the lock is held, or handed to a waiter that has not resumed yet: exactly
   * when `acquire()` would wait.
   *
   * @example
   * ```ts
   * import { Lock } from '@aiots/sync';
   * const lock = new Lock();
   * console.log(lock.locked()); // false
   * ```
   */
  locked(): boolean {
    return this.#locked;
  }

  /**
   * Acquires the lock and returns a disposable that releases it, for `await using` (or
   * `using`). Disposing twice releases once. Safe against cancellation at any moment: a
   * task cancelled while it waits gets `CancelledError` and holds nothing (a lock already
   * handed to it passes on); once the disposable reaches the task, the block's end
   * releases it.
   *
   * @param opts `{ signal }`: aborting it gives up the wait.
   * @returns A disposable holding the lock.
   * @throws {CancelledError} when the task is cancelled while waiting (nothing is held then).
   * @throws {TypeError} when `opts` or `signal` has the wrong type (as a rejected promise).
   * @throws `signal.reason` when `signal` aborts first.
   * @example
   * ```ts
   * import { Lock } from '@aiots/sync';
   * const lock = new Lock();
   * {
   *   await using _held = await lock.hold();
   *   console.log(lock.locked()); // true
   * }
   * console.log(lock.locked()); // false
   * ```
   */
  hold(opts?: WaitOptions): Promise<AsyncDisposable & Disposable> {
    let signal: AbortSignal | undefined;
    if (opts !== undefined) {
      try {
        signal = signalOf(opts, 'Lock.hold()');
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    const held = new Hold(this, 1);
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(held);
    }
    return this.#park(HOLD, held, signal);
  }

  /**
   * A frozen snapshot: `{ locked, waiting }`.
   *
   * @example
   * ```ts
   * import { Lock } from '@aiots/sync';
   * console.log(new Lock().stats()); // { locked: false, waiting: 0 }
   * ```
   */
  stats(): LockStats {
    return Object.freeze({ locked: this.#locked, waiting: liveCount(this.#waiters, this.#count) });
  }

  toString(): string {
    const n = liveCount(this.#waiters, this.#count);
    return `<Lock [${this.#locked ? 'locked' : 'unlocked'}${n > 0 ? `, waiters:${n}` : ''}]>`;
  }
}
