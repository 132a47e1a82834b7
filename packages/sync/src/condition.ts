/**
 * Condition: asyncio 3.13's `Condition`, on a `Lock`.
 *
 * `wait()` releases the lock, waits for a notify, then re-acquires the lock in a loop that
 * retries through `CancelledError`, so it returns or throws with the lock held, always
 * (bpo-22970, bpo-32841). It re-throws the last `CancelledError` instance it caught
 * (gh-111693). On any error it passes one notification on to another waiter, so a notify
 * that raced with a cancel is never lost (gh-112202); the price is a possible spurious
 * wakeup, which the condition-variable protocol allows.
 *
 * A waiter cancelled while queued stops counting at once (`stats()` counts the live ones);
 * one whose loop is closed (left pending when its `run()` ended) is skipped by `notify()`.
 */
import { CancelledError, type Future, getLoop, InvalidStateError } from '@aiots/loop';
import { Lock } from './lock.ts';
import { AbortWatch, describe, signalOf, Waiters, type WaitOptions } from './wait-options.ts';

// One options object for every wait's Future: its label names it in formatTaskTree().
const WAIT_LABEL = { label: 'Condition.wait' };

/**
 * Package-internal: Wakes up to `n` waiters of `cond` without checking its lock: Barrier's reset()
 * and abort(), which are synchronous. Not a member, so it stays out of the public types.
 */
export let notifyWaiters: (cond: Condition, n: number) => void;

/** What `Condition.stats()` returns. */
export interface ConditionStats {
  /** True while the underlying lock is held. */
  readonly locked: boolean;
  /** Tasks waiting in `wait()` for a notify. */
  readonly waiting: number;
}

/**
 * A condition variable: tasks holding the lock `wait()` until another task `notify()`s.
 *
 * @example
 * ```ts
 * import { createTask } from '@aiots/loop';
 * import { Condition } from '@aiots/sync';
 * const cond = new Condition();
 * const items: number[] = [];
 * const consumer = createTask(async () => {
 *   await using _ = await cond.hold();
 *   await cond.waitFor(() => items.length > 0);
 *   return items.shift();
 * });
 * {
 *   await using _ = await cond.hold();
 *   items.push(42);
 *   cond.notify();
 * }
 * console.log(await consumer); // 42
 * ```
 */
export class Condition {
  readonly #lock: Lock;
  readonly #waiters = new Waiters<Future<boolean>>();

  /**
   * @param lock The lock to use (several conditions may share one); default a new `Lock`.
   * @throws {TypeError} when `lock` is not a `Lock`.
   */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(`Condition expected \`lock\` to be a Lock, got ${describe(lock)}`);
    }
    this.#lock = lock ?? new Lock();
    // Bound, so they can be passed as callbacks.
    this.notify = this.notify.bind(this);
    this.notifyAll = this.notifyAll.bind(this);
    this.release = this.release.bind(this);
  }

  /**
   * Acquires the underlying lock (see `Lock.acquire`).
   *
   * @example
   * ```ts
   * import { Condition } from '@aiots/sync';
   * const cond = new Condition();
   * await cond.acquire();
   * cond.release();
   * ```
   */
  acquire(opts?: WaitOptions): Promise<true> {
    return this.#lock.acquire(opts);
  }

  /**
   * Releases the underlying lock (see `Lock.release`). Bound to the condition, so it can be
   * passed as a callback.
   *
   * @throws {InvalidStateError} when the lock is not held.
   * @example
   * ```ts
   * import { Condition } from '@aiots/sync';
   * const cond = new Condition();
   * await cond.acquire();
   * cond.release();
   * console.log(cond.locked()); // false
   * ```
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * True while the underlying lock is held.
   *
   * @example
   * ```ts
   * import { Condition } from '@aiots/sync';
   * console.log(new Condition().locked()); // false
   * ```
   */
  locked(): boolean {
    return this.#lock.locked();
  }

  /**
   * Acquires the underlying lock and returns a disposable that releases it (see
   * `Lock.hold`).
   *
   * @example
   * ```ts
   * import { Condition } from '@aiots/sync';
   * const cond = new Condition();
   * {
   *   await using _ = await cond.hold();
   *   cond.notifyAll();
   * }
   * ```
   */
  hold(opts?: WaitOptions): Promise<AsyncDisposable & Disposable> {
    return this.#lock.hold(opts);
  }

  /**
   * Releases the lock, waits until notified, and re-acquires the lock. Returns or throws
   * with the lock held, even when cancelled. May return spuriously: re-check the state (or
   * use `waitFor`).
   *
   * A cancellation point: cancelling the task (or aborting `signal`) ends the wait with
   * `CancelledError` (or `signal.reason`) once the lock is held again, and a notification
   * this waiter had received is passed on to another waiter.
   *
   * @returns `true`.
   * @throws {InvalidStateError} when the lock is not held (as a rejected promise).
   * @throws {CancelledError} when the task is cancelled; the same instance it received.
   * @example
   * ```ts
   * import { createTask, sleep } from '@aiots/loop';
   * import { Condition } from '@aiots/sync';
   * const cond = new Condition();
   * const waiter = createTask(async () => {
   *   await cond.acquire();
   *   try {
   *     return await cond.wait();
   *   } finally {
   *     cond.release();
   *   }
   * });
   * await sleep(1);
   * await cond.acquire();
   * cond.notify();
   * cond.release();
   * console.log(await waiter); // true
   * ```
   */
  async wait(opts?: WaitOptions): Promise<true> {
    const signal = signalOf(opts, 'Condition.wait()');
    if (!this.locked()) {
      throw new InvalidStateError(
        'Condition.wait() expected the lock to be held, but it is not acquired (cannot wait on un-acquired lock)',
      );
    }
    if (signal?.aborted) throw signal.reason;
    const fut = getLoop().createFuture<boolean>(WAIT_LABEL);
    this.release();
    let failed = false;
    let error: unknown;
    this.#waiters.push(fut);
    const watch = signal === undefined ? undefined : new AbortWatch(signal, fut);
    try {
      await fut;
      if (signal?.aborted) throw signal.reason;
    } catch (e) {
      if (fut.cancelled()) this.#waiters.left();
      failed = true;
      error = watch?.aborted ? (signal as AbortSignal).reason : e;
    } finally {
      watch?.dispose();
    }
    // Must re-acquire the lock even if the wait was cancelled. Only CancelledError is
    // retried: any other error must not make us spin.
    try {
      for (;;) {
        try {
          await this.#lock.acquire();
          break;
        } catch (e) {
          if (!CancelledError.is(e)) throw e;
          // The most recent CancelledError instance is the one re-thrown (gh-111693).
          failed = true;
          error = e;
        }
      }
    } catch (e) {
      failed = true;
      error = e;
    }
    if (failed) {
      // The error may have come after we were notified: pass the notification on (gh-112202).
      this.#notifyWaiters(1);
      throw error;
    }
    return true;
  }

  /**
   * Waits until `predicate()` is truthy and returns its value, calling it first and after
   * every wakeup (with the lock held). Needs the lock held only when it has to wait.
   *
   * @param predicate Called with the lock held; its truthy value is returned.
   * @throws {InvalidStateError} when it has to wait and the lock is not held.
   * @throws {CancelledError} when the task is cancelled; the lock is held again by then.
   * @example
   * ```ts
   * import { Condition } from '@aiots/sync';
   * const cond = new Condition();
   * console.log(await cond.waitFor(() => 'already true')); // already true
   * ```
   */
  async waitFor<T>(predicate: () => T, opts?: WaitOptions): Promise<T> {
    if (typeof predicate !== 'function') {
      throw new TypeError(
        `Condition.waitFor() expected a predicate function, got ${describe(predicate)}`,
      );
    }
    let result = predicate();
    while (!result) {
      await this.wait(opts);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` tasks waiting in `wait()` (default 1), in FIFO order. They return from
   * `wait()` only once they get the lock, so release it after notifying.
   *
   * Bound to the condition, so it can be passed as a callback.
   *
   * @param n How many waiters to wake, a number from 0 up (default 1).
   * @throws {InvalidStateError} when the lock is not held.
   * @throws {TypeError} when `n` is not a number. @throws {RangeError} when it is negative
   *   or NaN.
   * @example
   * ```ts
   * import { Condition } from '@aiots/sync';
   * const cond = new Condition();
   * await cond.acquire();
   * cond.notify(2); // nobody waits: nothing happens
   * cond.release();
   * ```
   */
  notify(n = 1): void {
    if (typeof n !== 'number') {
      throw new TypeError(`Condition.notify() expected \`n\` to be a number, got ${describe(n)}`);
    }
    if (!(n >= 0)) {
      throw new RangeError(
        `Condition.notify() expected \`n\` to be a number from 0 and up, got ${n}`,
      );
    }
    if (!this.locked()) {
      throw new InvalidStateError(
        'Condition.notify() expected the lock to be held, but it is not acquired (cannot notify on un-acquired lock)',
      );
    }
    this.#notifyWaiters(n);
  }

  /**
   * Wakes every task waiting in `wait()`. Bound to the condition, so it can be passed as a
   * callback.
   *
   * @throws {InvalidStateError} when the lock is not held.
   * @example
   * ```ts
   * import { Condition } from '@aiots/sync';
   * const cond = new Condition();
   * await cond.acquire();
   * cond.notifyAll();
   * cond.release();
   * ```
   */
  notifyAll(): void {
    this.notify(Number.POSITIVE_INFINITY);
  }

  static {
    notifyWaiters = (cond, n) => cond.#notifyWaiters(n);
  }

  /** Wakes up to `n` waiters without checking the lock. */
  #notifyWaiters(n: number): void {
    const w = this.#waiters;
    for (let woken = 0; woken < n && w.size > 0; woken++) {
      const fut = w.next();
      if (fut === undefined) return;
      fut.setResult(false);
    }
  }

  /**
   * A frozen snapshot: `{ locked, waiting }`.
   *
   * @example
   * ```ts
   * import { Condition } from '@aiots/sync';
   * console.log(new Condition().stats()); // { locked: false, waiting: 0 }
   * ```
   */
  stats(): ConditionStats {
    return Object.freeze({ locked: this.locked(), waiting: this.#waiters.live() });
  }

  toString(): string {
    const n = this.#waiters.live();
    const waiting = n > 0 ? `, waiters:${n}` : '';
    return `<Condition [${this.locked() ? 'locked' : 'unlocked'}${waiting}]>`;
  }
}
