/**
 * Semaphore and BoundedSemaphore: asyncio 3.13's semaphore (gh-90155, gh-97545, the 3.13
 * wake loop) with weighted permits.
 *
 * Permits are handed over: `release()` gives them to the waiters at the head of the queue,
 * decrementing the count on their behalf and resolving their Futures (asyncio's
 * `_wake_up_next`). The head is served first, always: a heavy waiter at the head blocks the
 * lighter ones behind it until enough permits are free, so nobody starves.
 *
 * No barging: while a waiter has been handed permits but has not resumed yet, a new
 * `acquire()` queues even if permits are free (asyncio's `locked()` counts that waiter), and
 * the waiter, once it runs, wakes as many queued waiters as the count allows (3.13's
 * `finally` loop, `test_acquire_fifo_order_4`).
 *
 * A waiter handed permits and then cancelled before it resumes gives them back and wakes the
 * next waiters (`test_acquire_cancel_before_awoken`, `test_acquire_hang`). A waiter cancelled
 * while still queued stops counting at once (so `locked()` and a new `acquire()` no longer
 * see it) and re-runs the wake loop a callback later, since it may have been the heavy head
 * that blocked the others.
 *
 * `hold()` is the same wait with the disposable as what is handed over, so a cancel between
 * the wakeup and the task's resumption cannot drop it with the permits taken.
 */
import { InvalidStateError } from '@aiots/loop';
import { Deque } from '@aiots/loop/lowlevel';
import { Hold } from './hold.ts';
import {
  AbortWatch,
  Count,
  checkCount,
  compact,
  describe,
  HandOff,
  isDead,
  liveCount,
  RESOLVED_TRUE,
  signalOf,
  type WaitOptions,
} from './wait-options.ts';

/** A queued `acquire()` or `hold()`: its Future, which also carries the weight. */
type Waiter = HandOff<unknown>;

// One options object per kind of wait: the label names it in formatTaskTree(); every
// outcome is reported, since a waiter that resumes lets the ones queued behind it go.
const LABELS = {
  Semaphore: {
    acquire: { label: 'Semaphore.acquire', reportTaken: true },
    hold: { label: 'Semaphore.hold', reportTaken: true },
  },
  BoundedSemaphore: {
    acquire: { label: 'BoundedSemaphore.acquire', reportTaken: true },
    hold: { label: 'BoundedSemaphore.hold', reportTaken: true },
  },
} as const;

/** What `Semaphore.stats()` returns. */
export interface SemaphoreStats {
  /** Free permits. */
  readonly value: number;
  /** True when `acquire(1)` would wait. */
  readonly locked: boolean;
  /** Tasks waiting in `acquire()`. */
  readonly waiting: number;
}

/**
 * A counter of permits: `acquire(weight)` takes `weight` permits, waiting in FIFO order
 * while too few are free; `release(weight)` gives them back. Safe against cancellation at
 * any moment: a permit is never lost nor given twice.
 *
 * For a resource shared by tasks that exist anyway, or taken in different amounts. To run a
 * batch of jobs a few at a time, `taskGroup(body, { limit })` from `@aiots/loop` is several
 * times cheaper than a task per job parked on a semaphore.
 *
 * @example
 * ```ts
 * import { sleep, taskGroup } from '@aiots/loop';
 * import { Semaphore } from '@aiots/sync';
 * const memoryMb = new Semaphore(512);
 * let inUse = 0;
 * let peak = 0;
 * const convert = async (sizeMb: number) => {
 *   await using _ = await memoryMb.hold(sizeMb);
 *   inUse += sizeMb;
 *   peak = Math.max(peak, inUse);
 *   await sleep(10);
 *   inUse -= sizeMb;
 * };
 * await taskGroup(async (tg) => {
 *   for (const size of [300, 200, 100, 400]) tg.createTask(() => convert(size));
 * });
 * console.log(peak); // 500
 * ```
 */
export class Semaphore {
  #value: number;
  readonly #bound: number;
  readonly #waiters = new Deque<Waiter>();
  /** Waiters queued and not handed permits yet (cancelled ones count out at once). */
  readonly #count = new Count();
  /** Waiters handed permits that have not resumed yet. */
  #granted = 0;

  /**
   * @param value The initial number of permits, an integer from 0 up (default 1).
   * @throws {TypeError} when `value` is not a number.
   * @throws {RangeError} when `value` is not an integer from 0 up.
   */
  constructor(value = 1) {
    const name = this instanceof BoundedSemaphore ? 'BoundedSemaphore' : 'Semaphore';
    if (typeof value !== 'number') {
      throw new TypeError(`${name} expected \`value\` to be an integer, got ${describe(value)}`);
    }
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `${name} expected \`value\` to be an integer from 0 and up, got ${value}`,
      );
    }
    this.#value = value;
    this.#bound = this instanceof BoundedSemaphore ? value : Number.POSITIVE_INFINITY;
    // Bound, so `setTimeout(sem.release, ms)` works.
    this.release = this.release.bind(this);
  }

  /**
   * Takes `weight` permits (default 1), waiting while fewer are free or others queued first.
   * When it need not wait, the returned promise is already settled and the call does not
   * yield to the loop, as in asyncio.
   *
   * A cancellation point while waiting: cancelling the task (or aborting `signal`) ends the
   * wait with `CancelledError` (or `signal.reason`) and the caller holds no permit; permits
   * already handed to it are passed on.
   *
   * @param opts `{ signal }`: aborting it gives up the wait.
   * @returns `true`, once the permits are held.
   * @throws {TypeError|RangeError} for a bad `weight` (as a rejected promise).
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @example
   * ```ts
   * import { Semaphore } from '@aiots/sync';
   * const memory = new Semaphore(1024); // MiB
   * await memory.acquire(256);
   * try {
   *   console.log(memory.stats().value); // 768
   * } finally {
   *   memory.release(256);
   * }
   * ```
   */
  acquire(opts?: WaitOptions): Promise<true>;
  /**
   * Takes `weight` permits, waiting as `acquire()` does for one.
   *
   * @param weight How many permits, an integer from 1 up (at most the initial value for a
   *   `BoundedSemaphore`). A weight larger than the permits that will ever be free blocks the
   *   queue behind it: FIFO order is never bent.
   * @param opts `{ signal }`: aborting it gives up the wait.
   * @returns `true`, once the permits are held.
   */
  acquire(weight: number, opts?: WaitOptions): Promise<true>;
  acquire(weightOrOpts?: number | WaitOptions, opts?: WaitOptions): Promise<true> {
    return this.#enter(weightOrOpts, opts, false) as Promise<true>;
  }

  /** `acquire()` (`hold` false) or `hold()`: takes the permits now, or queues a waiter. */
  #enter(
    weightOrOpts: number | WaitOptions | undefined,
    opts: WaitOptions | undefined,
    hold: boolean,
  ): Promise<unknown> {
    let weight = 1;
    let signal: AbortSignal | undefined;
    if (weightOrOpts !== undefined || opts !== undefined) {
      const where = `${this.#name}.${hold ? 'hold' : 'acquire'}()`;
      try {
        if (typeof weightOrOpts === 'object' && weightOrOpts !== null) opts = weightOrOpts;
        else if (weightOrOpts !== undefined) {
          weight = checkCount(weightOrOpts, 'weight', where, this.#bound);
        }
        signal = signalOf(opts, where);
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (this.#granted === 0 && this.#value >= weight) {
      // Waiters queued while permits are free: heads that do not fit, or that can never
      // take them (cancelled, or left by a run() that ended). Skip the latter first.
      if (this.#count.n > 0) this.#wakeUp();
      if (this.#count.n === 0 && this.#granted === 0 && this.#value >= weight) {
        this.#value -= weight;
        return hold ? Promise.resolve(new Hold(this, weight)) : RESOLVED_TRUE;
      }
    }
    const labels = LABELS[this.#name];
    const fut = hold
      ? new HandOff<unknown>(
          this.#onHandoff,
          labels.hold,
          weight,
          new Hold(this, weight),
          this.#count,
        )
      : new HandOff<unknown>(this.#onHandoff, labels.acquire, weight, true, this.#count);
    this.#waiters.push(fut);
    this.#count.n++;
    return signal === undefined ? fut : this.#waitAbortable(fut, signal);
  }

  async #waitAbortable(fut: Waiter, signal: AbortSignal): Promise<unknown> {
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
      // Aborted after the permits were handed over: give them back.
      this.release(fut.weight);
      throw signal.reason;
    }
    return value;
  }

  /**
   * The wait of `fut` is over (see `HandOff`): its task resumed with the permits, or got an
   * error instead (cancelled while queued, or handed the permits and cancelled before it
   * resumed).
   */
  readonly #onHandoff = (fut: Waiter, taken: boolean): void => {
    if (fut.cancelled()) {
      // Cancelled while queued: counted out by its cancel() already.
      compact(this.#waiters, this.#count);
    } else {
      this.#granted--;
      // Handed the permits, then cancelled before resuming: give them back.
      if (!taken) this.#value += fut.weight;
    }
    // 3.13: waiters that queued behind this one while it was on its way may go now; and a
    // waiter cancelled while queued may have been the heavy head blocking the rest.
    this.#wakeUp();
  };

  /** Hands free permits to the waiters at the head, in order, while the head fits. */
  #wakeUp(): void {
    const futs = this.#waiters;
    while (futs.size > 0) {
      const head = futs.peek() as Waiter;
      if (head.done()) {
        // Cancelled while queued (and counted out then).
        futs.shift();
        continue;
      }
      if (isDead(head)) {
        // Left pending by a run() that ended: it can never take the permits.
        futs.shift();
        head.leave();
        continue;
      }
      const weight = head.weight;
      if (this.#value < weight) break;
      futs.shift();
      head.leave();
      this.#value -= weight;
      this.#granted++;
      head.setResult(head.value);
    }
  }

  /**
   * Gives back `weight` permits (default 1) and hands them to the waiters at the head of the
   * queue. Any code may release, as in asyncio. Bound to the semaphore, so it can be passed
   * as a callback (`setTimeout(sem.release, ms)`).
   *
   * @throws {TypeError|RangeError} for a bad `weight`.
   * @throws {InvalidStateError} for a `BoundedSemaphore` released above its initial value.
   * @example
   * ```ts
   * import { Semaphore } from '@aiots/sync';
   * const sem = new Semaphore(0);
   * sem.release(3);
   * console.log(sem.stats().value); // 3
   * ```
   */
  release(weight = 1): void {
    if (weight !== 1) checkCount(weight, 'weight', `${this.#name}.release()`);
    if (this.#value + weight > this.#bound) {
      throw new InvalidStateError(
        `BoundedSemaphore released too many times: expected at most ${this.#bound} permits in total, but releasing ${weight} would make ${this.#value + weight}`,
      );
    }
    this.#value += weight;
    if (this.#waiters.size > 0) this.#wakeUp();
  }

  /**
   * True when `acquire()` would wait: no permit is free, or others are queued (or on their
   * way) ahead of a new caller.
   *
   * @example
   * ```ts
   * import { Semaphore } from '@aiots/sync';
   * console.log(new Semaphore(0).locked()); // true
   * ```
   */
  locked(): boolean {
    if (this.#value < 1 || this.#granted > 0) return true;
    return this.#count.n > 0 && liveCount(this.#waiters, this.#count) > 0;
  }

  /**
   * Acquires `weight` permits and returns a disposable that releases them, for `await using`
   * (or `using`). Disposing twice releases once. Safe against cancellation at any moment: a
   * task cancelled while it waits gets `CancelledError` and holds nothing (permits already
   * handed to it pass on); once the disposable reaches the task, the block's end releases.
   *
   * @param opts `{ signal }`: aborting it gives up the wait.
   * @returns A disposable holding the permits.
   * @throws {CancelledError} when the task is cancelled while waiting (nothing is held then).
   * @throws {TypeError|RangeError} for a bad `weight` or options (as a rejected promise).
   * @throws `signal.reason` when `signal` aborts first.
   * @example
   * ```ts
   * import { Semaphore } from '@aiots/sync';
   * const sem = new Semaphore(3);
   * {
   *   await using _ = await sem.hold(2);
   *   console.log(sem.stats().value); // 1
   * }
   * console.log(sem.stats().value); // 3
   * ```
   */
  hold(opts?: WaitOptions): Promise<AsyncDisposable & Disposable>;
  /**
   * Acquires `weight` permits and returns a disposable that releases them all, as `hold()`
   * does for one.
   *
   * @param weight How many permits, as for `acquire`.
   * @param opts `{ signal }`: aborting it gives up the wait.
   * @returns A disposable holding the permits.
   */
  hold(weight: number, opts?: WaitOptions): Promise<AsyncDisposable & Disposable>;
  hold(
    weightOrOpts?: number | WaitOptions,
    opts?: WaitOptions,
  ): Promise<AsyncDisposable & Disposable> {
    return this.#enter(weightOrOpts, opts, true) as Promise<AsyncDisposable & Disposable>;
  }

  /**
   * A frozen snapshot: `{ value, locked, waiting }`.
   *
   * @example
   * ```ts
   * import { Semaphore } from '@aiots/sync';
   * console.log(new Semaphore(2).stats()); // { value: 2, locked: false, waiting: 0 }
   * ```
   */
  stats(): SemaphoreStats {
    const waiting = liveCount(this.#waiters, this.#count);
    return Object.freeze({ value: this.#value, locked: this.locked(), waiting });
  }

  toString(): string {
    const state = this.locked() ? 'locked' : `unlocked, value:${this.#value}`;
    const n = liveCount(this.#waiters, this.#count);
    const waiting = n > 0 ? `, waiters:${n}` : '';
    return `<${this.#name} [${state}${waiting}]>`;
  }

  get #name(): 'Semaphore' | 'BoundedSemaphore' {
    return this.#bound === Number.POSITIVE_INFINITY ? 'Semaphore' : 'BoundedSemaphore';
  }
}

/**
 * A Semaphore that refuses to be released above its initial value, catching a release
 * without a matching acquire. A weight larger than the initial value is refused too, since
 * it could never be granted.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from '@aiots/sync';
 * const sem = new BoundedSemaphore(1);
 * try {
 *   sem.release();
 * } catch (e) {
 *   console.log((e as Error).name); // InvalidStateError
 * }
 * ```
 */
export class BoundedSemaphore extends Semaphore {}
