/**
 * Event: asyncio's `Event`. `set()` resolves every queued waiter; `clear()` does not take
 * a wakeup back (`test_clear_with_waiters`). Nothing is handed over, so a cancelled waiter
 * has nothing to pass on: its Future just stays in the ring until the next `set()` or
 * compaction drops it. A waiter whose loop is closed (left pending when its `run()` ended)
 * is skipped the same way.
 */
import { type Future, getLoop } from '@aiots/loop';
import { Deque } from '@aiots/loop/lowlevel';
import { AbortWatch, isDead, RESOLVED_TRUE, signalOf, type WaitOptions } from './wait-options.ts';

// One options object for every wait's Future: its label names it in formatTaskTree().
const WAIT_LABEL = { label: 'Event.wait' };

/** What `Event.stats()` returns. */
export interface EventStats {
  /** The flag. */
  readonly set: boolean;
  /** Tasks waiting in `wait()`. */
  readonly waiting: number;
}

/**
 * A flag tasks can wait for: `wait()` returns once `set()` was called, at once if the flag
 * is already set.
 *
 * @example
 * ```ts
 * import { createTask, sleep } from '@aiots/loop';
 * import { Event } from '@aiots/sync';
 * const ready = new Event();
 * const waiter = createTask(async () => {
 *   await ready.wait();
 *   return 'go';
 * });
 * await sleep(10);
 * ready.set();
 * console.log(await waiter); // go
 * ```
 */
export class Event {
  #value = false;
  #waiters = new Deque<Future<true>>();
  #compactAt = 64;

  constructor() {
    // Bound, so `loop.callLater(ms, ev.set)` works.
    this.set = this.set.bind(this);
    this.clear = this.clear.bind(this);
  }

  /**
   * Waits until the flag is set; returns at once (without yielding to the loop) when it
   * already is. A cancellation point: cancelling the task or aborting `signal` ends the wait.
   *
   * @returns `true`.
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @throws `signal.reason` when `signal` aborts first.
   * @example
   * ```ts
   * import { Event } from '@aiots/sync';
   * const ev = new Event();
   * ev.set();
   * console.log(await ev.wait()); // true
   * ```
   */
  wait(opts?: WaitOptions): Promise<true> {
    let signal: AbortSignal | undefined;
    if (opts !== undefined) {
      try {
        signal = signalOf(opts, 'Event.wait()');
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (this.#value) return RESOLVED_TRUE;
    const fut = getLoop().createFuture<true>(WAIT_LABEL);
    const w = this.#waiters;
    if (w.size >= this.#compactAt) {
      w.retain(isWaiting);
      this.#compactAt = Math.max(64, w.size * 2);
    }
    w.push(fut);
    // Without a signal the Future itself is the wait: nothing needs doing after it.
    return signal === undefined ? fut : this.#waitAbortable(fut, signal);
  }

  async #waitAbortable(fut: Future<true>, signal: AbortSignal): Promise<true> {
    const watch = new AbortWatch(signal, fut);
    try {
      return await fut;
    } catch (e) {
      throw watch.aborted ? signal.reason : e;
    } finally {
      watch.dispose();
    }
  }

  /**
   * Sets the flag and wakes every waiter. Waiters queued now return `true` even if `clear()`
   * is called before they run. Bound to the event, so it can be passed as a callback.
   *
   * @example
   * ```ts
   * import { Event } from '@aiots/sync';
   * const ev = new Event();
   * ev.set();
   * console.log(ev.isSet()); // true
   * ```
   */
  set(): void {
    if (this.#value) return;
    this.#value = true;
    const w = this.#waiters;
    if (w.size === 0) return;
    this.#waiters = new Deque<Future<true>>();
    this.#compactAt = 64;
    for (let fut = w.shift(); fut !== undefined; fut = w.shift()) {
      if (isWaiting(fut)) fut.setResult(true);
    }
  }

  /**
   * Resets the flag: later `wait()` calls wait again. Bound to the event, so it can be
   * passed as a callback.
   *
   * @example
   * ```ts
   * import { Event } from '@aiots/sync';
   * const ev = new Event();
   * ev.set();
   * ev.clear();
   * console.log(ev.isSet()); // false
   * ```
   */
  clear(): void {
    this.#value = false;
  }

  /**
   * The flag.
   *
   * @example
   * ```ts
   * import { Event } from '@aiots/sync';
   * console.log(new Event().isSet()); // false
   * ```
   */
  isSet(): boolean {
    return this.#value;
  }

  /**
   * A frozen snapshot: `{ set, waiting }`.
   *
   * @example
   * ```ts
   * import { Event } from '@aiots/sync';
   * console.log(new Event().stats()); // { set: false, waiting: 0 }
   * ```
   */
  stats(): EventStats {
    return Object.freeze({ set: this.#value, waiting: this.#countWaiting() });
  }

  toString(): string {
    const n = this.#countWaiting();
    return `<Event [${this.#value ? 'set' : 'unset'}${n > 0 ? `, waiters:${n}` : ''}]>`;
  }

  #countWaiting(): number {
    let n = 0;
    const w = this.#waiters;
    for (let i = 0; i < w.size; i++) if (isWaiting(w.at(i) as Future<true>)) n++;
    return n;
  }
}

/** Still waiting: neither cancelled nor left behind by a loop that closed. */
function isWaiting(fut: Future<true>): boolean {
  return !fut.done() && !isDead(fut);
}
