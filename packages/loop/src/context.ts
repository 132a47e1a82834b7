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
import { createRequire } from 'node:module';
import { setImmediate, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import type { Task } from './task.ts';

/**
 * One copy per process. Two copies of `@aiots/loop` (version skew between packages that
 * each installed their own) each have their own task storage, so a task of one is not a
 * task to the other: a cancel never reaches a wait made through the other copy, and a
 * cancelled task hangs silently. Interoperating through a shared registry would mean
 * freezing every internal protocol across versions; failing at load, naming both copies,
 * is what makes the mistake visible and cheap to fix. The packages built on the loop take
 * it as a peer dependency, so package managers install one copy.
 */
const COPY = Symbol.for('aiots.loop.copy');
interface LoopCopy {
  readonly version: string;
  /** The module file: the sources and the build of one package are two copies too. */
  readonly file: string;
}
const thisCopy: LoopCopy = {
  version: (createRequire(import.meta.url)('../package.json') as { version: string }).version,
  file: fileURLToPath(import.meta.url),
};
const firstCopy = (globalThis as Record<symbol, LoopCopy | undefined>)[COPY];
if (firstCopy !== undefined && firstCopy.file !== thisCopy.file) {
  const err = new Error(
    `Two copies of @aiots/loop are loaded: ${firstCopy.version} at ${firstCopy.file} and ${thisCopy.version} at ${thisCopy.file}. Tasks and cancellation work only with one copy: install a single @aiots/loop (check with \`npm ls @aiots/loop\`, fix with \`npm dedupe\` or matching versions).`,
  );
  Object.assign(err, { name: 'DuplicatePackageError', code: 'AIOTS_DUPLICATE_PACKAGE' });
  throw err;
}
(globalThis as Record<symbol, LoopCopy | undefined>)[COPY] = thisCopy;

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.emitWarning(
    `@aiots/loop needs Node.js 24 or later, this is ${process.version}: before 24, AsyncLocalStorage runs on promise hooks, which make every promise in the process several times slower, and some behaviour differs.`,
    { type: 'AiotsUnsupportedNodeWarning', code: 'AIOTS_UNSUPPORTED_NODE' },
  );
}

/** Package-internal: the current task rides here. */
export const taskStorage = new AsyncLocalStorage<Task<unknown>>();

type Runner = <A extends unknown[], R>(fn: (...args: A) => R, ...args: A) => R;
// The context this module was evaluated in: `taskStorage` did not exist yet, so no task is
// current there. (Tasks do not start from it: each starts in its creator's context.)
const rootRunner = AsyncLocalStorage.snapshot() as unknown as Runner;

/**
 * Package-internal: Runs `fn(...args)` in a context where no task is current. Loop batches and the
 * Node timers the loop arms are started through it, so loop callbacks never run as part of
 * the task that happened to schedule them. Cheaper than `taskStorage.exit()`, which builds a
 * new context frame on every call; this one only switches to a frame made once.
 */
export function inRoot<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  return rootRunner(fn, ...args);
}

let epoch = 0;
// One timer, re-armed with refresh() each time: no allocation and no ref toggling per turn.
// It fires once at start-up, which only bumps the epoch.
const bumpTimer = setTimeout(() => bumpFromTimer(), 0).unref();
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

/** Package-internal: A number that changes once per macrotask turn in which it was read. */
export function currentEpoch(): number {
  if (!bumpScheduled) {
    bumpScheduled = true;
    // Not unref'd: an immediate runs in this iteration of Node's loop anyway, so it cannot
    // keep the process alive, and unref() would cost two native calls per turn.
    setImmediate(bump);
    // An immediate queued while Node is in its check phase (a turn started by setImmediate,
    // as virtual-time jumps and yielding batches are) runs only in the next iteration's
    // check phase, after that iteration's timers: a `setTimeout(cb, 0)` set in this turn
    // would run in the same epoch and be tied to the task as if it were the task's own
    // code. A 0 ms timer made now fires before any timer made after it, so the epoch
    // changes before such callbacks run.
    if (!bumpTimerPending) {
      bumpTimerPending = true;
      bumpTimer.refresh();
    }
  }
  return epoch;
}
