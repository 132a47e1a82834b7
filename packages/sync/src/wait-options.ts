/**
 * What the waits of `@aiots/sync` share: the `{ signal }` option and abort watch, the
 * validators and `describe` (all from `@aiots/loop/lowlevel`), the settled promises of the
 * fast paths, and the waiter Futures. Only `WaitOptions` is public.
 *
 * Two rules every primitive follows through these waiters:
 *
 * - A cancelled waiter stops counting at once, not when its task resumes a callback later:
 *   `locked()`, `stats()` and the fast paths of new callers must not see a waiter that is
 *   gone (asyncio skips cancelled waiters the same way). A `HandOff` counts itself out in its
 *   `cancel()` (Lock and Semaphore need the count on their fast paths); the plain waiters of
 *   `Waiters` (Queue, Condition) are counted by a scan when `stats()` asks, which keeps
 *   their Futures plain ones.
 * - A waiter whose loop is closed (a wait left pending when its `run()` ended, e.g. the loser
 *   of a `Promise.race`) can never resume: it is skipped and counted out when reached, so
 *   nothing is handed to it and the primitive keeps working from the next loop.
 */
import type { Future } from '@aiots/loop';
import {
  AbortWatch,
  Deque,
  describe,
  HandOffFuture,
  signalOf,
  type WaitOptions,
} from '@aiots/loop/lowlevel';

export { AbortWatch, describe, signalOf, type WaitOptions };

/** Package-internal: The settled promise the fast paths return: no allocation per call. */
export const RESOLVED_TRUE: Promise<true> = Promise.resolve(true);
/** Package-internal: */
export const RESOLVED_VOID: Promise<void> = Promise.resolve();

/** Package-internal: How many waiters of one kind are queued and still waiting. */
export class Count {
  n = 0;
}

/** Package-internal: True when `fut` can never resume: its loop is closed. */
export function isDead(fut: Future<unknown>): boolean {
  return fut.getLoop().isClosed();
}

/**
 * Package-internal: A waiter's Future that tells its primitive, once, whether the waiter took what
 * it was handed (see `HandOffFuture`): `acquire()` returns it as is, with no `async`
 * wrapper around `await fut` to do the bookkeeping after the wait. What it is handed is
 * `value` (`true` for `acquire()`, the disposable for `hold()`), so whatever the waiter's
 * task receives, ownership included, is covered by the hand-off rule.
 */
export class HandOff<T> extends HandOffFuture<T> {
  /** How many permits (Semaphore) or other units the waiter asked for. */
  readonly weight: number;
  /** What the primitive hands over (`setResult(fut.value)`). */
  readonly value: T;
  #count: Count | undefined;

  /**
   * @param onHandoff called once with `taken` (see `HandOffFuture`).
   * @param reportTaken false when only a result that was not taken matters.
   * @param count the primitive's count of waiting waiters, which this one is part of.
   */
  constructor(
    onHandoff: (fut: HandOff<T>, taken: boolean) => void,
    opts: { label: string; reportTaken: boolean },
    weight: number,
    value: T,
    count: Count,
  ) {
    super(onHandoff as (fut: HandOffFuture<T>, taken: boolean) => void, opts);
    this.weight = weight;
    this.value = value;
    this.#count = count;
  }

  /** Counts the waiter out (once): it was cancelled, or its loop is closed. */
  leave(): void {
    const count = this.#count;
    if (count !== undefined && !this.done()) {
      this.#count = undefined;
      count.n--;
    }
  }

  override cancel(msg?: unknown): boolean {
    this.leave();
    return super.cancel(msg);
  }
}

/**
 * Package-internal: Takes the oldest waiter still waiting off `waiters` and counts it out (the
 * caller then hands it something); drops cancelled waiters (already counted out) and dead
 * ones on the way.
 */
export function nextLive<W extends HandOff<unknown>>(waiters: Deque<W>): W | undefined {
  while (waiters.size > 0) {
    const fut = waiters.shift() as W;
    if (fut.done()) continue;
    fut.leave();
    if (!isDead(fut)) return fut;
  }
  return undefined;
}

/**
 * Package-internal: Validates a weight or count: an integer from 1 up to `max`. As Node's own
 * validators do, a value that is not a number is a `TypeError`; a number that is not an
 * integer in range (1.5, NaN, Infinity, 0) is a `RangeError`.
 */
export function checkCount(
  value: unknown,
  name: string,
  where: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${where} expected \`${name}\` to be an integer, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < 1 || value > max) {
    const range = max >= Number.MAX_SAFE_INTEGER ? 'from 1 and up' : `from 1 to ${max}`;
    throw new RangeError(`${where} expected \`${name}\` to be an integer ${range}, got ${value}`);
  }
  return value;
}

/**
 * Package-internal: How many of `count.n` waiters in `waiters` are still waiting: the count, less
 * the dead ones not reached yet (a scan, only when there are waiters; for `stats()`).
 */
export function liveCount<W extends HandOff<unknown>>(waiters: Deque<W>, count: Count): number {
  let n = count.n;
  if (n === 0) return 0;
  for (let i = 0; i < waiters.size; i++) {
    const fut = waiters.at(i) as W;
    if (!fut.done() && isDead(fut)) n--;
  }
  return n;
}

/**
 * Package-internal: Drops cancelled and dead waiters from `waiters` once they outnumber the live
 * ones (more than 32 in all), counting the dead ones out.
 */
export function compact<W extends HandOff<unknown>>(waiters: Deque<W>, count: Count): void {
  if (waiters.size <= 32 || waiters.size <= 2 * count.n) return;
  waiters.retain((fut) => {
    if (fut.done()) return false;
    if (!isDead(fut)) return true;
    fut.leave();
    return false;
  });
}

/**
 * Package-internal: The FIFO of plain waiter Futures of a Queue (getters, putters) or a Condition.
 * Cancelled waiters are not searched for and removed (O(n)): they stay until `next()` skips
 * them, or until they outnumber the live ones and the ring is compacted. `live()` counts the
 * waiters still waiting by a scan, for `stats()`.
 */
export class Waiters<F extends Future<unknown>> {
  readonly #ring = new Deque<F>();
  /** Queued and not handed anything, counting cancelled ones until their wait ends. */
  #pending = 0;

  /** Waiters in the ring, cancelled ones included. */
  get size(): number {
    return this.#ring.size;
  }

  push(fut: F): void {
    this.#ring.push(fut);
    this.#pending++;
  }

  /** Takes the oldest waiter still waiting; skips cancelled ones and those of a closed loop. */
  next(): F | undefined {
    const ring = this.#ring;
    while (ring.size > 0) {
      const fut = ring.shift() as F;
      if (fut.done()) continue; // cancelled: its wait counts it out when it ends
      this.#pending--;
      if (!isDead(fut)) return fut;
    }
    return undefined;
  }

  /** A waiter cancelled while queued has ended its wait. */
  left(): void {
    this.#pending--;
    const ring = this.#ring;
    if (ring.size <= 32 || ring.size <= 2 * this.#pending) return;
    ring.retain((fut) => {
      if (fut.done()) return false;
      if (!isDead(fut)) return true;
      this.#pending--;
      return false;
    });
  }

  /** How many waiters are still waiting (not cancelled, loop not closed). O(n). */
  live(): number {
    const ring = this.#ring;
    let n = 0;
    for (let i = 0; i < ring.size; i++) {
      const fut = ring.at(i) as F;
      if (!fut.done() && !isDead(fut)) n++;
    }
    return n;
  }
}
