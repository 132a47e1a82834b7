/**
 * ParkingLot: the FIFO of parked tasks that fair primitives and I/O waits are built from
 * (trio's `trio.lowlevel.ParkingLot`), with asyncio's cancel-safe hand-off.
 *
 * A value handed to a waiter by `unpark` either reaches the waiter's code or comes back to
 * the lot (`onReturned`): the waiter's task may be cancelled after the value was set and
 * before it resumes, and then the task gets `CancelledError` while the value, which nobody
 * received, is returned so the primitive can pass it on. This is the rule asyncio's lock,
 * semaphore and queue fixes converged on (bpo-27585, bpo-32734, gh-90155).
 *
 * A cancelled waiter stops counting in `size` at once, and `unpark` skips it: cancelled
 * waiters are not searched for and removed (that would be O(n)), they leave the ring when
 * `unpark` reaches them or when they outnumber the live ones.
 */
import { AbortWatch, signalOf, type WaitOptions } from './abort-watch.ts';
import { Deque } from './deque.ts';
import { describe } from './errors.ts';
import { HandOffFuture } from './handoff-future.ts';

/** What `ParkingLot.stats()` returns. */
export interface ParkingLotStats {
  /** Tasks parked and not yet handed a value or cancelled. */
  readonly waiting: number;
}

/** Options of `new ParkingLot()`. */
export interface ParkingLotOptions<T> {
  /** What `formatTaskTree()` shows for a task parked here (default `'ParkingLot.park'`). */
  label?: string | undefined;
  /** See `ParkingLot.onReturned`. */
  onReturned?: ((value: T) => void) | undefined;
}

/** The live-waiter count, shared by a lot and its waiters' Futures. */
class Count {
  n = 0;
}

class Parked<T> extends HandOffFuture<T> {
  readonly #count: Count;
  #counted = true;
  constructor(
    onHandOff: (fut: HandOffFuture<T>, taken: boolean) => void,
    count: Count,
    label: string,
  ) {
    super(onHandOff, { label });
    this.#count = count;
  }

  /** Stops counting this waiter in the lot's `size` (once). */
  countOut(): void {
    if (this.#counted) {
      this.#counted = false;
      this.#count.n--;
    }
  }

  // A cancelled waiter stops counting at once, not when its hand-off hook runs a callback
  // later: a primitive asking `size` in between must not see a waiter that is gone.
  override cancel(msg?: unknown): boolean {
    if (this.done()) return super.cancel(msg);
    this.countOut();
    // A waiter whose loop has closed: nothing can be delivered any more.
    if (this.getLoop().isClosed()) return false;
    return super.cancel(msg);
  }
}

/**
 * A FIFO queue of parked tasks with a hand-off that cannot be lost: `park()` waits (a
 * cancellation point), `unpark(value)` hands `value` to the oldest waiter still waiting.
 * If that waiter is cancelled before it resumes, the value comes back through `onReturned`
 * (by default it is handed on to the next waiter, or dropped when nobody waits).
 *
 * @example
 * ```ts
 * // A minimal fair lock: FIFO, no barging, and never left held by a cancelled waiter.
 * import { createTask, sleep } from '@aiots/loop';
 * import { ParkingLot } from '@aiots/loop/lowlevel';
 * class FairLock {
 *   #held = false;
 *   // A hand-off whose waiter was cancelled before it resumed: release again.
 *   #lot = new ParkingLot<true>({ label: 'FairLock', onReturned: () => this.release() });
 *   async acquire(): Promise<void> {
 *     if (!this.#held) this.#held = true;
 *     else await this.#lot.park(); // ownership arrives with the wakeup
 *   }
 *   release(): void {
 *     if (!this.#lot.unpark(true)) this.#held = false;
 *   }
 * }
 * const lock = new FairLock();
 * const order: number[] = [];
 * const worker = async (n: number) => {
 *   await lock.acquire();
 *   order.push(n);
 *   await sleep(1);
 *   lock.release();
 * };
 * await Promise.all([1, 2, 3].map((n) => createTask(() => worker(n))));
 * console.log(order); // [1, 2, 3]
 * ```
 */
export class ParkingLot<T> {
  /**
   * Receives a value that `unpark` handed to a waiter whose task was cancelled before it
   * resumed. Unset: the value is handed to the next waiter, or dropped when none waits.
   * Runs from a loop callback, one callback after the cancel at the latest.
   */
  onReturned: ((value: T) => void) | undefined;
  readonly #waiters = new Deque<Parked<T>>();
  readonly #count = new Count();
  readonly #label: string;

  /**
   * @param opts `label` for the task tree, `onReturned`.
   * @throws {TypeError} when `opts` or one of its fields has the wrong type.
   */
  constructor(opts?: ParkingLotOptions<T>) {
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
      throw new TypeError(`ParkingLot expected an options object, got ${describe(opts)}`);
    }
    const label = opts?.label ?? 'ParkingLot.park';
    if (typeof label !== 'string') {
      throw new TypeError(`ParkingLot expected \`label\` to be a string, got ${describe(label)}`);
    }
    const onReturned = opts?.onReturned;
    if (onReturned !== undefined && typeof onReturned !== 'function') {
      throw new TypeError(
        `ParkingLot expected \`onReturned\` to be a function, got ${describe(onReturned)}`,
      );
    }
    this.#label = label;
    this.onReturned = onReturned;
  }

  /**
   * Parks the current task until `unpark` hands it a value. A cancellation point:
   * cancelling the task (or aborting `signal`) ends the wait with `CancelledError` (or
   * `signal.reason`), and a value handed over in the meantime comes back to the lot.
   *
   * @param opts `{ signal }`.
   * @returns The value handed over by `unpark`.
   * @throws {CancelledError} when the task is cancelled while parked.
   * @throws `signal.reason` when `signal` aborts first (at once if it already has).
   * @example
   * ```ts
   * import { createTask } from '@aiots/loop';
   * import { ParkingLot } from '@aiots/loop/lowlevel';
   * const lot = new ParkingLot<string>();
   * const t = createTask(() => lot.park());
   * await Promise.resolve(); // the task parks on its first step
   * setTimeout(() => lot.unpark('hello'), 1);
   * console.log(await t); // hello
   * ```
   */
  park(opts?: WaitOptions): Promise<T> {
    let signal: AbortSignal | undefined;
    if (opts !== undefined) {
      try {
        signal = signalOf(opts, 'ParkingLot.park()');
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    const w = this.#waiters;
    if (w.size > 32 && w.size > 2 * this.#count.n) w.retain((f) => !f.done());
    const fut = new Parked<T>(this.#onHandOff, this.#count, this.#label);
    w.push(fut);
    this.#count.n++;
    return signal === undefined ? fut : parkAbortable(fut, signal);
  }

  /**
   * Hands `value` to the oldest waiter still waiting; its task resumes with it.
   *
   * @param value What the waiter's `park()` returns.
   * @returns `false` when nobody waits (the value is not kept).
   * @example
   * ```ts
   * import { ParkingLot } from '@aiots/loop/lowlevel';
   * console.log(new ParkingLot<number>().unpark(1)); // false
   * ```
   */
  unpark(value: T): boolean {
    const w = this.#waiters;
    while (w.size > 0) {
      const fut = w.shift() as Parked<T>;
      if (fut.done()) continue;
      fut.countOut();
      // A waiter left behind by a `run()` that ended: its loop is closed and nobody can
      // resume it. It is skipped, so the value goes to a live waiter.
      if (fut.getLoop().isClosed()) continue;
      fut.setResult(value);
      return true;
    }
    return false;
  }

  /**
   * Hands `value` to every waiter still waiting.
   *
   * @param value What each waiter's `park()` returns.
   * @returns How many waiters were woken.
   * @example
   * ```ts
   * import { createTask, sleep } from '@aiots/loop';
   * import { ParkingLot } from '@aiots/loop/lowlevel';
   * const lot = new ParkingLot<string>();
   * const ts = [createTask(() => lot.park()), createTask(() => lot.park())];
   * await sleep(1);
   * console.log(lot.unparkAll('go'), await Promise.all(ts)); // 2 [ 'go', 'go' ]
   * ```
   */
  unparkAll(value: T): number {
    let n = 0;
    while (this.unpark(value)) n++;
    return n;
  }

  /**
   * Waiters parked and not yet handed a value or cancelled. A waiter left behind by a
   * `run()` that ended counts until `unpark` passes it by.
   */
  get size(): number {
    return this.#count.n;
  }

  /**
   * A frozen snapshot: `{ waiting }`.
   *
   * @example
   * ```ts
   * import { ParkingLot } from '@aiots/loop/lowlevel';
   * console.log(new ParkingLot().stats()); // { waiting: 0 }
   * ```
   */
  stats(): ParkingLotStats {
    return Object.freeze({ waiting: this.#count.n });
  }

  toString(): string {
    return `<ParkingLot ${this.#label} waiting:${this.#count.n}>`;
  }

  readonly #onHandOff = (fut: HandOffFuture<T>, taken: boolean): void => {
    // Cancelled while parked: nothing was handed over. Handed a value, then cancelled
    // before resuming: the value comes back.
    if (taken || fut.cancelled()) return;
    const value = fut.result();
    const onReturned = this.onReturned;
    if (onReturned !== undefined) onReturned(value);
    else this.unpark(value);
  };
}

async function parkAbortable<T>(fut: Parked<T>, signal: AbortSignal): Promise<T> {
  const watch = new AbortWatch(signal, fut);
  try {
    return await fut;
  } catch (e) {
    throw watch.aborted ? signal.reason : e;
  } finally {
    watch.dispose();
  }
}
