/**
 * Ambient state shared by the loop modules: the AsyncLocalStorage that carries the current
 * task, and the "epoch" that tells one macrotask turn from the next.
 *
 * Why an epoch: Node propagates the AsyncLocalStorage context into timers and listeners that
 * a task registers, so code in such a callback looks like the task's own code. A task's own
 * code can only run again when something resumes it; when it is parked on an aiots awaitable
 * registered in an earlier turn and nothing has resumed it in this turn, a new await in its
 * context comes from a callback, and is tied weakly (see `Task._tie`).
 */
// Node's own timers, not the globals: test frameworks' fake timers (`vi.useFakeTimers()`)
// replace the globals, and the loop must keep running on real ones (fake time is what
// `VirtualClock` is for). The same goes for every module of the loop.

import { AsyncLocalStorage } from 'node:async_hooks';
import { setImmediate, setTimeout } from 'node:timers';
import type { Task } from './task.ts';

/** @internal The current task rides here. */
export const taskStorage = new AsyncLocalStorage<Task<unknown>>();

type Runner = <A extends unknown[], R>(fn: (...args: A) => R, ...args: A) => R;
// The context this module was evaluated in: `taskStorage` did not exist yet, so no task is
// current there. (Tasks do not start from it: each starts in its creator's context.)
const rootRunner = AsyncLocalStorage.snapshot() as unknown as Runner;

/**
 * @internal Runs `fn(...args)` in a context where no task is current. Loop batches and the
 * Node timers the loop arms are started through it, so loop callbacks never run as part of
 * the task that happened to schedule them. Cheaper than `taskStorage.exit()`, which builds a
 * new context frame on every call; this one only switches to a frame made once.
 */
export function inRoot<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  return rootRunner(fn, ...args);
}

let epoch = 0;
let bumpScheduled = false;
let bumpTimerPending = false;

function bump(): void {
  epoch++;
  bumpScheduled = false;
}

function bumpFromTimer(): void {
  bumpTimerPending = false;
  bump();
}

/** @internal A number that changes once per macrotask turn in which it was read. */
export function currentEpoch(): number {
  if (!bumpScheduled) {
    bumpScheduled = true;
    setImmediate(bump).unref();
    // An immediate queued while Node is in its check phase (a turn started by setImmediate,
    // as virtual-time jumps and yielding batches are) runs only in the next iteration's
    // check phase, after that iteration's timers: a `setTimeout(cb, 0)` set in this turn
    // would run in the same epoch and be tied to the task as if it were the task's own
    // code. A 0 ms timer made now fires before any timer made after it, so the epoch
    // changes before such callbacks run.
    if (!bumpTimerPending) {
      bumpTimerPending = true;
      setTimeout(bumpFromTimer, 0).unref();
    }
  }
  return epoch;
}
