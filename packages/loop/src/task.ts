/**
 * Task: runs an `async` function inside the AsyncLocalStorage context that makes it the
 * current task, and carries asyncio's cancellation state (`cancelling()` counter,
 * must-cancel flag, the awaitables it is suspended on).
 *
 * Ties. Every aiots awaitable that the task's code awaits (or chains on) registers a
 * `Waiter` tied to the task: a cancel cancels every awaitable the task is tied to, which
 * then rejects into the task's code with `CancelledError`. A tie is *hard* when the task's
 * own code made it: the task had no pending hard tie, or was resumed by the loop in this
 * macrotask turn. Otherwise the await comes from a callback (a timer or listener registered
 * inside the task inherits its context) and the tie is *weak*: a cancel leaves it alone,
 * so callbacks never capture the task's cancellation.
 *
 * Absorbed cancels. After `Promise.race([sleep(1000), foreign])` the sleep stays tied though
 * the task moved on. A cancel delivered only to such a stale tie would be lost; when the
 * task shows no sign of having received it (still pending, no new hard tie one turn later),
 * the cancel is re-armed: weak ties are cancelled, else the next cancellation point throws.
 */

import { AsyncResource } from 'node:async_hooks';
import { setImmediate } from 'node:timers';
import { currentEpoch, taskStorage } from './context.ts';
import { CancelledError, InvalidStateError } from './errors.ts';
import {
  CANCELLED,
  cancelTieNow,
  FORCE_CANCEL,
  Future,
  isThenable,
  PENDING,
  REJECTED,
  type Waiter,
  WEAK,
} from './future.ts';
import { _setTaskCtor, getLoop, type Loop } from './loop.ts';

/** Options of `createTask`. */
export interface TaskOptions {
  /** A name for logs and `formatTaskTree()`; default `Task-<n>`. */
  name?: string;
  /** Run the body synchronously up to its first suspension instead of on a later batch. */
  eager?: boolean;
  /** @internal Do not schedule the start; the owner calls `_startSoon()` (TaskGroup limit). */
  [DEFER_START]?: boolean;
}

let nextTaskId = 0;

/**
 * Package-internal. The `TaskOptions` key that creates a task whose owner starts it (a task
 * group with a limit). A symbol, so the option is not part of the public options.
 */
export const DEFER_START: unique symbol = Symbol('aiots.deferStart');

/** Cancel propagation (see `Task.cancel`): nesting depth, the wave's tasks, the queue. */
let cancelDepth = 0;
let cancelRoot: Task<unknown> | undefined;
let cancelWave: Set<Task<unknown>> | undefined;
const cancelQueue: unknown[] = [];
const MAX_CANCEL_DEPTH = 64;
/** The tasks whose `_requestCancel` is running, outermost first (cycle detection). */
const cancelPath: Task<unknown>[] = [];
/** Set by a nested `cancel()` that found its task on `cancelPath`. */
let cycleHit = false;

/** @internal `Future._flags` bit of a Waiter: this task's cancel was sent to its awaitable. */
const CANCEL_SENT = 2048;
/** @internal `Future._flags` bit of a Task: created with `DEFER_START` and not started by its owner. */
const DEFERRED = 4096;

/**
 * Package-internal: A `Future._flags` bit: the Future is waitFor()'s view of a promise, so a cancel
 * of the awaiting task reaches it only when no other awaitable of the task accepted it.
 */
export const CANCEL_LAST = 8;

/** The rarely used state of a Task (see `Task._x`). */
interface TaskExtras {
  cancelMsg: unknown;
  /** Ties a cancel was sent to, when more than one, until each has delivered. */
  sentTo: number;
  inFlight: boolean;
  weakHead: Waiter | undefined;
  ac: AbortController | undefined;
  createdAt: string | undefined;
}

function cancelMessage(msg: unknown): string {
  return msg === undefined || msg === null ? '' : String(msg);
}

/**
 * A running `async` function that can be cancelled at its await points. Create one with
 * `createTask` (or `TaskGroup.createTask`); await it for its result.
 *
 * @example
 * ```ts
 * import { createTask, sleep } from '@aiots/loop';
 * const t = createTask(async () => { await sleep(10); return 'done'; }, { name: 'worker' });
 * console.log(t.getName(), await t); // worker done
 * ```
 */
export class Task<T> extends Future<T> {
  // A Task is made per call, so it keeps few fields: what is rare (cancel state, signal,
  // weak ties, debug data) lives in `_x`, made on first use.
  /** @internal */ _fn: (() => Promise<T>) | undefined;
  /** @internal The name, or until one is asked for, the number in `Task-<n>`. */
  _name: string | number;
  /**
   * @internal The creating task, held weakly: a task must not keep a chain of finished
   * ancestors alive (each task starting its successor would hold every one of them).
   */
  readonly _parentRef: WeakRef<Task<unknown>> | undefined;
  /** @internal Loop time (whole ms) at creation. */
  readonly _createdMs: number;
  /** @internal */ _nCancels = 0;
  /** @internal */ _mustCancel = false;
  /** @internal Hard ties: the awaitables the task's own code is suspended on (a list). */
  _hardHead: Waiter | undefined = undefined;
  /** @internal */ _engaged = -1;
  /** @internal */ _tieSeq = 0;
  /** @internal Links of the loop's list of live tasks. */
  _prev: Task<unknown> | undefined = undefined;
  /** @internal */ _next: Task<unknown> | undefined = undefined;
  /** @internal */ _x: TaskExtras | undefined = undefined;
  /** @internal The creator's AsyncLocalStorage context, until the body starts in it. */
  _ctx: AsyncResource | undefined;

  /** @internal */
  get _cancelMsg(): unknown {
    return this._x?.cancelMsg;
  }
  /** @internal */
  set _cancelMsg(msg: unknown) {
    this._extras().cancelMsg = msg;
  }
  /** @internal A cancel was handed to a tie and not delivered yet. */
  get _inFlight(): boolean {
    return this._x !== undefined && this._x.inFlight;
  }
  /** @internal */
  set _inFlight(v: boolean) {
    if (v || this._x !== undefined) this._extras().inFlight = v;
  }
  /** @internal Weak ties: awaits made in the task's context by callbacks. */
  get _weakHead(): Waiter | undefined {
    return this._x?.weakHead;
  }
  /** @internal */
  set _weakHead(w: Waiter | undefined) {
    if (w !== undefined || this._x !== undefined) this._extras().weakHead = w;
  }
  /** @internal */
  get _ac(): AbortController | undefined {
    return this._x?.ac;
  }
  /** @internal */
  set _ac(ac: AbortController | undefined) {
    if (ac !== undefined || this._x !== undefined) this._extras().ac = ac;
  }
  /** @internal Debug mode: where the task was created. */
  get _createdAt(): string | undefined {
    return this._x?.createdAt;
  }
  /** @internal */
  _extras(): TaskExtras {
    let x = this._x;
    if (x === undefined) {
      x = this._x = {
        cancelMsg: undefined,
        sentTo: 0,
        inFlight: false,
        weakHead: undefined,
        ac: undefined,
        createdAt: undefined,
      };
    }
    return x;
  }

  /** @internal Use `createTask` or `loop.createTask`. */
  constructor(fn: () => Promise<T>, loop?: Loop, opts?: TaskOptions) {
    const l = loop ?? getLoop();
    super(l);
    this._fn = fn;
    this._name = opts?.name ?? ++nextTaskId;
    const parent = taskStorage.getStore();
    this._parentRef =
      parent !== undefined && parent._state === PENDING ? new WeakRef(parent) : undefined;
    this._createdMs = Math.trunc(l._coarseNow);
    // Only a reference to the creator's context (async_hooks users see an 'aiots.Task'
    // resource, destroyed when collected, as Node's own resources are).
    this._ctx = new AsyncResource('aiots.Task');
    if (l.debug) this._extras().createdAt = creationSite();
    const tail = l._tail;
    if (tail === undefined) l._head = this as Task<unknown>;
    else {
      tail._next = this as Task<unknown>;
      this._prev = tail;
    }
    l._tail = this as Task<unknown>;
    l._taskCount++;
    if (opts?.eager) startTask(this as Task<unknown>);
    else if (opts?.[DEFER_START] !== true) l._schedule(startTask, this);
    else this._flags |= DEFERRED;
  }

  /** @internal Schedules the start of a task created with `DEFER_START`. */
  _startSoon(): void {
    this._flags &= ~DEFERRED;
    this._loop._schedule(startTask, this);
  }

  /** @internal True for a `DEFER_START` task its owner has not started (it may be cancelled). */
  get _deferred(): boolean {
    return (this._flags & DEFERRED) !== 0;
  }

  /**
   * @internal Starts a task created with `DEFER_START` now. Only from a loop callback: the body
   * runs as part of that callback, as if it had been scheduled just before it.
   */
  _startNow(): void {
    this._flags &= ~DEFERRED;
    startTask(this as Task<unknown>);
  }

  override get [Symbol.toStringTag](): string {
    return 'Task';
  }

  /** The task's name. */
  getName(): string {
    if (typeof this._name === 'number') this._name = `Task-${this._name}`;
    return this._name;
  }

  /** Renames the task. */
  setName(name: string): void {
    this._name = String(name);
  }

  /**
   * The task that was current when this one was created, if any and still running then. It
   * is held weakly: once that task has finished and nothing else holds it, this returns
   * `undefined`.
   */
  getParent(): Task<unknown> | undefined {
    return this._parentRef?.deref();
  }

  /** How many cancel requests are pending (`cancel()` calls not matched by `uncancel()`). */
  cancelling(): number {
    return this._nCancels;
  }

  /**
   * Withdraws one cancel request and returns how many remain. At zero, a cancel that was
   * requested but not yet delivered is dropped and `signal` is replaced by a fresh one.
   */
  uncancel(): number {
    if (this._state !== PENDING) return this._nCancels;
    if (this._nCancels > 0) {
      this._nCancels--;
      if (this._nCancels === 0) {
        this._mustCancel = false;
        this._inFlight = false;
        if (this._ac?.signal.aborted) this._ac = undefined;
      }
    }
    return this._nCancels;
  }

  /**
   * An `AbortSignal` aborted (with a `CancelledError`) as soon as a cancel is requested, for
   * handing to foreign APIs such as `fetch`. Once `cancelling()` is back to zero, a fresh,
   * unaborted signal is returned.
   */
  get signal(): AbortSignal {
    let ac = this._ac;
    if (ac === undefined) {
      ac = this._ac = new AbortController();
      if (this._nCancels > 0 && this._state === PENDING) {
        ac.abort(new CancelledError(cancelMessage(this._cancelMsg)));
      }
    }
    return ac.signal;
  }

  /**
   * Requests cancellation: the task gets `CancelledError(msg)` at the awaitable it is
   * suspended on (or at its next cancellation point), and `signal` aborts now. A task that
   * has not started yet (including a task-group child still waiting for a slot) is done on
   * the next loop callback, without running its body.
   *
   * The cancel propagates to what the task awaits, and from there on (a task awaiting a
   * task awaiting a task...) without recursion, so chains of any length and tasks awaiting
   * each other in a cycle are cancelled once each.
   * @returns true while the task is pending (on every call), false once it is done.
   */
  override cancel(msg?: unknown): boolean {
    this._markRetrieved();
    if (this._state !== PENDING) return false;
    if (cancelDepth > 0) {
      // Reached from another task's cancel: once per task in this wave, and past a depth,
      // queued instead of recursing.
      const self = this as Task<unknown>;
      if (cancelWave === undefined) cancelWave = new Set([cancelRoot as Task<unknown>]);
      const wave = cancelWave;
      if (wave.has(self)) {
        // Being cancelled further up this very propagation: the tasks await each other in
        // a cycle, and the awaiter must get its CancelledError itself (see _requestCancel).
        // Otherwise (two awaiters of one task) the task's own ending reaches both.
        if (cancelPath.includes(self)) cycleHit = true;
        return true;
      }
      wave.add(self);
      if (cancelDepth >= MAX_CANCEL_DEPTH) {
        cancelQueue.push(self, msg);
        return true;
      }
      cancelDepth++;
      cancelPath.push(self);
      try {
        this._requestCancel(msg);
      } finally {
        cancelPath.pop();
        cancelDepth--;
      }
      return true;
    }
    cancelRoot = this as Task<unknown>;
    cancelDepth = 1;
    cancelPath.push(this as Task<unknown>);
    try {
      this._requestCancel(msg);
      // Tasks queued below the depth limit, each with its own propagation (which may queue
      // more): the order differs from the recursive one only for such deep chains.
      for (let i = 0; i < cancelQueue.length; i += 2) {
        const t = cancelQueue[i] as Task<unknown>;
        const m = cancelQueue[i + 1];
        cancelQueue[i] = cancelQueue[i + 1] = undefined;
        if (t._state !== PENDING) continue;
        cancelPath.length = 0;
        cancelPath.push(t);
        t._requestCancel(m);
      }
    } finally {
      cancelPath.length = 0;
      cycleHit = false;
      cancelQueue.length = 0;
      cancelDepth = 0;
      cancelWave = undefined;
      cancelRoot = undefined;
    }
    return true;
  }

  /** @internal One task's part of a cancel: count it, abort the signal, cancel the ties. */
  _requestCancel(msg: unknown): void {
    this._nCancels++;
    this._cancelMsg = msg;
    const ac = this._ac;
    if (ac !== undefined && !ac.signal.aborted) {
      ac.abort(new CancelledError(cancelMessage(msg)));
    }
    if (this._hardHead !== undefined) {
      let accepted = 0;
      let last = false;
      let cycle: Waiter[] | undefined;
      // Cancelling schedules deliveries but never unlinks synchronously, so walking is safe.
      for (let w: Waiter | undefined = this._hardHead; w !== undefined; w = w.tnext) {
        if (w.fut._flags & CANCEL_LAST) last = true;
        else if (w.fut.cancel(msg)) {
          if (cycleHit) {
            // The awaited task awaits this one (a cycle): neither would ever finish, so this
            // await gets its CancelledError now.
            cycleHit = false;
            if (cycle === undefined) cycle = [w];
            else cycle.push(w);
            continue;
          }
          accepted++;
          w._flags |= CANCEL_SENT;
        }
      }
      if (cycle !== undefined) {
        for (const w of cycle) {
          this._unlink(w);
          cancelTieNow(w);
        }
        if (accepted === 0) {
          this._mustCancel = true;
          return;
        }
      }
      if (accepted > 0) {
        this._inFlight = true;
        // Suspended on several aiots awaitables at once: the task awaits a combinator over
        // them (Promise.all, allSettled, race, any). When all of them have settled, the
        // cancel is re-armed, as asyncio raises CancelledError in a task whose gather was
        // cancelled (bpo-32684): allSettled would otherwise swallow it.
        if (accepted > 1) this._extras().sentTo = accepted;
        return;
      }
      // Only waitFor()'s view of a promise took nothing yet: the promise may run inline in
      // this task and tie its own await later in this turn (an await is registered a few
      // microtasks after the code reaches it). That await gets the cancel; if none comes,
      // the view is cancelled at the end of the turn (a foreign promise times out then).
      if (last) setImmediate(cancelLast, this);
    }
    this._mustCancel = true;
    // A task that has not started is settled by its start; a task-group child still waiting
    // for a slot has no start scheduled, so schedule it now.
    if (this._flags & DEFERRED) this._loop._schedule(startTask, this);
  }

  /** Tasks are completed by their function. @throws InvalidStateError always. */
  override setResult(value: T): void {
    void value;
    throw new InvalidStateError('Task does not support setResult()');
  }

  /** Tasks are completed by their function. @throws InvalidStateError always. */
  override setException(exception: unknown): void {
    void exception;
    throw new InvalidStateError('Task does not support setException()');
  }

  /** Descriptions of the awaitables the task is suspended on (for introspection). */
  waitingOn(): string[] {
    const out: string[] = [];
    const add = (w: Waiter | undefined) => {
      if (w !== undefined) out.push(describeAwaitable(w.fut));
    };
    for (let w = this._hardHead; w !== undefined; w = w.tnext) add(w);
    return out;
  }

  override toString(): string {
    let state = ['pending', 'finished', 'finished', 'cancelled'][this._state] as string;
    if (this._state === PENDING && this._nCancels > 0) state = 'cancelling';
    return `<Task ${state} name=${JSON.stringify(this.getName())}>`;
  }

  // ---- internals -------------------------------------------------------------------------

  /**
   * @internal Registers `w` (an await inside this task). Returns true when the await must
   * get `CancelledError` at once (a cancel was requested while the task had nothing to
   * cancel) instead of waiting.
   */
  _tie(w: Waiter): boolean {
    const e = currentEpoch();
    if (this._hardHead === undefined || this._engaged === e) {
      this._engaged = e;
      if (this._mustCancel) {
        if (w.fut._flags & CANCEL_LAST) {
          // waitFor()'s view of a promise: leave the cancel to the promise's own awaits.
          setImmediate(cancelLast, this);
        } else {
          this._mustCancel = false;
          // A cancel requested while the task ran to this await cancels what it awaits, as
          // asyncio's __step does when _must_cancel is set as the coroutine yields a future
          // (bpo-23219: a waitFor cancelled in the turn it started must cancel its inner task).
          if (w.fut.cancel(this._cancelMsg)) {
            this._inFlight = true;
          } else {
            w._flags |= FORCE_CANCEL;
            return true;
          }
        }
      }
      this._tieSeq++;
      this._addHard(w);
      return false;
    }
    w._flags |= WEAK;
    const head = this._weakHead;
    if (head !== undefined) {
      head.tprev = w;
      w.tnext = head;
    }
    this._weakHead = w;
    return false;
  }

  /** @internal */
  _addHard(w: Waiter): void {
    const head = this._hardHead;
    if (head !== undefined) {
      head.tprev = w;
      w.tnext = head;
    }
    this._hardHead = w;
  }

  /** @internal */
  _unlink(w: Waiter): void {
    const prev = w.tprev;
    const next = w.tnext;
    if (prev !== undefined) prev.tnext = next;
    else if (this._hardHead === w) this._hardHead = next;
    else if (this._weakHead === w) this._weakHead = next;
    if (next !== undefined) next.tprev = prev;
    w.tprev = w.tnext = undefined;
  }

  /**
   * @internal A tie of this task is being settled. Returns the CancelledError to deliver
   * instead of the awaitable's outcome, when a cancel is pending.
   */
  _delivered(w: Waiter, cancelled: boolean): CancelledError | undefined {
    const flags = w._flags;
    if (flags & WEAK) {
      this._unlink(w);
      return undefined;
    }
    if (!(flags & FORCE_CANCEL)) this._unlink(w);
    this._engaged = currentEpoch();
    // Debug mode: this task's step runs in the microtasks after this callback; the loop
    // times it until its next chunk (see Loop.#runOnce).
    if (this._loop.debug) this._loop._stepTask = this as Task<unknown>;
    let err: CancelledError | undefined;
    // waitFor()'s view of a promise that settled before the pending cancel reached it: the
    // outcome is delivered (a lock acquired or an item taken through that promise must not
    // be dropped, as CPython's wait_for does not drop it), and the cancel stays pending for
    // the task's next cancellation point.
    const keep = !cancelled && (w.fut._flags & CANCEL_LAST) !== 0;
    if (flags & FORCE_CANCEL || (this._mustCancel && !keep)) {
      this._mustCancel = false;
      err = new CancelledError(cancelMessage(this._cancelMsg));
      cancelled = true;
    }
    if (flags & CANCEL_SENT) {
      const x = this._x as TaskExtras;
      if (x.sentTo > 0 && --x.sentTo === 0 && this._nCancels > 0) this._mustCancel = true;
    }
    if (this._inFlight) {
      this._inFlight = false;
      if (cancelled) setImmediate(checkAbsorbed, this, this._tieSeq);
      else if (this._nCancels > 0 && !(w.fut instanceof Task)) {
        // A Future that accepted the cancel and settles only when its operation stops (an
        // executor job, a bridged foreign call) delivered a result after all: the result is
        // not dropped, and the cancel stays pending for the next cancellation point. (A Task
        // that swallowed the cancel and returned is asyncio's case: the cancel is spent.)
        // It stays in flight only while another await of this task holds it; waitFor()'s
        // view of an inline promise was never sent it, and would wait for that promise
        // (which goes on polling) forever: the cancel goes to the task's next await.
        if (sentElsewhere(this._hardHead)) this._inFlight = true;
        else {
          this._mustCancel = true;
          if (this._hardHead !== undefined) setImmediate(cancelLast, this);
        }
      }
    }
    return err;
  }

  /** @internal */
  _onResult(value: unknown): void {
    if (this._state !== PENDING) return;
    if (this._mustCancel) {
      this._mustCancel = false;
      this._settleCancelled(new CancelledError(cancelMessage(this._cancelMsg)));
      return;
    }
    this._release();
    this._resolve(value);
  }

  /** @internal */
  _onError(exception: unknown): void {
    if (this._state !== PENDING) return;
    if (CancelledError.is(exception)) {
      this._settleCancelled(exception);
      return;
    }
    const cause = abortCause(exception);
    if (cause !== undefined && this._nCancels > 0) {
      // A Node API handed `task.signal` (timers/promises, events.once, fs, streams) rejects
      // with an AbortError whose cause is the CancelledError the cancel aborted it with: the
      // task ends cancelled, as it would at an aiots await, not failed.
      this._settleCancelled(cause);
      return;
    }
    this._release();
    this._state = REJECTED;
    this._value = exception;
    this._track(exception, true);
    this._schedule();
  }

  /** @internal */
  _settleCancelled(err: CancelledError): void {
    this._release();
    this._state = CANCELLED;
    this._value = err;
    this._schedule();
  }

  /** @internal Drops the bookkeeping of a task that is finishing. */
  _release(): void {
    const loop = this._loop;
    const prev = this._prev;
    const next = this._next;
    if (prev === undefined) {
      if (loop._head === (this as Task<unknown>)) loop._head = next;
    } else prev._next = next;
    if (next === undefined) {
      if (loop._tail === (this as Task<unknown>)) loop._tail = prev;
    } else next._prev = prev;
    this._prev = this._next = undefined;
    loop._taskCount--;
    this._hardHead = undefined;
    this._weakHead = undefined;
    this._fn = undefined;
    this._ctx = undefined;
  }
}

_setTaskCtor(Task as never);

/** The CancelledError behind an `AbortError` raised by an aborted `task.signal`, if any. */
function abortCause(e: unknown): CancelledError | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as { name?: unknown; cause?: unknown };
  return err.name === 'AbortError' && CancelledError.is(err.cause) ? err.cause : undefined;
}

/** True when an await in the list was sent the task's cancel and has not settled yet. */
function sentElsewhere(head: Waiter | undefined): boolean {
  for (let w = head; w !== undefined; w = w.tnext) {
    if (w._flags & CANCEL_SENT) return true; // never set on waitFor()'s view (CANCEL_LAST)
  }
  return false;
}

/**
 * A cancel reached only waitFor()'s view of a promise (`CANCEL_LAST`) and, one turn later,
 * nothing else of the task has taken it: the promise awaits nothing of ours (a foreign
 * promise), so the view is cancelled and waitFor times out.
 */
function cancelLast(task: Task<unknown>): void {
  if (task._state !== PENDING || !task._mustCancel) return;
  let accepted = false;
  for (let w = task._hardHead; w !== undefined; w = w.tnext) {
    if (w.fut._flags & CANCEL_LAST && w.fut.cancel(task._cancelMsg)) accepted = true;
  }
  if (accepted) {
    task._mustCancel = false;
    task._inFlight = true;
  }
}

function checkAbsorbed(task: Task<unknown>, seq: number): void {
  if (
    task._state !== PENDING ||
    task._tieSeq !== seq ||
    task._nCancels === 0 ||
    task._hardHead !== undefined ||
    task._mustCancel
  ) {
    return;
  }
  if (task._weakHead !== undefined) {
    let accepted = false;
    let w: Waiter | undefined = task._weakHead;
    task._weakHead = undefined;
    while (w !== undefined) {
      const next: Waiter | undefined = w.tnext;
      w.tprev = w.tnext = undefined;
      w._flags &= ~WEAK;
      task._addHard(w);
      if (w.fut.cancel(task._cancelMsg)) accepted = true;
      w = next;
    }
    task._tieSeq++;
    if (accepted) {
      task._inFlight = true;
      return;
    }
  }
  task._mustCancel = true;
  if (task._loop.debug) {
    process.emitWarning(
      `${task.toString()} was cancelled, but the cancel reached only awaitables it was no longer waiting on (for example a sleep left behind by Promise.race). It will be delivered at the task's next aiots await. Use wait(), waitFor() or timeout() instead of Promise.race over aiots awaitables.`,
      { type: 'AiotsCancelAbsorbedWarning', code: 'AIOTS_CANCEL_ABSORBED' },
    );
  }
}

function startTask(task: Task<unknown>): void {
  // Already started: a queued group child can be started by its group and by a cancel.
  if (task._state !== PENDING || task._ctx === undefined) return;
  if (task._mustCancel) {
    task._mustCancel = false;
    task._settleCancelled(new CancelledError(cancelMessage(task._cancelMsg)));
    return;
  }
  // Scheduled by a cancel that was withdrawn (`uncancel()`) before this ran: the task is
  // still queued with its owner (a task group with a limit), which starts it in its slot.
  if (task._flags & DEFERRED) return;
  task._engaged = currentEpoch();
  const ctx = task._ctx as AsyncResource;
  task._ctx = undefined;
  // The body runs in the context the task was created in, with the task as the current
  // store (asyncio copies the creator's contextvars into a task). `enterWith` inside
  // `runInAsyncScope` builds one context frame; `runInAsyncScope` then puts back the exact
  // frame it found. (`taskStorage.run` would build a second frame just to restore.)
  ctx.runInAsyncScope(enterBody, undefined, task);
}

function enterBody(task: Task<unknown>): void {
  taskStorage.enterWith(task);
  runBody(task);
}

function runBody(task: Task<unknown>): void {
  const fn = task._fn as () => Promise<unknown>;
  let p: unknown;
  try {
    p = fn();
  } catch (e) {
    task._onError(e);
    return;
  }
  if (p instanceof Promise) {
    // Shared handlers, no closures per task: a native reaction runs in the context in which
    // `then` was called, where the task is the current store.
    p.then(bodyFulfilled, bodyRejected);
  } else if (isThenable(p)) {
    // An aiots Future (or foreign thenable) calls back from the loop, outside the task.
    p.then(
      (v) => task._onResult(v),
      (e) => task._onError(e),
    );
  } else {
    task._onResult(p);
  }
}

function bodyFulfilled(value: unknown): void {
  (taskStorage.getStore() as Task<unknown>)._onResult(value);
}

function bodyRejected(error: unknown): void {
  (taskStorage.getStore() as Task<unknown>)._onError(error);
}

function creationSite(): string {
  const stack = new Error().stack ?? '';
  return stack
    .split('\n')
    .slice(1)
    .filter((l) => !l.includes('/packages/loop/') && !l.includes('@aiots/loop'))
    .slice(0, 6)
    .join('\n');
}

/** Package-internal: */
export function describeAwaitable(fut: Future<unknown>): string {
  if (fut instanceof Task) return `task ${JSON.stringify(fut.getName())}`;
  return (fut as { _description?: string })._description ?? fut._label ?? 'future';
}

/**
 * Runs `fn()` in a new Task on the current loop (the default loop outside `run()`). The body
 * starts on a later turn, in creation order; a task cancelled before then never runs it. It
 * runs in the AsyncLocalStorage context of this call, with the new task as `currentTask()`.
 *
 * @param fn an async function (its promise is the task's outcome).
 * @throws {TypeError} when `fn` is not a function.
 * @example
 * ```ts
 * import { createTask } from '@aiots/loop';
 * const t = createTask(async () => 21 * 2);
 * console.log(await t); // 42
 * ```
 */
export function createTask<T>(fn: () => Promise<T>, opts?: TaskOptions): Task<T> {
  return getLoop().createTask(fn, opts);
}

/**
 * The task whose step is running now, or `undefined`: outside any task, and also inside a
 * timer or listener callback that a task registered (Node runs such a callback in the
 * task's AsyncLocalStorage context, so `currentTask()` names the task there). A step is
 * the task's own code, run because the loop resumed it; code that must act for the task
 * (adopt it as a parent, cancel it on a deadline, tie a wait to it) asks this, so that a
 * callback never captures the cancellation of the task that happened to register it.
 *
 * The test is the one every await uses to decide whether it belongs to the task: the task
 * is not suspended on an aiots awaitable, or was resumed by the loop in this macrotask
 * turn. A callback that runs while the task is suspended on a foreign promise only is
 * indistinguishable from the task's own code, and counts as a step.
 *
 * @returns The task, or `undefined`.
 * @example
 * ```ts
 * import { createTask, currentTask, getRunningLoop } from '@aiots/loop';
 * import { currentStepTask } from '@aiots/loop/lowlevel';
 * const t = createTask(async () => {
 *   const fired = getRunningLoop().createFuture<unknown[]>();
 *   setTimeout(() => fired.setResult([currentTask()?.getName(), currentStepTask()]), 1);
 *   const inCallback = await fired;
 *   return [currentStepTask()?.getName(), ...inCallback];
 * }, { name: 'A' });
 * console.log(await t); // [ 'A', 'A', undefined ]
 * ```
 */
export function currentStepTask(): Task<unknown> | undefined {
  const t = taskStorage.getStore();
  if (t === undefined || t._state !== PENDING) return undefined;
  return t._hardHead === undefined || t._engaged === currentEpoch() ? t : undefined;
}

/**
 * The task whose code is running, or `undefined` outside any task.
 *
 * @example
 * ```ts
 * import { createTask, currentTask } from '@aiots/loop';
 * const t = createTask(async () => currentTask()?.getName(), { name: 'me' });
 * console.log(await t); // me
 * ```
 */
export function currentTask(): Task<unknown> | undefined {
  const t = taskStorage.getStore();
  return t !== undefined && t._state === PENDING ? t : undefined;
}

/**
 * The tasks of the current loop that are not done yet.
 *
 * @example
 * ```ts
 * import { allTasks, createTask, sleep } from '@aiots/loop';
 * const t = createTask(() => sleep(10));
 * console.log(allTasks().has(t)); // true
 * await t;
 * ```
 */
export function allTasks(): Set<Task<unknown>> {
  return new Set(getLoop()._liveTasks());
}
