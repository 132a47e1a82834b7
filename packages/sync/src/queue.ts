/**
 * Queue, LifoQueue and PriorityQueue: asyncio 3.13's queues (shutdown included), made fair.
 *
 * asyncio only wakes a waiting getter, which then races every other caller for the item (a
 * `get()` arriving in between takes it; the woken getter re-queues at the back). Here items
 * and slots are handed over, so waiters are served strictly in arrival order:
 *
 * - FIFO: a put with a getter waiting gives the item straight to the first getter (it is
 *   "in flight" until that getter resumes); that item is exactly what `get()` would return.
 * - LIFO and priority: what `get()` would return depends on what is put after, so a put with
 *   a getter waiting stores the item and promises the first getter *an* item ("claimed"):
 *   the getter takes the best item there is when it resumes, as in asyncio, and only the
 *   items beyond the claims can be got in the meantime. A waiting getter therefore gets 1
 *   from `putNowait(5); putNowait(1); putNowait(3)` on a PriorityQueue, 3 on a LifoQueue.
 * - Either way, items that can be got imply that no getter waits.
 * - A get that frees a slot reserves it for the first waiting putter, which puts its own item
 *   when it resumes. `full()` counts items, items in flight and reserved slots, so the store
 *   never exceeds `maxsize` and a new `put()` cannot take a reserved slot.
 *
 * Cancellation at any moment (test_get_cancel_drop_*, test_put_cancel_drop): a getter handed
 * an item (or a claim) and cancelled before it resumes passes it to the next getter, or the
 * item goes back to the store as its oldest one (a claim just lapses: its item is still
 * there); a putter cancelled after its slot was reserved passes the slot to the next putter.
 * A cancelled put never puts; no item is lost or got twice.
 *
 * Cancelled waiters stop counting at once (`stats()` counts the live ones); they stay in
 * their ring until skipped, and the ring is compacted once they outnumber the live waiters. A waiter whose loop is closed (left
 * pending when its `run()` ended) is skipped and nothing is handed to it.
 */
import { type Future, getLoop, InvalidStateError } from '@aiots/loop';
import { Deque } from '@aiots/loop/lowlevel';
import { QueueEmpty, QueueFull, QueueShutDown } from './errors.ts';
import { Event } from './event.ts';
import { type Compare, checkNatural, naturalCompare, PriorityHeap } from './priority-heap.ts';
import {
  AbortWatch,
  describe,
  RESOLVED_VOID,
  signalOf,
  Waiters,
  type WaitOptions,
} from './wait-options.ts';

// One options object for every wait's Future: its label names it in formatTaskTree().
const PUT_LABEL = { label: 'Queue.put' };
const GET_LABEL = { label: 'Queue.get' };

/** What `Queue.stats()` returns. */
export interface QueueStats {
  /** Items in the queue (`qsize()`). */
  readonly size: number;
  /** The bound (0 or less: unbounded). */
  readonly maxsize: number;
  /** Tasks waiting in `get()`. */
  readonly getters: number;
  /** Tasks waiting in `put()`. */
  readonly putters: number;
  /** Items put and not yet marked done with `taskDone()`. */
  readonly unfinished: number;
  /** True once `shutdown()` was called. */
  readonly shutdown: boolean;
}

/** Where a queue keeps its items; the three kinds differ only here. */
interface Store<T> {
  readonly size: number;
  push(item: T): void;
  take(): T;
  clear(): void;
  toArray(): T[];
}

class FifoStore<T> extends Deque<T> implements Store<T> {
  take(): T {
    return this.shift() as T;
  }
}

class LifoStore<T> extends Deque<T> implements Store<T> {
  take(): T {
    return this.pop() as T;
  }
}

/** What a getter's Future resolves with when it was woken by `shutdown()`, not an item. */
const SHUTDOWN: unique symbol = Symbol('shutdown');
/** What a getter's Future resolves with when an item in the store is promised to it. */
const CLAIM: unique symbol = Symbol('claim');

type Handed<T> = T | typeof SHUTDOWN | typeof CLAIM;

let setStore: <T>(queue: Queue<T>, store: Store<T>) => void;

/**
 * A FIFO queue for producers and consumers: `put()` waits while the queue is full, `get()`
 * while it is empty, both served strictly in arrival order and safe against cancellation at
 * any moment. `taskDone()`/`join()` track processing, `shutdown()` ends it, and
 * `for await (const item of queue)` consumes until shutdown.
 *
 * @example
 * ```ts
 * import { taskGroup } from '@aiots/loop';
 * import { Queue } from '@aiots/sync';
 * const queue = new Queue<number>(10);
 * const got: number[] = [];
 * await taskGroup(async (tg) => {
 *   tg.createTask(async () => {
 *     for await (const n of queue) {
 *       got.push(n);
 *       queue.taskDone();
 *     }
 *   });
 *   for (let i = 0; i < 100; i++) await queue.put(i);
 *   await queue.join(); // every item processed
 *   queue.shutdown(); // ends the consumer's loop
 * });
 * console.log(got.length); // 100
 * ```
 */
export class Queue<T> implements AsyncIterable<T> {
  readonly #maxsize: number;
  #store: Store<T>;
  /** The store when it is FIFO: items are then handed straight to waiting getters. */
  #fifo: FifoStore<T> | undefined;
  readonly #getters = new Waiters<Future<Handed<T>>>();
  readonly #putters = new Waiters<Future<boolean>>();
  /** FIFO: items handed to woken getters that have not resumed yet (not in the store). */
  #inFlight = 0;
  /** LIFO, priority: items in the store promised to woken getters that have not resumed. */
  #claimed = 0;
  /** Slots promised to woken putters that have not resumed yet. */
  #reserved = 0;
  #unfinished = 0;
  #joined: Event | undefined;
  #shutdown = false;
  #immediate = false;

  static {
    setStore = (queue, store) => {
      queue.#store = store;
      queue.#fifo = undefined;
    };
  }

  /**
   * @param maxsize The most items the queue holds; `put()` waits while it is full. 0 or less
   *   (the default) means unbounded. A fractional bound works by comparison, as in asyncio.
   * @throws {TypeError} when `maxsize` is not a number. @throws {RangeError} when it is NaN.
   */
  constructor(maxsize = 0) {
    if (typeof maxsize !== 'number') {
      throw new TypeError(`Queue expected \`maxsize\` to be a number, got ${describe(maxsize)}`);
    }
    if (Number.isNaN(maxsize)) {
      throw new RangeError(
        'Queue expected `maxsize` to be a number (0 or less: unbounded), got NaN',
      );
    }
    this.#maxsize = maxsize;
    const fifo = new FifoStore<T>();
    this.#store = fifo;
    this.#fifo = fifo;
    // Bound, so they can be passed as callbacks.
    this.putNowait = this.putNowait.bind(this);
    this.taskDone = this.taskDone.bind(this);
    this.shutdown = this.shutdown.bind(this);
  }

  /** The bound given to the constructor (0 or less: unbounded). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /**
   * Number of items in the queue (not counting items already handed to woken getters).
   *
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * const q = new Queue<string>();
   * q.putNowait('a');
   * console.log(q.qsize()); // 1
   * ```
   */
  qsize(): number {
    return this.#store.size - this.#claimed;
  }

  /**
   * True when the queue holds no item (`getNowait()` would throw).
   *
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * console.log(new Queue().empty()); // true
   * ```
   */
  empty(): boolean {
    return this.#store.size === this.#claimed;
  }

  /**
   * True when a put would have to wait: the items (those promised to woken getters
   * included), plus slots promised to woken putters, reach `maxsize`. Never true for an
   * unbounded queue.
   *
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * const q = new Queue<number>(1);
   * q.putNowait(1);
   * console.log(q.full()); // true
   * ```
   */
  full(): boolean {
    return this.#maxsize > 0 && this.#store.size + this.#inFlight + this.#reserved >= this.#maxsize;
  }

  /**
   * Puts `item`, waiting while the queue is full. When it need not wait, the returned promise
   * is already settled and the call does not yield to the loop.
   *
   * A cancellation point while waiting: cancelling the task (or aborting `signal`) ends the
   * wait with `CancelledError` (or `signal.reason`) and the item is not put.
   *
   * @throws {QueueShutDown} when the queue is shut down (also while waiting).
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * const q = new Queue<string>(1);
   * await q.put('a');
   * console.log(q.full()); // true
   * ```
   */
  put(item: T, opts?: WaitOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    if (opts !== undefined) {
      try {
        signal = signalOf(opts, 'Queue.put()');
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (this.#shutdown)
      return Promise.reject(new QueueShutDown('Queue.put(): the queue is shut down'));
    if (!this.full()) {
      try {
        this.#add(item);
      } catch (e) {
        return Promise.reject(e);
      }
      return RESOLVED_VOID;
    }
    return this.#putWait(item, signal);
  }

  /**
   * Puts `item` if there is room now. Bound to the queue, so it can be passed as a callback.
   *
   * @throws {QueueFull} when the queue is full.
   * @throws {QueueShutDown} when the queue is shut down.
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * const q = new Queue<number>();
   * q.putNowait(1);
   * console.log(q.getNowait()); // 1
   * ```
   */
  putNowait(item: T): void {
    if (this.#shutdown) throw new QueueShutDown('Queue.putNowait(): the queue is shut down');
    if (this.full()) {
      throw new QueueFull(
        `putNowait() expected a free slot, but the queue is full (maxsize ${this.#maxsize})`,
      );
    }
    this.#add(item);
  }

  /**
   * Adds an item. FIFO: straight to the first waiting getter, else to the store. LIFO and
   * priority: to the store, promising one item to the first waiting getter.
   */
  #add(item: T): void {
    const getters = this.#getters;
    const fifo = this.#fifo;
    if (fifo !== undefined) {
      const fut = getters.size > 0 ? getters.next() : undefined;
      if (fut !== undefined) {
        this.#inFlight++;
        fut.setResult(item);
      } else fifo.push(item);
      this.#unfinished++;
      return;
    }
    this.#store.push(item); // may throw (a PriorityQueue item it cannot order): nothing changed
    this.#unfinished++;
    const fut = getters.size > 0 ? getters.next() : undefined;
    if (fut !== undefined) {
      this.#claimed++;
      fut.setResult(CLAIM);
    }
  }

  #putWait(item: T, signal: AbortSignal | undefined): Promise<void> {
    const fut = getLoop().createFuture<boolean>(PUT_LABEL);
    this.#putters.push(fut);
    return signal === undefined ? this.#putPlain(fut, item) : this.#putAbortable(fut, item, signal);
  }

  async #putPlain(fut: Future<boolean>, item: T): Promise<void> {
    let reserved: boolean;
    try {
      reserved = await fut;
    } catch (e) {
      this.#putterLeft(fut);
      throw e;
    }
    this.#putReserved(reserved, item);
  }

  async #putAbortable(fut: Future<boolean>, item: T, signal: AbortSignal): Promise<void> {
    const watch = new AbortWatch(signal, fut);
    let reserved: boolean;
    try {
      reserved = await fut;
    } catch (e) {
      this.#putterLeft(fut);
      throw watch.aborted ? signal.reason : e;
    } finally {
      watch.dispose();
    }
    if (reserved && !this.#shutdown && signal.aborted) {
      this.#reserved--;
      this.#wakePutters();
      throw signal.reason;
    }
    this.#putReserved(reserved, item);
  }

  /** A putter ends its wait without putting. */
  #putterLeft(fut: Future<boolean>): void {
    if (fut.cancelled()) {
      this.#putters.left();
    } else if (fut.result()) {
      // A slot was reserved for us, then we were cancelled before resuming: pass it on.
      this.#reserved--;
      this.#wakePutters();
    }
  }

  /** A putter resumed: puts its item into the slot reserved for it (or finds the queue shut). */
  #putReserved(reserved: boolean, item: T): void {
    if (!reserved) throw new QueueShutDown('Queue.put(): the queue was shut down while waiting');
    this.#reserved--;
    if (this.#shutdown) {
      throw new QueueShutDown('Queue.put(): the queue was shut down while waiting');
    }
    try {
      this.#add(item);
    } catch (e) {
      this.#wakePutters();
      throw e;
    }
  }

  /** Reserves free slots for the putters at the head of the queue. */
  #wakePutters(): void {
    const putters = this.#putters;
    while (putters.size > 0 && !this.full()) {
      const fut = putters.next();
      if (fut === undefined) return;
      this.#reserved++;
      fut.setResult(true);
    }
  }

  /**
   * Removes and returns the next item, waiting while the queue is empty. When an item is
   * there, the returned promise is already settled and the call does not yield to the loop.
   *
   * A cancellation point while waiting: cancelling the task (or aborting `signal`) ends the
   * wait with `CancelledError` (or `signal.reason`); an item already handed to this getter
   * goes to the next getter or back to the front of the queue.
   *
   * @throws {QueueShutDown} when the queue is shut down and empty (at once after
   *   `shutdown(true)`).
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * const q = new Queue<string>();
   * await q.put('hello');
   * console.log(await q.get()); // hello
   * ```
   */
  get(opts?: WaitOptions): Promise<T> {
    let signal: AbortSignal | undefined;
    if (opts !== undefined) {
      try {
        signal = signalOf(opts, 'Queue.get()');
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (this.#store.size > this.#claimed) {
      const item = this.#store.take();
      if (this.#putters.size > 0) this.#wakePutters();
      return Promise.resolve(item);
    }
    if (this.#shutdown)
      return Promise.reject(new QueueShutDown('Queue.get(): the queue is shut down and empty'));
    return this.#getWait(signal);
  }

  /**
   * Removes and returns the next item if there is one now.
   *
   * @throws {QueueEmpty} when the queue is empty.
   * @throws {QueueShutDown} when the queue is shut down and empty.
   * @example
   * ```ts
   * import { Queue, QueueEmpty } from '@aiots/sync';
   * const q = new Queue<number>();
   * try {
   *   q.getNowait();
   * } catch (e) {
   *   console.log(QueueEmpty.is(e)); // true
   * }
   * ```
   */
  getNowait(): T {
    if (this.#store.size === this.#claimed) {
      if (this.#shutdown)
        throw new QueueShutDown('Queue.getNowait(): the queue is shut down and empty');
      throw new QueueEmpty();
    }
    const item = this.#store.take();
    if (this.#putters.size > 0) this.#wakePutters();
    return item;
  }

  #getWait(signal: AbortSignal | undefined): Promise<T> {
    const fut = getLoop().createFuture<Handed<T>>(GET_LABEL);
    this.#getters.push(fut);
    return signal === undefined ? this.#getPlain(fut) : this.#getAbortable(fut, signal);
  }

  async #getPlain(fut: Future<Handed<T>>): Promise<T> {
    let handed: Handed<T>;
    try {
      handed = await fut;
    } catch (e) {
      this.#getterLeft(fut);
      throw e;
    }
    return this.#received(handed);
  }

  async #getAbortable(fut: Future<Handed<T>>, signal: AbortSignal): Promise<T> {
    const watch = new AbortWatch(signal, fut);
    let handed: Handed<T>;
    try {
      handed = await fut;
    } catch (e) {
      this.#getterLeft(fut);
      throw watch.aborted ? signal.reason : e;
    } finally {
      watch.dispose();
    }
    if (handed !== SHUTDOWN && !this.#immediate && signal.aborted) {
      this.#giveBack(handed);
      throw signal.reason;
    }
    return this.#received(handed);
  }

  /** A getter ends its wait without taking an item. */
  #getterLeft(fut: Future<Handed<T>>): void {
    if (fut.cancelled()) {
      this.#getters.left();
      return;
    }
    const handed = fut.result();
    // Handed an item or a claim, then cancelled before resuming: pass it on, nothing is lost.
    if (handed !== SHUTDOWN) this.#giveBack(handed);
  }

  /** A getter resumed with what it was handed: takes its item. */
  #received(handed: Handed<T>): T {
    // shutdown(true) counted the item as drained already.
    if (handed === SHUTDOWN || this.#immediate) {
      throw new QueueShutDown('Queue.get(): the queue was shut down while waiting');
    }
    let item: T;
    if (handed === CLAIM) {
      // The best item there is now: what get() returns (asyncio takes it at this point too).
      this.#claimed--;
      item = this.#store.take();
    } else {
      this.#inFlight--;
      item = handed;
    }
    // The item leaves the queue only now: its slot frees for a waiting putter.
    if (this.#putters.size > 0) this.#wakePutters();
    return item;
  }

  /**
   * An item (FIFO) or claim handed to a getter that will not take it: to the next getter;
   * else the item goes back to the store as its oldest, and a claim lapses (its item is in
   * the store already).
   */
  #giveBack(handed: T | typeof CLAIM): void {
    if (this.#immediate) return; // drained by shutdown(true): its count is already settled
    const next = this.#getters.size > 0 ? this.#getters.next() : undefined;
    if (next !== undefined) next.setResult(handed);
    else if (handed === CLAIM) this.#claimed--;
    else {
      this.#inFlight--;
      (this.#fifo as FifoStore<T>).unshift(handed);
    }
  }

  /**
   * Marks one item got from the queue as processed. `join()` returns once every item put has
   * been marked. Bound to the queue, so it can be passed as a callback.
   *
   * @throws {InvalidStateError} when called more times than items were put.
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * const q = new Queue<string>();
   * q.putNowait('job');
   * q.getNowait();
   * q.taskDone();
   * await q.join(); // returns at once
   * ```
   */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new InvalidStateError(
        'taskDone() called too many times: expected one call per item put, but no item is unfinished',
      );
    }
    if (--this.#unfinished === 0) this.#finish();
  }

  #finish(): void {
    const joined = this.#joined;
    if (joined !== undefined) {
      this.#joined = undefined;
      joined.set();
    }
  }

  /**
   * Waits until every item put has been got and marked with `taskDone()`; returns at once
   * when none is unfinished. A cancellation point.
   *
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * const q = new Queue<number>();
   * await q.join(); // nothing unfinished: returns at once
   * ```
   */
  join(opts?: WaitOptions): Promise<void> {
    if (this.#unfinished === 0) {
      try {
        signalOf(opts, 'Queue.join()');
      } catch (e) {
        return Promise.reject(e);
      }
      return RESOLVED_VOID;
    }
    this.#joined ??= new Event();
    return this.#joined.wait(opts) as Promise<unknown> as Promise<void>;
  }

  /**
   * Shuts the queue down: puts throw `QueueShutDown` (waiting putters too), gets return the
   * remaining items and then throw `QueueShutDown` (waiting getters at once). With
   * `immediate`, the remaining items are dropped as well, each counted as done for `join()`.
   * Calling it again does nothing more (except an `immediate` call after a plain one). Bound
   * to the queue, so it can be passed as a callback; mind that a listener's argument lands
   * in `immediate` (`process.once('SIGTERM', q.shutdown)` passes `'SIGTERM'`), which is
   * refused: pass `() => q.shutdown()` there.
   *
   * @param immediate Drop the remaining items too (default false).
   * @throws {TypeError} when `immediate` is not a boolean.
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * const q = new Queue<number>();
   * q.putNowait(1);
   * q.shutdown();
   * console.log(await q.get()); // 1
   * ```
   */
  shutdown(immediate = false): void {
    if (typeof immediate !== 'boolean') {
      throw new TypeError(
        `Queue.shutdown() expected \`immediate\` to be a boolean, got ${describe(immediate)}`,
      );
    }
    this.#shutdown = true;
    if (immediate && !this.#immediate) {
      this.#immediate = true;
      // Items on their way to (or promised to) woken getters count as drained too: those
      // getters throw when they resume.
      const drained = this.#store.size + this.#inFlight;
      this.#store.clear();
      this.#inFlight = 0;
      this.#claimed = 0;
      this.#unfinished = Math.max(0, this.#unfinished - drained);
      if (this.#unfinished === 0) this.#finish();
    }
    for (let fut = this.#getters.next(); fut !== undefined; fut = this.#getters.next()) {
      fut.setResult(SHUTDOWN);
    }
    for (let fut = this.#putters.next(); fut !== undefined; fut = this.#putters.next()) {
      fut.setResult(false);
    }
  }

  /**
   * Yields items as `get()` returns them, until the queue is shut down and empty; then the
   * loop ends normally. Call `taskDone()` per item if you use `join()`.
   *
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * const q = new Queue<string>();
   * q.putNowait('a');
   * q.putNowait('b');
   * q.shutdown();
   * const seen: string[] = [];
   * for await (const item of q) seen.push(item);
   * console.log(seen); // ['a', 'b']
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (e) {
        if (QueueShutDown.is(e)) return;
        throw e;
      }
      yield item;
    }
  }

  /**
   * A frozen snapshot: `{ size, maxsize, getters, putters, unfinished, shutdown }`.
   *
   * @example
   * ```ts
   * import { Queue } from '@aiots/sync';
   * const { size, maxsize, getters } = new Queue(5).stats();
   * console.log(size, maxsize, getters); // 0 5 0
   * ```
   */
  stats(): QueueStats {
    return Object.freeze({
      size: this.qsize(),
      maxsize: this.#maxsize,
      getters: this.#getters.live(),
      putters: this.#putters.live(),
      unfinished: this.#unfinished,
      shutdown: this.#shutdown,
    });
  }

  toString(): string {
    const parts = [`maxsize=${this.#maxsize}`];
    const size = this.qsize();
    if (size > 0) parts.push(`size=${size}`);
    const getters = this.#getters.live();
    const putters = this.#putters.live();
    if (getters > 0) parts.push(`getters[${getters}]`);
    if (putters > 0) parts.push(`putters[${putters}]`);
    if (this.#unfinished > 0) parts.push(`tasks=${this.#unfinished}`);
    if (this.#shutdown) parts.push('shutdown');
    return `<${this.constructor.name} ${parts.join(' ')}>`;
  }
}

/**
 * A queue that gives the most recently put item first (a stack).
 *
 * @example
 * ```ts
 * import { LifoQueue } from '@aiots/sync';
 * const q = new LifoQueue<number>();
 * for (const n of [1, 2, 3]) q.putNowait(n);
 * console.log([q.getNowait(), q.getNowait(), q.getNowait()]); // [3, 2, 1]
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  /** @param maxsize As for `Queue`. */
  constructor(maxsize = 0) {
    super(maxsize);
    setStore(this, new LifoStore<T>());
  }
}

/**
 * A queue that gives the lowest item first. Without `compare`, items are numbers, bigints,
 * strings, or arrays of them compared element by element like Python tuples, so
 * `[priority, payload]` entries work; with `compare`, any items. Equal items come out in the
 * order they were put (stable), unlike Python's `heapq`.
 *
 * @example
 * ```ts
 * import { PriorityQueue } from '@aiots/sync';
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([2, 'write report']);
 * q.putNowait([1, 'fix outage']);
 * console.log(q.getNowait()); // [1, 'fix outage']
 *
 * const byDeadline = new PriorityQueue<{ due: number }>(0, (a, b) => a.due - b.due);
 * byDeadline.putNowait({ due: 30 });
 * byDeadline.putNowait({ due: 10 });
 * console.log(byDeadline.getNowait().due); // 10
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  /**
   * @param maxsize As for `Queue`.
   * @param compare Negative when `a` comes first; default: numbers, strings and arrays
   *   (tuple order). Without it, putting an item of another kind throws `TypeError`.
   * @throws {TypeError} when `compare` is not a function.
   */
  constructor(maxsize = 0, compare?: (a: T, b: T) => number) {
    super(maxsize);
    if (compare !== undefined && typeof compare !== 'function') {
      throw new TypeError(
        `PriorityQueue expected \`compare\` to be a function, got ${describe(compare)}`,
      );
    }
    const heap =
      compare === undefined
        ? new PriorityHeap<T>(naturalCompare as Compare<T>, checkNatural)
        : new PriorityHeap<T>(compare);
    setStore(this, heap);
  }
}
