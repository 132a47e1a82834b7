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
 * while still queued also re-runs the wake loop, since it may have been the heavy head that
 * blocked the others.
 */
import { InvalidStateError } from '@aiots/loop';
import { Deque } from '@aiots/loop/lowlevel';
import { Hold } from './hold.ts';
import {
  AbortWatch,
  checkCount,
  describe,
  HandOff,
  RESOLVED_TRUE,
  signalOf,
  type WaitOptions,
} from './wait-options.ts';

/** A queued `acquire()`: its Future, which also carries the weight. */
type Waiter = HandOff<true>;

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
 * @example
 * ```ts
 * import { taskGroup, sleep } from '@aiots/loop';
 * import { Semaphore } from '@aiots/sync';
 * const sem = new Semaphore(2);
 * let running = 0;
 * let peak = 0;
 * await taskGroup(async (tg) => {
 *   for (let i = 0; i < 6; i++) {
 *     tg.createTask(async () => {
 *       await using _ = await sem.hold();
 *       peak = Math.max(peak, ++running);
 *       await sleep(10);
 *       running--;
 *     });
 *   }
 * });
 * console.log(peak); // 2
 * ```
 */
export class Semaphore {
  #value: number;
  readonly #bound: number;
  readonly #waiters = new Deque<Waiter>();
  /** Waiters queued and not handed permits yet, counting cancelled ones until they leave. */
  #pending = 0;
  /** Waiters handed permits that have not resumed yet. */
  #granted = 0;

  /**
   * @param value The initial number of permits, an integer from 0 up (default 1).
   * @throws {TypeError} when `value` is not an integer.
   * @throws {RangeError} when `value` is negative.
   */
  constructor(value = 1) {
    const name = this instanceof BoundedSemaphore ? 'BoundedSemaphore' : 'Semaphore';
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new TypeError(`${name} expected \`value\` to be an integer, got ${describe(value)}`);
    }
    if (value < 0) {
      throw new RangeError(
        `${name} expected \`value\` to be an integer from 0 and up, got ${value}`,
      );
    }
    this.#value = value;
    this.#bound = this instanceof BoundedSemaphore ? value : Number.POSITIVE_INFINITY;
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
   * @param weight How many permits, an integer from 1 up (at most the initial value for a
   *   `BoundedSemaphore`). A weight larger than the permits that will ever be free blocks the
   *   queue behind it: FIFO order is never bent.
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
  acquire(weight: number, opts?: WaitOptions): Promise<true>;
  acquire(weightOrOpts?: number | WaitOptions, opts?: WaitOptions): Promise<true> {
    let weight = 1;
    let signal: AbortSignal | undefined;
    if (weightOrOpts !== undefined || opts !== undefined) {
      try {
        if (typeof weightOrOpts === 'object' && weightOrOpts !== null) opts = weightOrOpts;
        else if (weightOrOpts !== undefined) {
          weight = checkCount(weightOrOpts, 'weight', `${this.#name}.acquire()`, this.#bound);
        }
        signal = signalOf(opts, `${this.#name}.acquire()`);
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (this.#pending === 0 && this.#granted === 0 && this.#value >= weight) {
      this.#value -= weight;
      return RESOLVED_TRUE;
    }
    const label =
      this.#bound === Number.POSITIVE_INFINITY ? 'Semaphore.acquire' : 'BoundedSemaphore.acquire';
    const fut = new HandOff<true>(this.#onHandoff, label, weight, true);
    this.#waiters.push(fut);
    this.#pending++;
    return signal === undefined ? fut : this.#waitAbortable(fut, signal);
  }

  async #waitAbortable(fut: Waiter, signal: AbortSignal): Promise<true> {
    const watch = new AbortWatch(signal, fut);
    try {
      await fut;
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
    return true;
  }

  /**
   * The wait of `fut` is over (see `HandOff`): its task resumed with the permits, or got an
   * error instead (cancelled while queued, or handed the permits and cancelled before it
   * resumed).
   */
  readonly #onHandoff = (fut: Waiter, taken: boolean): void => {
    if (fut.cancelled()) {
      this.#pending--;
      if (this.#waiters.size > 32 && this.#waiters.size > 2 * this.#pending) {
        this.#waiters.retain((w) => !w.done());
      }
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
        // Cancelled while queued; it settles its own count.
        futs.shift();
        continue;
      }
      const weight = head.weight;
      if (this.#value < weight) break;
      futs.shift();
      this.#value -= weight;
      this.#pending--;
      this.#granted++;
      head.setResult(true);
    }
  }

  /**
   * Gives back `weight` permits (default 1) and hands them to the waiters at the head of the
   * queue. Any code may release, as in asyncio.
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
    return this.#value < 1 || this.#pending + this.#granted > 0;
  }

  /**
   * Acquires `weight` permits and returns a disposable that releases them, for `await using`
   * (or `using`). Disposing twice releases once.
   *
   * @throws {CancelledError} when the task is cancelled while waiting (nothing is held then).
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
  hold(weight: number, opts?: WaitOptions): Promise<AsyncDisposable & Disposable>;
  hold(
    weightOrOpts?: number | WaitOptions,
    opts?: WaitOptions,
  ): Promise<AsyncDisposable & Disposable> {
    const weight = typeof weightOrOpts === 'number' ? weightOrOpts : 1;
    return this.acquire(weightOrOpts as number, opts).then(() => new Hold(this, weight));
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
    return Object.freeze({ value: this.#value, locked: this.locked(), waiting: this.#pending });
  }

  toString(): string {
    const state = this.locked() ? 'locked' : `unlocked, value:${this.#value}`;
    const waiting = this.#pending > 0 ? `, waiters:${this.#pending}` : '';
    return `<${this.#name} [${state}${waiting}]>`;
  }

  get #name(): string {
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
