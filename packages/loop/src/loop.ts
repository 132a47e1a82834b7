/**
 * The event loop: a FIFO ready queue and a timer heap driven on top of Node's own event loop.
 *
 * This file is one unit because the ready queue, the timers and the idle/virtual-time logic
 * share one invariant: a batch runs exactly the callbacks that were ready when it started
 * (asyncio's `_run_once`), callbacks scheduled during a batch wait for the next one, and
 * timers due at the start of a batch run after the callbacks already queued.
 *
 * Batches run in a microtask so that awaiting a done Future costs one batch, not one Node
 * macrotask; after `YIELD_EVERY_MS` of back-to-back batches the next one goes through
 * `setImmediate`, so a task spinning on `sleep(0)` cannot starve Node's I/O.
 */

import { performance } from 'node:perf_hooks';
import { clearTimeout, setImmediate, setTimeout } from 'node:timers';
import { type Clock, RealClock } from './clock.ts';
import { inRoot, taskStorage } from './context.ts';
import { checkMs, describe, InvalidStateError } from './errors.ts';
import type { Future } from './future.ts';
import { TimerQueue } from './heap.ts';
import type { Task, TaskOptions } from './task.ts';

const YIELD_EVERY_MS = 4;
const MAX_NODE_DELAY = 2 ** 31 - 1;
const IDLE_SPINS = 2;
/**
 * A batch runs this many callbacks (twice the number: a function and its argument each),
 * then lets the microtasks they queued run before it goes on.
 */
const CHUNK = 128 * 2;

/** What the loop's exception handler receives. */
export interface ExceptionContext {
  message: string;
  exception?: unknown;
  task?: Task<unknown>;
  future?: Future<unknown>;
  handle?: Handle;
  [key: string]: unknown;
}

/** A loop exception handler, as set by `loop.setExceptionHandler`. */
export type ExceptionHandler = (context: ExceptionContext, loop: Loop) => void;

/** A task factory, as set by `loop.setTaskFactory`. */
export type TaskFactory = <T>(loop: Loop, fn: () => Promise<T>, opts?: TaskOptions) => Task<T>;

/**
 * What `loop.runInExecutor` needs; `@aiots/executors` implements it with thread and process
 * pools.
 */
export interface Executor {
  submit<A extends unknown[], R>(job: (...args: A) => R | Promise<R>, ...args: A): Future<R>;
  shutdown(opts?: { wait?: boolean; cancelFutures?: boolean }): Promise<void>;
}

let defaultExecutorFactory: (() => Executor) | undefined;

/**
 * Registers what `runInExecutor(null, …)` creates when a loop has no default executor yet.
 * `@aiots/executors` calls this when imported.
 *
 * @example
 * ```ts
 * import { type Executor, Future, getLoop, setDefaultExecutorFactory } from '@aiots/loop';
 * // Runs each job on the spot; `@aiots/executors` registers a thread pool instead.
 * const inline: Executor = {
 *   submit: (job, ...args) => Future.from(job(...args)),
 *   shutdown: async () => {},
 * };
 * setDefaultExecutorFactory(() => inline);
 * console.log(await getLoop().runInExecutor(null, (a: number, b: number) => a + b, 2, 3)); // 5
 * ```
 */
export function setDefaultExecutorFactory(factory: (() => Executor) | undefined): void {
  if (factory !== undefined && typeof factory !== 'function') {
    throw new TypeError(`Expected a function or undefined, got ${describe(factory)}`);
  }
  defaultExecutorFactory = factory;
}

/**
 * A callback scheduled with `callSoon`; `cancel()` stops it from running.
 *
 * @example
 * ```ts
 * import { getLoop } from '@aiots/loop';
 * const h = getLoop().callSoon(() => console.log('never printed'));
 * h.cancel();
 * console.log(h.cancelled()); // true
 * ```
 */
export class Handle {
  /** @internal */ _cancelled = false;
  /** @internal */ readonly _cb: (...args: unknown[]) => unknown;
  /** @internal */ readonly _args: unknown[];

  /** @internal */
  constructor(cb: (...args: unknown[]) => unknown, args: unknown[]) {
    this._cb = cb;
    this._args = args;
  }

  /** Stops the callback from running; does nothing if it already ran. */
  cancel(): void {
    this._cancelled = true;
  }

  /** True once `cancel()` was called. */
  cancelled(): boolean {
    return this._cancelled;
  }

  toString(): string {
    return `<Handle ${this._cb.name || 'anonymous'}${this._cancelled ? ' cancelled' : ''}>`;
  }
}

let timerSeq = 0;

/**
 * A callback scheduled with `callLater` or `callAt`.
 *
 * @example
 * ```ts
 * import { getLoop } from '@aiots/loop';
 * const loop = getLoop();
 * const h = loop.callLater(1_000, () => console.log('never printed'));
 * console.log(h.when() - loop.time() > 900); // true
 * h.cancel();
 * ```
 */
export class TimerHandle extends Handle {
  /** @internal */ readonly _when: number;
  /** @internal */ readonly _seq = timerSeq++;
  /** @internal */ readonly _loop: Loop;

  /** @internal */
  constructor(loop: Loop, when: number, cb: (...args: unknown[]) => unknown, args: unknown[]) {
    super(cb, args);
    this._loop = loop;
    this._when = when;
  }

  /** The loop time (ms) at which the callback is due. */
  when(): number {
    return this._when;
  }

  /** @internal False once the handle left the loop's timer queue (it ran, or was dropped). */
  _queued = true;

  override cancel(): void {
    if (!this._cancelled) {
      this._cancelled = true;
      // A handle that already ran is not in the queue any more: it must not count there.
      if (this._queued) this._loop._timerCancelled();
    }
  }

  override toString(): string {
    const name = this._cb.name || 'anonymous';
    return `<TimerHandle when=${Math.round(this._when * 1000) / 1000} ${name}${this._cancelled ? ' cancelled' : ''}>`;
  }
}

const resolved = Promise.resolve();

/**
 * Package-internal: Runs `fn` in a microtask, in the current context. A reaction on a settled native promise
 * costs a fraction of Node's `queueMicrotask`, which builds an AsyncResource per call.
 */
export function microtask(fn: () => void): void {
  resolved.then(fn);
}

/** Debug mode: what a slow callback was, for the warning. */
function describeCallback(fn: (arg: unknown) => void, arg: unknown): string {
  if (arg instanceof Handle) return arg.toString();
  // A task's first step runs inside the callback that starts it.
  if (
    arg !== null &&
    typeof arg === 'object' &&
    typeof (arg as { getName?: unknown }).getName === 'function'
  ) {
    return String(arg);
  }
  return `<callback ${fn.name || 'anonymous'}>`;
}

function runHandle(h: Handle): void {
  if (!h._cancelled) h._cb(...h._args);
}

/** @internal The loop running the current batch, if any. */
let batchLoop: Loop | undefined;

/**
 * Set by a callback that delivered an awaited result to a task (`endChunkAfterCallback`):
 * the batch stops after that callback, so the task's step (the microtasks the delivery
 * queued) runs before the next callback, as in asyncio. Otherwise a later callback would
 * see the task as resumed before its code ran, and a cancel sent by a task resumed earlier
 * in the same batch would come too late to turn the delivery into the `CancelledError`
 * asyncio gives.
 */
let endChunk = false;

/** Package-internal: See `endChunk`. */
export function endChunkAfterCallback(): void {
  endChunk = true;
}

const liveLoops = new Set<WeakRef<Loop>>();
// A loop dropped without being closed leaves the set when it is collected.
const loopGone = new FinalizationRegistry<WeakRef<Loop>>((ref) => liveLoops.delete(ref));

/** Options of `new Loop()`. */
export interface LoopOptions {
  clock?: Clock;
  debug?: boolean;
}

/**
 * An event loop. Most code never makes one: `run()` makes one for its lifetime, and outside
 * `run()` a default loop on Node's own event loop serves (`getLoop()`).
 *
 * @example
 * ```ts
 * import { getLoop } from '@aiots/loop';
 * const loop = getLoop();
 * loop.callSoon(() => console.log('soon')); // soon
 * loop.callLater(5, () => console.log('later')); // later
 * ```
 */
export class Loop {
  /** The clock this loop reads its time from. */
  readonly clock: Clock;
  /** Debug mode: slow task steps are logged and task creation sites recorded. */
  debug: boolean;
  /** In debug mode, task steps that block longer than this (ms) are logged. */
  slowCallbackDurationMs = 100;

  /** @internal Head and tail of the intrusive list of tasks that are not done. */
  _head: Task<unknown> | undefined = undefined;
  /** @internal */ _tail: Task<unknown> | undefined = undefined;
  /** @internal */ _taskCount = 0;
  /** @internal Loop time at the start of the latest batch (task ages, cheaply). */
  _coarseNow = 0;
  /** @internal Debug mode: the task the last callback resumed, whose step is being timed. */
  _stepTask: Task<unknown> | undefined = undefined;
  #stepFrom = 0;
  // The ready queue: functions and their arguments, interleaved. `#readyN` is its length;
  // the array keeps its storage from batch to batch (slots are cleared to undefined), which
  // spares a reallocation on the first push of every batch.
  #ready: unknown[] = [];
  #readyN = 0;
  #spare: unknown[] = [];
  #batchN = 0;
  /** The batch being run, when it is run in chunks; `#batchPos` is where it stopped. */
  #batch: unknown[] | undefined = undefined;
  #batchPos = 0;
  #scheduled = false;
  #running = false;
  #batchStart = 0;
  #microBatches = 0;
  #idleSpins = 0;
  #timers = new TimerQueue<TimerHandle>();
  #cancelledTimers = 0;
  #nodeTimer: ReturnType<typeof setTimeout> | undefined;
  #nodeTimerWhen = Number.POSITIVE_INFINITY;
  #idlePending = false;
  #closed = false;
  /** This loop's entry in `liveLoops`, removed when it closes. */
  readonly #ref: WeakRef<Loop>;
  #exceptionHandler: ExceptionHandler | null = null;
  #taskFactory: TaskFactory | null = null;
  #defaultExecutor: Executor | undefined;
  /** @internal */ readonly _unretrieved = new Set<UnretrievedRecord>();

  constructor(opts: LoopOptions = {}) {
    this.clock = opts.clock ?? new RealClock();
    this._coarseNow = this.clock.now();
    this.debug = opts.debug ?? process.env.AIOTS_DEBUG === '1';
    this.#ref = new WeakRef(this);
    liveLoops.add(this.#ref);
    loopGone.register(this, this.#ref, this.#ref);
  }

  /** Monotonic time of this loop's clock, in milliseconds. */
  time(): number {
    return this.clock.now();
  }

  /** True once the loop has been closed (by `run()` when its main settles). */
  isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Schedules `cb(...args)` to run on a later batch, FIFO with other `callSoon` callbacks and
   * before timers that become due.
   */
  callSoon<A extends unknown[]>(cb: (...args: A) => unknown, ...args: A): Handle {
    checkCallback(cb, 'callSoon');
    const h = new Handle(cb as (...a: unknown[]) => unknown, args);
    this._schedule(runHandle as (arg: unknown) => void, h);
    return h;
  }

  /** Schedules `cb(...args)` to run `delayMs` from now (a negative delay is already due). */
  callLater<A extends unknown[]>(
    delayMs: number,
    cb: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    checkMs(delayMs, 'delayMs', 'callLater()');
    checkCallback(cb, 'callLater');
    return this._callAt(this.time() + delayMs, cb as (...a: unknown[]) => unknown, args);
  }

  /** Schedules `cb(...args)` to run when `loop.time()` reaches `whenMs`. */
  callAt<A extends unknown[]>(
    whenMs: number,
    cb: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    checkMs(whenMs, 'whenMs', 'callAt()');
    checkCallback(cb, 'callAt');
    return this._callAt(whenMs, cb as (...a: unknown[]) => unknown, args);
  }

  /** Creates a pending Future bound to this loop. */
  createFuture<T>(opts?: { label?: string }): Future<T> {
    return new FutureCtor<T>(this, opts?.label);
  }

  /**
   * Wraps `fn()` in a Task that starts on a later batch (or at once with `eager: true`),
   * using the task factory when one is set.
   */
  createTask<T>(fn: () => Promise<T>, opts?: TaskOptions): Task<T> {
    if (typeof fn !== 'function') {
      throw new TypeError(
        `createTask() expected a function that returns a promise, got ${describe(fn)}`,
      );
    }
    if (this.#closed) throw new InvalidStateError('Event loop is closed');
    const factory = this.#taskFactory;
    if (factory !== null) {
      const task = factory(this, fn, opts);
      if (opts?.name !== undefined) task.setName(opts.name);
      return task;
    }
    return new TaskCtor<T>(fn, this, opts);
  }

  /** Sets the handler called for errors nobody else can receive; `null` restores the default. */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== 'function') {
      throw new TypeError(`Expected a function or null, got ${describe(handler)}`);
    }
    this.#exceptionHandler = handler;
  }

  /** The handler set with `setExceptionHandler`, or `null`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  /**
   * Reports an error nobody else can receive. A handler that throws is itself reported by the
   * default handler, so reporting never throws.
   */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this.#exceptionHandler;
    if (handler === null) {
      this.defaultExceptionHandler(context);
      return;
    }
    try {
      handler(context, this);
    } catch (exception) {
      try {
        this.defaultExceptionHandler({
          message: 'Unhandled error in exception handler',
          exception,
          context,
        });
      } catch {
        // The default handler only writes to stderr; nothing left to report to.
      }
    }
  }

  /** Writes `context` to stderr, with the exception's stack. */
  defaultExceptionHandler(context: ExceptionContext): void {
    const lines = [context.message];
    const { exception, task, future } = context;
    const subject = task ?? future;
    if (subject) lines.push(`  ${subject.toString()}`);
    const created = (subject as { _createdAt?: string } | undefined)?._createdAt;
    if (created) lines.push(`  created at:\n${created}`);
    if (exception !== undefined) {
      const e = exception as { stack?: string };
      lines.push(typeof e?.stack === 'string' ? e.stack : String(exception));
    }
    process.stderr.write(`${lines.join('\n')}\n`);
  }

  /** Sets the function that `createTask` uses to make tasks; `null` restores the default. */
  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null && typeof factory !== 'function') {
      throw new TypeError(`Expected a task factory function or null, got ${describe(factory)}`);
    }
    this.#taskFactory = factory;
  }

  /** The factory set with `setTaskFactory`, or `null`. */
  getTaskFactory(): TaskFactory | null {
    return this.#taskFactory;
  }

  /**
   * Runs `fn(...args)` on `executor`, or on the loop's default executor when `executor` is
   * `null` (a thread pool from `@aiots/executors`, created on first use).
   */
  runInExecutor<A extends unknown[], R>(
    executor: Executor | null,
    fn: (...args: A) => R | Promise<R>,
    ...args: A
  ): Future<R> {
    if (typeof fn !== 'function' && (typeof fn !== 'object' || fn === null)) {
      throw new TypeError(`runInExecutor() expected a job function, got ${describe(fn)}`);
    }
    const ex = executor ?? this.#getDefaultExecutor();
    return ex.submit(fn, ...args);
  }

  /** Sets the executor `runInExecutor(null, …)` uses. */
  setDefaultExecutor(executor: Executor): void {
    if (
      typeof executor !== 'object' ||
      executor === null ||
      typeof executor.submit !== 'function' ||
      typeof executor.shutdown !== 'function'
    ) {
      throw new TypeError(
        `Expected an executor with submit() and shutdown(), got ${describe(executor)}`,
      );
    }
    this.#defaultExecutor = executor;
  }

  /** Shuts the default executor down (waiting for its jobs), if one was created. */
  async shutdownDefaultExecutor(): Promise<void> {
    const ex = this.#defaultExecutor;
    this.#defaultExecutor = undefined;
    if (ex !== undefined) await ex.shutdown({ wait: true });
  }

  #getDefaultExecutor(): Executor {
    if (this.#defaultExecutor === undefined) {
      if (defaultExecutorFactory === undefined) {
        throw new InvalidStateError(
          'This loop has no default executor: import "@aiots/executors" (it provides a thread pool) or call loop.setDefaultExecutor(executor)',
        );
      }
      this.#defaultExecutor = defaultExecutorFactory();
    }
    return this.#defaultExecutor;
  }

  /**
   * Closes the loop: reports failed futures whose exception was never retrieved and stops its
   * timers. `run()` calls this; closing twice does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    liveLoops.delete(this.#ref);
    loopGone.unregister(this.#ref);
    for (const rec of this._unretrieved) reportUnretrieved(rec, rec.ref.deref());
    this._unretrieved.clear();
    if (this.#nodeTimer !== undefined) clearTimeout(this.#nodeTimer);
    this.#nodeTimer = undefined;
    this.#timers.clear();
    this.#ready = [];
    this.#readyN = 0;
    this.#batch = undefined;
  }

  // ---- internals -------------------------------------------------------------------------

  /** @internal Queues `fn(arg)` for the next batch. The fast path for the package itself. */
  _schedule(fn: (arg: never) => void, arg: unknown): void {
    if (this.#closed) throw new InvalidStateError('Event loop is closed');
    const r = this.#ready;
    const k = this.#readyN;
    r[k] = fn;
    r[k + 1] = arg;
    this.#readyN = k + 2;
    if (!this.#scheduled && !this.#running) {
      this.#scheduled = true;
      inRoot(microtask, this.#runOnce);
    }
  }

  /** @internal */
  _callAt(when: number, cb: (...args: unknown[]) => unknown, args: unknown[]): TimerHandle {
    if (this.#closed) throw new InvalidStateError('Event loop is closed');
    const h = new TimerHandle(this, when, cb, args);
    this.#timers.push(h);
    if (!this.#running && !this.#scheduled) this.#armTimer();
    return h;
  }

  /** @internal */
  _timerCancelled(): void {
    this.#cancelledTimers++;
    const n = this.#timers.size;
    if (this.#cancelledTimers === n) {
      // Every queued timer is cancelled: drop them and disarm the Node timer, which would
      // otherwise keep the process alive until the old deadline.
      for (const h of this.#timers.items) h._queued = false;
      this.#timers.clear();
      this.#cancelledTimers = 0;
      if (this.#nodeTimer !== undefined) {
        clearTimeout(this.#nodeTimer);
        this.#nodeTimer = undefined;
        this.#nodeTimerWhen = Number.POSITIVE_INFINITY;
      }
    } else if (n > 100 && this.#cancelledTimers * 2 > n) {
      this.#timers.filter((h) => {
        if (h._cancelled) h._queued = false;
        return !h._cancelled;
      });
      this.#cancelledTimers = 0;
    }
  }

  /** @internal The tasks that are not done, oldest first. */
  _liveTasks(): Task<unknown>[] {
    const out: Task<unknown>[] = [];
    for (let t = this._head; t !== undefined; t = t._next) out.push(t);
    return out;
  }

  /** @internal Number of live timers (for introspection and tests). */
  _timerCount(): number {
    let n = 0;
    for (const h of this.#timers.items) if (!h._cancelled) n++;
    return n;
  }

  readonly #drainFromMacrotask = (): void => {
    this.#batchStart = performance.now();
    this._coarseNow = this.clock.now();
    this.#scheduled = false;
    if (!this.#running) this.#runOnce();
  };

  readonly #runOnce = (): void => {
    this.#scheduled = false;
    if (this.#closed) return;
    if (this.#readyN === 0 && this.#batch === undefined && this.#timers.size === 0 && !this.debug) {
      // An idle spin (see #afterBatch) that found nothing to run, as most of them do between
      // the awaits of a task: no batch to swap in or clear.
      this.#afterBatch();
      return;
    }
    this.#running = true;
    const prev = batchLoop;
    batchLoop = this;
    let q = this.#batch;
    try {
      if (q === undefined) {
        if (this.#readyN > 0) this.#idleSpins = 0;
        if (this.#timers.size > 0) this.#collectDueTimers();
        q = this.#batch = this.#ready;
        this.#batchN = this.#readyN;
        this.#ready = this.#spare;
        this.#readyN = 0;
        this.#batchPos = 0;
      }
      const n = this.#batchN;
      const start = this.#batchPos;
      let i = start;
      if (this.debug) {
        // One callback a chunk, so that a task it resumes runs its step (in the microtasks
        // queued by the callback) before the next chunk, which times it.
        this.#endStep();
      }
      if (this.debug && i < n) {
        const end = i + 2;
        const fn = q[i] as (arg: unknown) => void;
        const arg = q[i + 1];
        const t0 = performance.now();
        try {
          fn(arg);
        } catch (exception) {
          this.#callbackFailed(fn, arg, exception);
        }
        const t1 = performance.now();
        if (t1 - t0 > this.slowCallbackDurationMs)
          this.#warnSlow(describeCallback(fn, arg), t1 - t0);
        this.#stepFrom = t1;
        endChunk = false; // every callback ends a chunk in debug mode
        i = end;
      } else {
        const end = i + CHUNK < n ? i + CHUNK : n;
        for (; i < end; i += 2) {
          const fn = q[i] as (arg: unknown) => void;
          try {
            fn(q[i + 1]);
          } catch (exception) {
            this.#callbackFailed(fn, q[i + 1], exception);
          }
          if (endChunk) {
            endChunk = false;
            i += 2;
            break;
          }
        }
      }
      // Clear what ran (a loop for the usual short batch: cheaper than a call to fill()).
      if (i - start <= 32) for (let j = start; j < i; j++) q[j] = undefined;
      else q.fill(undefined, start, i);
      if (i < n) {
        // Finish the batch after the microtasks this chunk queued (the steps of the tasks it
        // resumed): a task's step runs before the next callback, as in asyncio, and what a
        // large batch leaves behind is freed as it goes instead of piling up.
        this.#batchPos = i;
        this.#scheduled = true;
        microtask(this.#runOnce);
        return;
      }
      // Keep the storage for the next batch, unless a burst left it much larger than needed.
      this.#spare = q.length > 4096 && n * 4 < q.length ? [] : q;
      this.#batch = undefined;
      // Debug mode: time the step of the task the last callback resumed, even if no batch
      // follows.
      if (this._stepTask !== undefined) microtask(this.#endStep);
    } finally {
      batchLoop = prev;
      this.#running = false;
    }
    this.#afterBatch();
  };

  /** Debug mode: the step of the task the last callback resumed ended; warn if it was slow. */
  readonly #endStep = (): void => {
    const task = this._stepTask;
    if (task === undefined) return;
    this._stepTask = undefined;
    const took = performance.now() - this.#stepFrom;
    if (took > this.slowCallbackDurationMs) this.#warnSlow(task.toString(), took, task._createdAt);
  };

  #warnSlow(what: string, tookMs: number, createdAt?: string): void {
    const where = createdAt ? `\n  created at:\n${createdAt}` : '';
    process.emitWarning(`Executing ${what} took ${(tookMs / 1000).toFixed(3)} seconds${where}`, {
      type: 'AiotsSlowCallbackWarning',
      code: 'AIOTS_SLOW_STEP',
    });
  }

  #callbackFailed(fn: (arg: unknown) => void, arg: unknown, exception: unknown): void {
    const handle = arg instanceof Handle ? arg : undefined;
    const name = handle ? handle._cb.name || 'anonymous' : fn.name || 'anonymous';
    this.callExceptionHandler({
      message: `Exception in callback ${name}`,
      exception,
      ...(handle ? { handle } : {}),
    });
  }

  #afterBatch(): void {
    if (this.#closed) return;
    if (this.#readyN > 0) {
      if (!this.#scheduled) {
        this.#scheduled = true;
        // Reading the clock every batch costs more than a batch; look every 64.
        if ((++this.#microBatches & 63) === 0) {
          const now = performance.now();
          if (this.#batchStart === 0) this.#batchStart = now;
          else if (now - this.#batchStart > YIELD_EVERY_MS) {
            this.#batchStart = 0;
            setImmediate(this.#drainFromMacrotask);
            return;
          }
        }
        // We run in the root context here, so the microtask inherits it.
        microtask(this.#runOnce);
      }
      return;
    }
    // Stay scheduled for a few empty batches: a task resumed by this batch usually awaits
    // again a couple of microtasks later, and finding a batch already queued spares it the
    // cost of scheduling one from inside its own context (see inRoot).
    if (this.#idleSpins < IDLE_SPINS) {
      this.#idleSpins++;
      this.#scheduled = true;
      microtask(this.#runOnce);
      return;
    }
    this.#batchStart = 0;
    this.#armTimer();
  }

  #collectDueTimers(): void {
    const heap = this.#timers;
    const now = this.clock.now();
    this._coarseNow = now;
    for (;;) {
      const top = heap.peek();
      if (top === undefined || top._when > now) break;
      heap.pop();
      top._queued = false;
      if (top._cancelled) {
        this.#cancelledTimers--;
        continue;
      }
      const r = this.#ready;
      const k = this.#readyN;
      r[k] = runHandle;
      r[k + 1] = top;
      this.#readyN = k + 2;
    }
  }

  #armTimer(): void {
    const heap = this.#timers;
    let top = heap.peek();
    while (top?._cancelled) {
      heap.pop();
      top._queued = false;
      this.#cancelledTimers--;
      top = heap.peek();
    }
    if (top === undefined) {
      if (this.#nodeTimer !== undefined) {
        clearTimeout(this.#nodeTimer);
        this.#nodeTimer = undefined;
        this.#nodeTimerWhen = Number.POSITIVE_INFINITY;
      }
      return;
    }
    if (this.clock.virtual) {
      this.#scheduleVirtualJump();
      return;
    }
    const when = top._when;
    if (when <= this.clock.now()) {
      // Already due (callLater(0), or a timer that came due while the batch ran).
      this.#scheduled = true;
      inRoot(setImmediate, this.#drainFromMacrotask);
      return;
    }
    if (this.#nodeTimer !== undefined && this.#nodeTimerWhen <= when) return;
    if (this.#nodeTimer !== undefined) clearTimeout(this.#nodeTimer);
    const delay = Math.min(MAX_NODE_DELAY, Math.max(0, Math.ceil(when - this.clock.now())));
    this.#nodeTimerWhen = when;
    this.#nodeTimer = inRoot(setTimeout, this.#onNodeTimer, delay);
  }

  readonly #onNodeTimer = (): void => {
    this.#nodeTimer = undefined;
    this.#nodeTimerWhen = Number.POSITIVE_INFINITY;
    if (this.#scheduled || this.#running) return;
    const top = this.#timers.peek();
    if (top !== undefined && top._when > this.clock.now()) {
      // Node timers have millisecond granularity; we woke a little early.
      this.#armTimer();
      return;
    }
    this.#scheduled = true;
    this.#drainFromMacrotask();
  };

  #scheduleVirtualJump(): void {
    if (this.#idlePending) return;
    this.#idlePending = true;
    const threshold = this.clock.autojumpThresholdMs;
    if (threshold > 0) inRoot(setTimeout, this.#virtualJump, threshold);
    else inRoot(setImmediate, this.#virtualJump);
  }

  readonly #virtualJump = (): void => {
    this.#idlePending = false;
    if (this.#closed || this.#scheduled || this.#running || this.#readyN > 0) return;
    let top = this.#timers.peek();
    while (top?._cancelled) {
      this.#timers.pop();
      top._queued = false;
      this.#cancelledTimers--;
      top = this.#timers.peek();
    }
    if (top === undefined) return;
    this.clock.advanceTo(top._when);
    this.#scheduled = true;
    this.#drainFromMacrotask();
  };
}

function checkCallback(cb: unknown, where: string): void {
  if (typeof cb !== 'function') {
    throw new TypeError(`${where}() expected a callback function, got ${describe(cb)}`);
  }
}

// ---- never-retrieved exceptions -----------------------------------------------------------

/** Package-internal: */
export interface UnretrievedRecord {
  loop: Loop;
  exception: unknown;
  isTask: boolean;
  description: string;
  createdAt: string | undefined;
  ref: WeakRef<Future<unknown>>;
}

function reportUnretrieved(rec: UnretrievedRecord, fut: Future<unknown> | undefined): void {
  const message = rec.isTask
    ? 'Task exception was never retrieved'
    : 'Future exception was never retrieved';
  const context: ExceptionContext = { message, exception: rec.exception };
  if (fut !== undefined) {
    context.future = fut;
    if (rec.isTask) context.task = fut as Task<unknown>;
  } else {
    context.description = rec.description;
  }
  if (rec.createdAt !== undefined) context.createdAt = rec.createdAt;
  rec.loop.callExceptionHandler(context);
}

const finalizer = new FinalizationRegistry<UnretrievedRecord>((rec) => {
  if (!rec.loop._unretrieved.delete(rec)) return;
  reportUnretrieved(rec, undefined);
});

let exitHook = false;

/**
 * At process exit, failures nobody retrieved on loops that were never closed (the default
 * loop never is) are reported: a fire-and-forget task that failed outside `run()` is not
 * lost just because no garbage collection came. Reported, not thrown: the exit code stays.
 */
function reportAtExit(): void {
  for (const ref of liveLoops) {
    const loop = ref.deref();
    if (loop === undefined || loop.isClosed()) continue;
    for (const rec of loop._unretrieved) reportUnretrieved(rec, rec.ref.deref());
    loop._unretrieved.clear();
  }
}

/** Package-internal: Called when a future fails and nobody has asked for its exception yet. */
export function trackUnretrieved(fut: Future<unknown>, exception: unknown, isTask: boolean): void {
  const loop = fut._loop;
  if (!exitHook) {
    exitHook = true;
    process.once('exit', reportAtExit);
  }
  const rec: UnretrievedRecord = {
    loop,
    exception,
    isTask,
    description: fut.toString(),
    createdAt: (fut as { _createdAt?: string })._createdAt,
    ref: new WeakRef(fut),
  };
  loop._unretrieved.add(rec);
  unretrievedOf.set(fut, rec);
  finalizer.register(fut, rec, rec);
}

/** Package-internal: The exception of `fut` was retrieved after all. */
export function untrackUnretrieved(fut: Future<unknown>): void {
  const rec = unretrievedOf.get(fut);
  if (rec === undefined) return;
  unretrievedOf.delete(fut);
  rec.loop._unretrieved.delete(rec);
  finalizer.unregister(rec);
}

const unretrievedOf = new WeakMap<Future<unknown>, UnretrievedRecord>();

// ---- which loop ---------------------------------------------------------------------------

let defaultLoop: Loop | undefined;

/**
 * The loop of the current task, or of the callback being run, or else the default loop on
 * Node's own event loop (created on first use). Never throws.
 *
 * @example
 * ```ts
 * import { getLoop } from '@aiots/loop';
 * console.log(typeof getLoop().time()); // 'number'
 * ```
 */
export function getLoop(): Loop {
  const task = taskStorage.getStore();
  if (task !== undefined && !task._loop.isClosed()) return task._loop;
  if (batchLoop !== undefined) return batchLoop;
  if (defaultLoop === undefined || defaultLoop.isClosed()) defaultLoop = new Loop();
  return defaultLoop;
}

/**
 * The loop running the current task or callback.
 *
 * @throws {InvalidStateError} when called outside any task or loop callback.
 * @example
 * ```ts
 * import { getRunningLoop, run } from '@aiots/loop';
 * await run(async () => console.log(getRunningLoop().time() >= 0)); // true
 * ```
 */
export function getRunningLoop(): Loop {
  const task = taskStorage.getStore();
  if (task !== undefined && task._state === 0) return task._loop;
  if (batchLoop !== undefined) return batchLoop;
  throw new InvalidStateError('no running event loop');
}

/** Package-internal: Every loop not yet garbage-collected (for the task tree). */
export function allLoops(): Loop[] {
  const out: Loop[] = [];
  for (const ref of liveLoops) {
    const loop = ref.deref();
    if (loop === undefined || loop.isClosed()) liveLoops.delete(ref);
    else out.push(loop);
  }
  return out;
}

// Set by future.ts and task.ts, which import this module: Loop.createFuture and
// Loop.createTask need their classes, and a static import back would be a cycle.
let FutureCtor: new <T>(loop: Loop, label?: string) => Future<T>;
let TaskCtor: new <T>(fn: () => Promise<T>, loop: Loop, opts?: TaskOptions) => Task<T>;
/** Package-internal: */
export function _setFutureCtor(ctor: typeof FutureCtor): void {
  FutureCtor = ctor;
}
/** Package-internal: */
export function _setTaskCtor(ctor: typeof TaskCtor): void {
  TaskCtor = ctor;
}
