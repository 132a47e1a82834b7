/**
 * TaskGroup: structured concurrency with asyncio 3.13's semantics (taskgroups.py), plus
 * `cancel()` (CPython main, gh-108951) and a `limit` for bounded fan-out.
 *
 * The parent's `cancelling()` counter is kept balanced exactly as CPython does: the group
 * cancels its parent once on the first child failure and uncancels it on exit, so an outside
 * cancel is never swallowed (gh-116720) and a handled group error leaves `cancelling()` at 0.
 */
import { CancelledError, describe, InvalidStateError, TaskGroupError } from './errors.ts';
import { Future, PENDING, REJECTED } from './future.ts';
import type { Loop } from './loop.ts';
import { createTask, currentStepTask, DEFER_START, type Task, type TaskOptions } from './task.ts';

const DEFER: TaskOptions = { [DEFER_START]: true };

/** Options of `taskGroup`. */
export interface TaskGroupOptions {
  /**
   * At most this many children run at once; the rest start in creation order as slots free.
   * Default: no limit.
   */
  limit?: number;
}

/**
 * A group of child tasks that all finish before `taskGroup` returns. Get one from
 * `taskGroup(async (tg) => …)`.
 *
 * @example
 * ```ts
 * import { type Task, sleep, taskGroup } from '@aiots/loop';
 * const children: Task<string>[] = [];
 * await taskGroup(async (tg) => {
 *   children.push(tg.createTask(() => sleep(20, 'a')), tg.createTask(() => sleep(10, 'b')));
 *   console.log(tg.size); // 2
 * });
 * // taskGroup returned, so every child is done.
 * console.log(children.map((t) => t.result())); // ['a', 'b']
 * ```
 */
export class TaskGroup {
  #entered = false;
  #exiting = false;
  #aborting = false;
  #cancelRequested = false;
  #loop: Loop | undefined;
  #parent: Task<unknown> | undefined;
  #parentCancelRequested = false;
  // Children not done yet: a count; the started ones in an array (for #abort, which skips
  // the done ones), compacted as it fills with done ones so that they can be collected; the
  // ones waiting for a slot (with `limit`) in #queue. A Set's delete on every finished child
  // cost more than all the rest of a limited group's bookkeeping.
  #pending = 0;
  #children: Task<unknown>[] = [];
  #errors: unknown[] = [];
  #onCompleted: Future<boolean> | undefined;
  readonly #limit: number;
  #running = 0;
  #queue: Task<unknown>[] = [];
  #queueHead = 0;

  constructor(opts: TaskGroupOptions = {}) {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    if (typeof limit !== 'number') {
      throw new TypeError(`Expected \`limit\` to be a number, got ${describe(limit)}`);
    }
    if (!(limit >= 1) || (limit !== Number.POSITIVE_INFINITY && !Number.isInteger(limit))) {
      throw new RangeError(
        `Expected \`limit\` to be an integer from 1 and up, got ${describe(limit)}`,
      );
    }
    this.#limit = limit;
  }

  /**
   * Starts `fn` as a child task of the group (with `limit`, queued until a slot frees).
   * @throws {InvalidStateError} outside `taskGroup()`'s body, after the group finished, or
   * while it is shutting down after a failure.
   */
  createTask<T>(fn: () => Promise<T>, opts?: TaskOptions): Task<T> {
    if (!this.#entered) {
      throw new InvalidStateError(
        'TaskGroup has not been entered: get one from taskGroup(async (tg) => { ... })',
      );
    }
    if (this.#exiting && this.#pending === 0) throw new InvalidStateError('TaskGroup is finished');
    if (this.#aborting) throw new InvalidStateError('TaskGroup is shutting down');
    if (typeof fn !== 'function') {
      throw new TypeError(
        `TaskGroup.createTask() expected a function that returns a promise, got ${describe(fn)}`,
      );
    }
    const loop = this.#loop as Loop;
    let task: Task<T>;
    if (this.#running < this.#limit) {
      this.#running++;
      task = loop.createTask(fn, opts);
      this.#pending++;
      if (task._state !== PENDING) {
        this.#onTaskDone(task as Task<unknown>);
        return task;
      }
      this.#started(task as Task<unknown>);
    } else {
      task = loop.createTask(fn, opts === undefined ? DEFER : { ...opts, [DEFER_START]: true });
      this.#queue.push(task as Task<unknown>);
      this.#pending++;
    }
    task._addEntry(this.#onTaskDone as never);
    return task;
  }

  /** Records a child that has started (or is scheduled to), for #abort. */
  #started(task: Task<unknown>): void {
    const children = this.#children;
    // A long-lived group (a server's, or one with a limit working through many children)
    // must not keep the children that are done.
    if (children.length > 1024 && children.length > 4 * this.#running) {
      this.#children = children.filter((t) => t._state === PENDING);
    }
    this.#children.push(task);
  }

  /**
   * Cancels the group: every child that is not done and the body. `taskGroup` then returns
   * `undefined` without throwing `CancelledError` (unless a child failed).
   */
  cancel(): void {
    if (!this.#entered || (this.#exiting && this.#pending === 0)) return;
    this.#cancelRequested = true;
    if (!this.#aborting) this.#abort();
    if (!this.#exiting && !this.#parentCancelRequested) {
      this.#parentCancelRequested = true;
      (this.#parent as Task<unknown>).cancel();
    }
  }

  /** Number of children not done yet. */
  get size(): number {
    return this.#pending;
  }

  toString(): string {
    const info: string[] = [];
    if (this.#pending) info.push(`tasks=${this.#pending}`);
    if (this.#errors.length) info.push(`errors=${this.#errors.length}`);
    if (this.#aborting) info.push('cancelling');
    else if (this.#entered) info.push('entered');
    return `<TaskGroup${info.length ? ` ${info.join(' ')}` : ''}>`;
  }

  /** @internal */
  _enter(parent: Task<unknown>): void {
    if (this.#entered) throw new InvalidStateError('TaskGroup has already been entered');
    this.#entered = true;
    this.#parent = parent;
    this.#loop = parent._loop;
  }

  /** @internal asyncio's `__aexit__`. */
  async _exit(failed: boolean, exc: unknown): Promise<void> {
    this.#exiting = true;
    const parent = this.#parent as Task<unknown>;
    let propagate: unknown = failed && CancelledError.is(exc) ? exc : undefined;
    if (failed && !this.#aborting) this.#abort();
    while (this.#pending > 0) {
      this.#onCompleted = new Future<boolean>(this.#loop, 'TaskGroup children');
      try {
        await this.#onCompleted;
      } catch (e) {
        if (CancelledError.is(e) && !this.#aborting) {
          propagate = e;
          this.#abort();
        }
      }
      this.#onCompleted = undefined;
    }
    if (this.#parentCancelRequested && parent.uncancel() === 0) propagate = undefined;
    if (propagate !== undefined && this.#errors.length === 0) throw propagate;
    if (failed && !CancelledError.is(exc)) this.#errors.push(exc);
    if (this.#errors.length > 0) {
      if (parent.cancelling() > 0) {
        // "Un-cancel and re-cancel": keep an outside cancel pending for the parent.
        parent.uncancel();
        parent.cancel();
      }
      const errors = this.#errors;
      this.#errors = [];
      throw new TaskGroupError(errors);
    }
  }

  /** @internal */
  get _cancelRequested(): boolean {
    return this.#cancelRequested;
  }

  #abort(): void {
    this.#aborting = true;
    for (const t of this.#children) if (t._state === PENDING) t.cancel();
    // Queued children are cancelled before they start: cancelling one schedules its start,
    // which settles it without running its body.
    const q = this.#queue;
    for (let i = this.#queueHead; i < q.length; i++) (q[i] as Task<unknown>).cancel();
    this.#queue = [];
    this.#queueHead = 0;
  }

  readonly #onTaskDone = (task: Task<unknown>): void => {
    this.#pending--;
    const onCompleted = this.#onCompleted;
    if (onCompleted !== undefined && this.#pending === 0 && onCompleted._state === PENDING) {
      onCompleted._resolve(true);
    }
    if (task._state === REJECTED) this.#childFailed(task);
    // A queued child cancelled before it got a slot (it stays in the queue, skipped below)
    // frees no slot.
    if (task._deferred) return;
    this.#running--;
    // With a limit: start the next queued child here, in this loop callback (the finished
    // child's done callback), rather than a batch later. After a failure #abort() has
    // emptied the queue, so a queued child never runs its body then.
    while (this.#queueHead < this.#queue.length) {
      const next = this.#queue[this.#queueHead] as Task<unknown>;
      this.#queue[this.#queueHead++] = undefined as never;
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#queueHead);
        this.#queueHead = 0;
      }
      if (next._state !== PENDING) continue;
      this.#running++;
      this.#started(next);
      next._startNow();
      break;
    }
  };

  #childFailed(task: Task<unknown>): void {
    task._markRetrieved();
    const exc = task._value;
    this.#errors.push(exc);
    const parent = this.#parent as Task<unknown>;
    if (parent._state !== PENDING) {
      (this.#loop as Loop).callExceptionHandler({
        message: `Task ${task.toString()} has errored out but its parent task ${parent.toString()} is already completed`,
        exception: exc,
        task,
      });
      return;
    }
    if (!this.#aborting && !this.#parentCancelRequested) {
      this.#abort();
      this.#parentCancelRequested = true;
      parent.cancel();
    }
  }
}

/**
 * Runs `body` with a fresh TaskGroup and waits for every child it starts. The first child
 * failure cancels the other children and the body; then a `TaskGroupError` holding every
 * failure is thrown. A cancel from outside cancels all children and is re-thrown as
 * `CancelledError` once they are done. With `{ limit }`, at most that many children run at
 * once. Outside a task, the body runs in a new task.
 *
 * @returns what `body` returned (`undefined` if the group was stopped with `tg.cancel()`).
 * @throws {TaskGroupError} when the body or a child failed.
 * @example
 * ```ts
 * import { sleep, taskGroup } from '@aiots/loop';
 * const results = await taskGroup(async (tg) => {
 *   const tasks = [1, 2, 3].map((n) => tg.createTask(() => sleep(n, n * 10)));
 *   return () => tasks.map((t) => t.result());
 * }, { limit: 2 });
 * console.log(results()); // [10, 20, 30]
 * ```
 */
export async function taskGroup<T>(
  body: (tg: TaskGroup) => PromiseLike<T>,
  opts?: TaskGroupOptions,
): Promise<T> {
  if (typeof body !== 'function') {
    throw new TypeError(
      `taskGroup() expected a body function (tg) => Promise, got ${describe(body)}`,
    );
  }
  const tg = new TaskGroup(opts);
  const parent = currentStepTask();
  if (parent === undefined)
    return await createTask(() => taskGroup(body, opts), { name: 'taskGroup' });
  tg._enter(parent);
  let result: T | undefined;
  let failed = false;
  let exc: unknown;
  try {
    result = await body(tg);
  } catch (e) {
    failed = true;
    exc = e;
  }
  await tg._exit(failed, exc);
  return result as T;
}
