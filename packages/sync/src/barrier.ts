/**
 * Barrier: asyncio's `Barrier`, on a `Condition`, with the same four states. Tasks arrive
 * while FILLING; the last arrival switches to DRAINING and wakes the others; tasks that
 * arrive while it drains (or resets) wait for it to fill again. The last task out switches
 * back to FILLING.
 *
 * `reset()` and `abort()` are synchronous here (coroutines in asyncio, which take the lock
 * only to notify): every suspension inside `wait()` either releases the lock (`Condition.wait`)
 * or waits for it, so no waiter can observe a half-made state change.
 *
 * Parties left inside `wait()` when their `run()` ended (the loser of a `Promise.race`) can
 * never leave: the next party that arrives from another loop finds their loop closed and
 * starts the barrier afresh, as if they had been cancelled.
 */
import { getLoop, type Loop } from '@aiots/loop';
import { Condition, notifyWaiters } from './condition.ts';
import { BrokenBarrierError } from './errors.ts';
import { checkCount, signalOf, type WaitOptions } from './wait-options.ts';

/** The state of a Barrier, as asyncio names it. */
export type BarrierState = 'filling' | 'draining' | 'resetting' | 'broken';

/** What `Barrier.stats()` returns. */
export interface BarrierStats {
  /** Tasks needed to pass. */
  readonly parties: number;
  /** Tasks waiting to pass (0 unless filling). */
  readonly waiting: number;
  readonly state: BarrierState;
  readonly broken: boolean;
}

/**
 * Makes `parties` tasks wait for each other: each `wait()` returns once all of them have
 * called it. Reusable: it fills again after every pass.
 *
 * @example
 * ```ts
 * import { taskGroup } from '@aiots/loop';
 * import { Barrier } from '@aiots/sync';
 * const barrier = new Barrier(3);
 * const log: string[] = [];
 * await taskGroup(async (tg) => {
 *   for (const name of ['a', 'b', 'c']) {
 *     tg.createTask(async () => {
 *       log.push(`${name} ready`);
 *       await barrier.wait();
 *       log.push(`${name} go`);
 *     });
 *   }
 * });
 * console.log(log.slice(0, 3)); // ['a ready', 'b ready', 'c ready']
 * ```
 */
export class Barrier {
  readonly #cond = new Condition();
  readonly #parties: number;
  #state: BarrierState = 'filling';
  #count = 0;
  /** The loop of the last party that arrived. */
  #loop: Loop | undefined;

  /**
   * @param parties How many tasks must call `wait()` to pass, an integer from 1 up.
   * @throws {TypeError} when `parties` is not an integer.
   * @throws {RangeError} when `parties` is less than 1.
   */
  constructor(parties: number) {
    this.#parties = checkCount(parties, 'parties', 'Barrier');
    // Bound, so they can be passed as callbacks.
    this.abort = this.abort.bind(this);
    this.reset = this.reset.bind(this);
  }

  /**
   * Waits until `parties` tasks are waiting, then lets them all pass. Returns a distinct
   * index from 0 to `parties - 1`; the last task to arrive gets `parties - 1`.
   *
   * A cancellation point: a task cancelled (or whose `signal` aborts) while the barrier
   * fills leaves it, and the barrier waits for another task in its place.
   *
   * @returns this task's index.
   * @throws {BrokenBarrierError} when the barrier is aborted, or reset while this task waits.
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @example
   * ```ts
   * import { Barrier } from '@aiots/sync';
   * const barrier = new Barrier(1);
   * console.log(await barrier.wait()); // 0
   * ```
   */
  async wait(opts?: WaitOptions): Promise<number> {
    signalOf(opts, 'Barrier.wait()');
    const loop = getLoop();
    if (this.#loop !== loop) {
      if (this.#count > 0 && this.#loop?.isClosed()) {
        // Every party inside belonged to a run() that ended: none of them will leave.
        this.#count = 0;
        if (this.#state !== 'broken') this.#state = 'filling';
      }
      this.#loop = loop;
    }
    await this.#cond.acquire(opts);
    try {
      // Block while the barrier drains or resets.
      await this.#cond.waitFor(
        () => this.#state !== 'draining' && this.#state !== 'resetting',
        opts,
      );
      if (this.#state === 'broken') throw new BrokenBarrierError('Barrier aborted');
      const index = this.#count++;
      try {
        if (index + 1 === this.#parties) {
          this.#state = 'draining';
          this.#cond.notifyAll();
        } else {
          await this.#cond.waitFor(() => this.#state !== 'filling', opts);
          // (Read again: the state changed while we waited; TypeScript's narrowing cannot tell.)
          const state = this.#state as BarrierState;
          if (state === 'broken' || state === 'resetting') {
            throw new BrokenBarrierError('Abort or reset of barrier');
          }
        }
        return index;
      } finally {
        this.#count--;
        // The last task out ends the draining (or resetting) and wakes tasks blocked on it.
        if (this.#count === 0) {
          if (this.#state === 'resetting' || this.#state === 'draining') this.#state = 'filling';
          this.#cond.notifyAll();
        }
      }
    } finally {
      this.#cond.release();
    }
  }

  /**
   * Returns the barrier to the filling state. Tasks waiting at it get `BrokenBarrierError`.
   * Bound to the barrier, so it can be passed as a callback.
   *
   * @example
   * ```ts
   * import { Barrier } from '@aiots/sync';
   * const barrier = new Barrier(2);
   * barrier.reset();
   * console.log(barrier.broken); // false
   * ```
   */
  reset(): void {
    if (this.#count > 0) {
      if (this.#state !== 'resetting') this.#state = 'resetting';
    } else {
      this.#state = 'filling';
    }
    notifyWaiters(this.#cond, Number.POSITIVE_INFINITY);
  }

  /**
   * Breaks the barrier for good: waiting tasks and every later `wait()` get
   * `BrokenBarrierError`. Use it when a party fails, so the others do not wait forever.
   * Bound to the barrier, so it can be passed as a callback.
   *
   * @example
   * ```ts
   * import { Barrier } from '@aiots/sync';
   * const barrier = new Barrier(2);
   * barrier.abort();
   * console.log(barrier.broken); // true
   * ```
   */
  abort(): void {
    this.#state = 'broken';
    notifyWaiters(this.#cond, Number.POSITIVE_INFINITY);
  }

  /** How many tasks must call `wait()` to pass. */
  get parties(): number {
    return this.#parties;
  }

  /** How many tasks are waiting at the barrier while it fills. */
  get nWaiting(): number {
    return this.#state === 'filling' ? this.#count : 0;
  }

  /** True once `abort()` was called. */
  get broken(): boolean {
    return this.#state === 'broken';
  }

  /**
   * A frozen snapshot: `{ parties, waiting, state, broken }`.
   *
   * @example
   * ```ts
   * import { Barrier } from '@aiots/sync';
   * console.log(new Barrier(3).stats()); // { parties: 3, waiting: 0, state: 'filling', broken: false }
   * ```
   */
  stats(): BarrierStats {
    return Object.freeze({
      parties: this.#parties,
      waiting: this.nWaiting,
      state: this.#state,
      broken: this.#state === 'broken',
    });
  }

  toString(): string {
    const extra = this.broken ? '' : `, waiters:${this.nWaiting}/${this.#parties}`;
    return `<Barrier [${this.#state}${extra}]>`;
  }
}
