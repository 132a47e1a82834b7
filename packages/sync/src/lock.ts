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
 * Cancelled waiters are not searched for and removed (asyncio's O(n) `deque.remove`): they
 * stay in the ring until `release()` skips them, and the ring is compacted once they
 * outnumber the live waiters.
 */
import { InvalidStateError } from '@aiots/loop';
import { Deque } from '@aiots/loop/lowlevel';
import { Hold } from './hold.ts';
import { AbortWatch, HandOff, RESOLVED_TRUE, signalOf, type WaitOptions } from './wait-options.ts';

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
  readonly #waiters = new Deque<HandOff<true>>();
  /** Waiters queued and not handed the lock yet, counting cancelled ones until they leave. */
  #pending = 0;

  /**
   * Acquires the lock, waiting in FIFO order while it is held. When the lock is free the
   * returned promise is already settled: the call does not yield to the loop, as in asyncio.
   *
   * A cancellation point while waiting: cancelling the task (or aborting `signal`) ends the
   * wait with `CancelledError` (or `signal.reason`) and the lock is not held by the caller,
   * even when it had already been handed over.
   *
   * @returns `true`, once the lock is held by the caller.
   * @throws {CancelledError} when the task is cancelled while waiting.
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
    const fut = new HandOff<true>(this.#onHandoff, 'Lock.acquire', 1, false);
    this.#waiters.push(fut);
    this.#pending++;
    return signal === undefined ? fut : this.#waitAbortable(fut, signal);
  }

  async #waitAbortable(fut: HandOff<true>, signal: AbortSignal): Promise<true> {
    const watch = new AbortWatch(signal, fut);
    try {
      await fut;
    } catch (e) {
      throw watch.aborted ? signal.reason : e;
    } finally {
      watch.dispose();
    }
    if (signal.aborted) {
      this.release();
      throw signal.reason;
    }
    return true;
  }

  /**
   * The waiter of `fut` did not take the lock (see `HandOff`). Cancelled while queued: it has
   * gone. Handed the lock, then cancelled before it resumed (bpo-32734): pass the lock on.
   */
  readonly #onHandoff = (fut: HandOff<true>): void => {
    if (fut.cancelled()) {
      this.#pending--;
      const w = this.#waiters;
      if (w.size > 32 && w.size > 2 * this.#pending) w.retain((f) => !f.done());
    } else this.release();
  };

  /**
   * Releases the lock: hands it to the first waiter, or unlocks when nobody waits. Any code
   * may release (the lock has no owner), as in asyncio.
   *
   * @throws {InvalidStateError} when the lock is not held.
   * @example
   * ```ts
   * import { Lock } from '@aiots/sync';
   * const lock = new Lock();
   * await lock.acquire();
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
    const w = this.#waiters;
    while (w.size > 0) {
      const fut = w.shift() as HandOff<true>;
      if (!fut.done()) {
        // Stays locked: ownership passes to this waiter.
        this.#pending--;
        fut.setResult(true);
        return;
      }
    }
    this.#locked = false;
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
   * `using`). Disposing twice releases once.
   *
   * @throws {CancelledError} when the task is cancelled while waiting (nothing is held then).
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
    if (opts === undefined && !this.#locked) {
      this.#locked = true;
      return Promise.resolve(new Hold(this, 1));
    }
    return this.acquire(opts).then(() => new Hold(this, 1));
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
    return Object.freeze({ locked: this.#locked, waiting: this.#pending });
  }

  toString(): string {
    const waiting = this.#pending > 0 ? `, waiters:${this.#pending}` : '';
    return `<Lock [${this.#locked ? 'locked' : 'unlocked'}${waiting}]>`;
  }
}
