/**
 * Future: a single-assignment result with asyncio's state machine, usable with `await`.
 *
 * Awaiting a Future from inside a task ties it to the task (see `Waiter` and `Task._tie`):
 * cancelling the task cancels the Future it is suspended on, exactly as asyncio cancels
 * `_fut_waiter`. Done callbacks and awaiting code are never resumed synchronously: every
 * delivery goes through the loop's ready queue.
 */
import { taskStorage } from './context.ts';
import { CancelledError, describe, InvalidStateError } from './errors.ts';
import {
  _setFutureCtor,
  endChunkAfterCallback,
  getLoop,
  type Loop,
  microtask,
  trackUnretrieved,
  untrackUnretrieved,
} from './loop.ts';
import type { Task } from './task.ts';

/** Package-internal: */ export const PENDING = 0;
/** Package-internal: */ export const FULFILLED = 1;
/** Package-internal: */ export const REJECTED = 2;
/** Package-internal: */ export const CANCELLED = 3;

type DoneCallback<T> = (fut: Future<T>) => void;
type Entry = DoneCallback<never> | Waiter;

function fireWaiter(w: Waiter): void {
  const fut = w.fut;
  let state = fut._state;
  let value = fut._value;
  const task = w.task;
  const toTask = task !== undefined && task._state === PENDING;
  if (toTask) {
    // The task resumes in the microtasks this delivery queues: they run before the next
    // callback of the batch, as a task's step does in asyncio.
    endChunkAfterCallback();
    const cancelNow = task._delivered(w, state === CANCELLED);
    if (cancelNow !== undefined) {
      state = CANCELLED;
      value = cancelNow;
    } else if (state === CANCELLED) {
      value = fut._cancelledError();
    }
  } else if (state === CANCELLED) {
    value = fut._cancelledError();
  }
  if (fut._flags & HANDOFF) {
    // `then()`'s Future was cancelled first (a task awaiting `fut.then(cb)` was cancelled):
    // nobody can receive the result now, so `cb` does not run and the primitive passes on
    // what it handed over, which a lock or permit taken by `cb` would leak.
    if (w._state !== PENDING) {
      handoff(fut, false);
      return;
    }
    if (state !== FULFILLED) handoff(fut, false);
    else if ((fut._flags & (TELL_TAKEN | HANDED)) === TELL_TAKEN) {
      // Taken. A task consumer's step comes next, before any other callback: the primitive
      // learns it now. Any other consumer: in a microtask (see handoffLater).
      if (toTask) handoff(fut, true);
      else handoffLater(fut);
    }
  }
  const child = w;
  if (state === FULFILLED) {
    const onF = w.onF;
    if (typeof onF !== 'function') {
      child._resolve(value);
      return;
    }
    let r: unknown;
    try {
      r = onF(value);
    } catch (e) {
      child._reject(e);
      return;
    }
    child._adopt(r);
  } else {
    const onR = w.onR;
    if (typeof onR !== 'function') {
      // Passed down the chain (`t.then(f)` with no rejection handler): the Future `then`
      // returned now carries the error, and whoever handles that one has retrieved it, as
      // with native promises. Only the end of the chain can be reported as never retrieved.
      if (state === REJECTED) fut._markRetrieved();
      child._reject(value);
      return;
    }
    let r: unknown;
    try {
      r = onR(value);
    } catch (e) {
      child._reject(e);
      return;
    }
    child._adopt(r);
  }
}

/**
 * Package-internal: Delivers `CancelledError` to the task waiting through `w` now, instead of when
 * `w.fut` settles (the awaited task awaits the waiter's task in turn: a cycle). The caller
 * has unlinked `w` from its task.
 */
export function cancelTieNow(w: Waiter): void {
  w.fut._removeEntry(w);
  w._flags |= FORCE_CANCEL;
  w.fut._loop._schedule(fireWaiter, w);
}

/** Tells a Future with a hand-off hook, once, whether its result was taken. */
function handoff(fut: Future<unknown>, taken: boolean): void {
  if (fut._flags & HANDED) return;
  fut._flags |= HANDED;
  fut._handoff?.(taken);
}

const takenQueue: Future<unknown>[] = [];

/**
 * Tells the primitive that `fut`'s result was taken by a consumer that is not a task (a
 * `then(cb)` outside any task), in a microtask queued just before the one that runs the
 * consumer. Loop callbacks later in the same chunk (a task started there) still see the
 * waiter as on its way, so they queue behind it (no barging); and the primitive's
 * bookkeeping is done before the consumer's code runs, as asyncio does it inside
 * `acquire()` (3.13 wakes the waiters queued behind there). A task consumer is told at
 * delivery instead: the chunk ends there, and the task's step runs next.
 */
function handoffLater(fut: Future<unknown>): void {
  fut._flags |= HANDED;
  if (takenQueue.push(fut) === 1) microtask(drainTaken);
}

function drainTaken(): void {
  // Hooks may wake further waiters, whose deliveries come in later batches.
  for (let i = 0; i < takenQueue.length; i++) {
    const fut = takenQueue[i] as Future<unknown>;
    takenQueue[i] = undefined as never;
    fut._handoff?.(true);
  }
  takenQueue.length = 0;
}

/** A hand-off Future settled before anyone called `then()` on it. */
function handoffUnclaimed(fut: Future<unknown>): void {
  if (fut._flags & CLAIMED) return;
  const taken = fut._state === FULFILLED;
  if (!taken || fut._flags & TELL_TAKEN) handoff(fut, taken);
}

/** A task awaited itself: asyncio throws "Task cannot await on itself" into it. */
function rejectSelfAwait(w: Waiter): void {
  const err = new InvalidStateError(`Task cannot await on itself: ${w.fut.toString()}`);
  const onR = w.onR;
  if (typeof onR !== 'function') {
    w._reject(err);
    return;
  }
  try {
    w._adopt(onR(err));
  } catch (e) {
    w._reject(e);
  }
}

// Bits of `Future._flags`. 1: the exception was retrieved. 2: `_value` holds a cancel
// message, not yet the CancelledError made from it. 8: CANCEL_LAST (task.ts). 16: the
// Future is in the loop's never-retrieved registry. 32, 64: Waiter bits below. 128-1024:
// hand-off bits below. 2048: CANCEL_SENT (a Waiter), 4096: DEFERRED (a Task), in task.ts.
const RETRIEVED = 1;
/** The Future is in the loop's never-retrieved registry. */
const TRACKED = 16;
/** Package-internal: Waiter flags: a weak tie; a tie that must get CancelledError at once. */
export const WEAK = 32;
/** Package-internal: */
export const FORCE_CANCEL = 64;
/**
 * The Future has a hand-off hook (`_enableHandoff`); 256: it was called; 512: `then()` was;
 * 1024: the hook wants to hear of a taken result too, not only of one that was not.
 */
const HANDOFF = 128;
const HANDED = 256;
const CLAIMED = 512;
const TELL_TAKEN = 1024;

/**
 * The result of an asynchronous operation, set once with `setResult`, `setException` or
 * `cancel`. Implements `Promise`, so it can be awaited, chained and passed to `Promise.all`.
 * Awaiting it inside a task makes it a cancellation point: cancelling the task cancels it.
 *
 * @example
 * ```ts
 * import { createTask, getLoop } from '@aiots/loop';
 * const fut = getLoop().createFuture<number>();
 * createTask(async () => fut.setResult(42));
 * console.log(await fut); // 42
 * ```
 */
export class Future<T> implements Promise<T> {
  /** @internal */ _loop: Loop;
  /** @internal */ _state: number = PENDING;
  /** @internal */ _value: unknown = undefined;
  /** @internal */ _cb: Entry | Entry[] | undefined = undefined;
  /** @internal */ _flags = 0;
  /** @internal */ _label: string | undefined;

  /**
   * Creates a pending Future on `loop` (default: `getLoop()`). `label` names it in
   * `formatTaskTree()`.
   */
  constructor(loop?: Loop, label?: string) {
    this._loop = loop ?? getLoop();
    this._label = label;
  }

  /** A Future that settles like `value` (a Future is returned as is). */
  static from<T>(value: PromiseLike<T> | T, loop?: Loop): Future<Awaited<T>> {
    if (value instanceof Future) return value as Future<Awaited<T>>;
    const fut = new Future<Awaited<T>>(loop);
    fut._adopt(value);
    return fut;
  }

  get [Symbol.toStringTag](): string {
    return 'Future';
  }

  /** The loop this Future belongs to. */
  getLoop(): Loop {
    return this._loop;
  }

  /** True once a result, an exception or a cancel was set. */
  done(): boolean {
    return this._state !== PENDING;
  }

  /** True if the Future was cancelled. */
  cancelled(): boolean {
    return this._state === CANCELLED;
  }

  /**
   * The result.
   * @throws the exception, `CancelledError` if cancelled, `InvalidStateError` if pending.
   */
  result(): T {
    const s = this._state;
    if (s === FULFILLED) return this._value as T;
    if (s === PENDING) throw new InvalidStateError('Result is not set.');
    this._markRetrieved();
    if (s === CANCELLED) throw this._cancelledError();
    throw this._value;
  }

  /**
   * The exception, or `undefined` if the Future has a result.
   * @throws `CancelledError` if cancelled, `InvalidStateError` if pending.
   */
  exception(): unknown {
    const s = this._state;
    if (s === PENDING) throw new InvalidStateError('Exception is not set.');
    this._markRetrieved();
    if (s === CANCELLED) throw this._cancelledError();
    return s === REJECTED ? this._value : undefined;
  }

  /** Sets the result and schedules the done callbacks. @throws InvalidStateError if done. */
  setResult(value: T): void {
    if (this._state !== PENDING) {
      throw new InvalidStateError(`invalid state: ${this.toString()} is already done`);
    }
    this._resolve(value);
  }

  /** Sets the exception and schedules the done callbacks. @throws InvalidStateError if done. */
  setException(exception: unknown): void {
    if (this._state !== PENDING) {
      throw new InvalidStateError(`invalid state: ${this.toString()} is already done`);
    }
    this._reject(exception);
  }

  /**
   * Cancels the Future: it becomes done and `result()` throws `CancelledError(msg)`.
   * @returns false if it was already done.
   */
  cancel(msg?: unknown): boolean {
    if (this._state !== PENDING) {
      this._markRetrieved();
      return false;
    }
    this._state = CANCELLED;
    this._value = msg;
    this._flags |= 2; // value holds the message, not an error yet
    this._schedule();
    return true;
  }

  /**
   * Calls `cb(future)` on a later batch once the Future is done (at once, on a later batch,
   * if it already is). Unlike `then`, this does not tie the Future to the current task.
   */
  addDoneCallback(cb: DoneCallback<T>): void {
    if (typeof cb !== 'function') {
      throw new TypeError(`addDoneCallback() expected a function, got ${describe(cb)}`);
    }
    if (this._state !== PENDING) {
      this._loop._schedule(cb as DoneCallback<unknown>, this);
      return;
    }
    this._addEntry(cb as Entry);
  }

  /** Removes every registration of `cb`. @returns how many were removed. */
  removeDoneCallback(cb: DoneCallback<T>): number {
    const cur = this._cb;
    if (cur === undefined) return 0;
    if (!Array.isArray(cur)) {
      if (cur !== cb) return 0;
      this._cb = undefined;
      return 1;
    }
    const kept = cur.filter((e) => e !== cb);
    const n = cur.length - kept.length;
    this._cb = kept.length === 0 ? undefined : kept;
    return n;
  }

  // biome-ignore lint/suspicious/noThenProperty: a Future is a thenable by design.
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Future<R1 | R2> {
    let task = taskStorage.getStore();
    if (task !== undefined && task._state !== PENDING) task = undefined;
    if (this._flags & HANDOFF) this._flags |= CLAIMED;
    const w = new Waiter(this, task, onfulfilled as Waiter['onF'], onrejected as Waiter['onR']);
    if (typeof onrejected === 'function') this._markRetrieved();
    if (task !== undefined) {
      if ((task as unknown) === this) {
        // `await` listens to the callbacks, not to the Future `then` returns: deliver the
        // error through them (on a later batch), or the awaiting task would hang forever.
        this._loop._schedule(rejectSelfAwait, w);
        return w as Future<R1 | R2>;
      }
      if (task._tie(w)) {
        this._loop._schedule(fireWaiter, w);
        return w as Future<R1 | R2>;
      }
    }
    if (this._state !== PENDING) this._loop._schedule(fireWaiter, w);
    else this._addEntry(w);
    return w as Future<R1 | R2>;
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Future<T | R> {
    return this.then(undefined, onrejected);
  }

  finally(onfinally?: (() => void) | null): Future<T> {
    if (typeof onfinally !== 'function') return this.then();
    return this.then(
      (v) => Future.from(onfinally()).then(() => v),
      (e) =>
        Future.from(onfinally()).then(() => {
          throw e;
        }),
    ) as Future<T>;
  }

  toString(): string {
    const state = ['pending', 'finished', 'finished', 'cancelled'][this._state];
    return `<${this.constructor.name} ${state}${this._label ? ` ${this._label}` : ''}>`;
  }

  // ---- internals -------------------------------------------------------------------------

  /** @internal The CancelledError this cancelled Future throws (one instance, made lazily). */
  _cancelledError(): CancelledError {
    if (this._flags & 2) {
      const msg = this._value;
      this._value = new CancelledError(msg === undefined || msg === null ? '' : String(msg));
      this._flags &= ~2;
    }
    return this._value as CancelledError;
  }

  /** @internal */
  _markRetrieved(): void {
    const flags = this._flags;
    this._flags = flags | RETRIEVED;
    if (flags & TRACKED) {
      this._flags &= ~TRACKED;
      untrackUnretrieved(this as Future<unknown>);
    }
  }

  /** @internal Reports the exception as never retrieved unless someone asks for it. */
  _track(exception: unknown, isTask: boolean): void {
    if (this._flags & RETRIEVED) return;
    this._flags |= TRACKED;
    trackUnretrieved(this as Future<unknown>, exception, isTask);
  }

  /** @internal */
  _addEntry(e: Entry): void {
    const cur = this._cb;
    if (cur === undefined) this._cb = e;
    else if (Array.isArray(cur)) cur.push(e);
    else this._cb = [cur, e];
  }

  /** @internal Removes a waiter registration (used when a tie is dropped). */
  _removeEntry(e: Entry): void {
    const cur = this._cb;
    if (cur === e) this._cb = undefined;
    else if (Array.isArray(cur)) {
      const i = cur.indexOf(e);
      if (i >= 0) cur.splice(i, 1);
    }
  }

  /** @internal */
  _resolve(value: unknown): void {
    if (this._state !== PENDING) return;
    this._state = FULFILLED;
    this._value = value;
    this._schedule();
  }

  /** @internal */
  _reject(exception: unknown): void {
    if (this._state !== PENDING) return;
    this._state = REJECTED;
    this._value = exception;
    this._track(exception, false);
    this._schedule();
  }

  /** @internal Settles like `r`, following thenables (Promise resolution). */
  _adopt(r: unknown): void {
    if (r !== null && (typeof r === 'object' || typeof r === 'function')) {
      let then: unknown;
      try {
        then = (r as { then?: unknown }).then;
      } catch (e) {
        this._reject(e);
        return;
      }
      if (typeof then === 'function') {
        if (r === this) {
          this._reject(new TypeError('Chaining cycle detected for promise'));
          return;
        }
        let called = false;
        try {
          (then as PromiseLike<unknown>['then']).call(
            r,
            (v) => {
              if (!called) {
                called = true;
                this._adopt(v);
              }
            },
            (e) => {
              if (!called) {
                called = true;
                this._reject(e);
              }
            },
          );
        } catch (e) {
          if (!called) {
            called = true;
            this._reject(e);
          }
        }
        return;
      }
    }
    this._resolve(r);
  }

  /**
   * @internal For primitives built on Futures (`@aiots/sync`): a subclass that calls this in
   * its constructor and defines `_handoff(taken)` learns exactly once whether its result was
   * taken. `taken` is true when the result reaches the first `then()` consumer (an `await`),
   * false when that consumer gets an error instead: the Future was cancelled or failed, or
   * the awaiting task was cancelled after the result was set and before it resumed (the
   * primitive then passes the wakeup on). A Future nobody has called `then()` on by the time
   * it settles is taken (or not) one loop callback later. This replaces an `async` wrapper
   * around `await fut` (a suspended function, a promise and closures per waiter). With
   * `tellTaken` false, only a result that was not taken is reported.
   */
  _enableHandoff(tellTaken: boolean): void {
    this._flags |= tellTaken ? HANDOFF | TELL_TAKEN : HANDOFF;
  }

  /** @internal See `_enableHandoff`; only subclasses that enable it define it. */
  _handoff?(taken: boolean): void;

  /** @internal Schedules every registered entry on the loop. */
  _schedule(): void {
    if (this._flags & HANDOFF && !(this._flags & CLAIMED)) {
      this._loop._schedule(handoffUnclaimed, this);
    }
    const cb = this._cb;
    if (cb === undefined) return;
    this._cb = undefined;
    const loop = this._loop;
    if (!Array.isArray(cb)) {
      if (typeof cb === 'function') loop._schedule(cb as DoneCallback<unknown>, this);
      else loop._schedule(fireWaiter, cb);
      return;
    }
    for (const e of cb) {
      if (typeof e === 'function') loop._schedule(e as DoneCallback<unknown>, this);
      else loop._schedule(fireWaiter, e);
    }
  }
}

/**
 * Package-internal: One `then()` registration, and the Future `then()` returned (one allocation for
 * both): who awaits (`task`, when inside one) and what to call.
 */
export class Waiter extends Future<unknown> {
  /** Links in the awaiting task's list of ties (hard or weak). */
  tprev: Waiter | undefined = undefined;
  tnext: Waiter | undefined = undefined;
  readonly fut: Future<unknown>;
  readonly task: Task<unknown> | undefined;
  readonly onF: ((v: unknown) => unknown) | undefined | null;
  readonly onR: ((e: unknown) => unknown) | undefined | null;
  constructor(
    fut: Future<unknown>,
    task: Task<unknown> | undefined,
    onF: ((v: unknown) => unknown) | undefined | null,
    onR: ((e: unknown) => unknown) | undefined | null,
  ) {
    super(fut._loop);
    this.fut = fut;
    this.task = task;
    this.onF = onF;
    this.onR = onR;
  }
}

_setFutureCtor(Future as never);

/** Package-internal: True for aiots Futures and foreign thenables. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    x !== null &&
    (typeof x === 'object' || typeof x === 'function') &&
    typeof (x as { then?: unknown }).then === 'function'
  );
}

/** Package-internal: Turns an awaitable into a Future of `loop`, or throws a TypeError naming `what`. */
export function toFuture<T>(x: PromiseLike<T> | Future<T>, what: string, loop?: Loop): Future<T> {
  if (x instanceof Future) return x;
  if (!isThenable(x)) {
    throw new TypeError(`${what} expected a Task, Future or promise, got ${describe(x)}`);
  }
  const fut = new Future<T>(loop ?? getLoop());
  fut._adopt(x);
  return fut;
}
