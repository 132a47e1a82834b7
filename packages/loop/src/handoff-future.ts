/**
 * HandOffFuture: the public face of the hand-off protocol that `Future.then` implements
 * (see `fireWaiter` in future.ts). A primitive that gives something away by settling a
 * waiter's Future (a lock's ownership, permits, a queue item) must learn whether the waiter
 * really took it: the waiter's task can be cancelled after the result was set and before it
 * resumes (bpo-27585, bpo-32734, gh-90155), and then the thing handed over must be passed on
 * or it is lost for good.
 */
import { describe } from './errors.ts';
import { Future } from './future.ts';
import type { Loop } from './loop.ts';

/** Options of `new HandOffFuture()`. */
export interface HandOffOptions {
  /** What `formatTaskTree()` shows for a task waiting on the Future. */
  label?: string | undefined;
  /** The loop the Future belongs to (default: `getLoop()`). */
  loop?: Loop | undefined;
  /**
   * Also report a result that *was* taken (`taken: true`). Default false: only a hand-off
   * that did not reach its waiter is reported, which is all most primitives need.
   */
  reportTaken?: boolean | undefined;
}

/**
 * A Future that tells its primitive, exactly once, whether the waiter took what it was
 * handed. `onHandOff(fut, taken)` runs with `taken === false` when the Future was cancelled
 * or failed, or when it got a result but the task awaiting it was cancelled before it
 * resumed (that task gets `CancelledError` instead): the primitive then passes the result
 * on. With `reportTaken`, it also runs with `true` once the result reached its first
 * consumer (the awaiting task's step comes next). A Future nobody awaited by the time it
 * settles counts as taken (or not) one loop callback later.
 *
 * Return the HandOffFuture itself from the wait (no `async` wrapper around it): an `async`
 * wrapper receives the result before its caller does, and a cancel in between would be
 * invisible to the hook.
 *
 * @example
 * ```ts
 * import { createTask, sleep } from '@aiots/loop';
 * import { HandOffFuture } from '@aiots/loop/lowlevel';
 * const returned: string[] = [];
 * const fut = new HandOffFuture<string>((f, taken) => {
 *   if (!taken && !f.cancelled()) returned.push(f.result());
 * });
 * const waiter = createTask(() => fut);
 * await sleep(1);
 * fut.setResult('token'); // handed over...
 * waiter.cancel(); // ...but the waiter is cancelled before it resumes
 * await waiter.catch(() => {});
 * console.log(returned); // ['token']
 * ```
 */
export class HandOffFuture<T> extends Future<T> {
  readonly #onHandOff: (fut: HandOffFuture<T>, taken: boolean) => void;

  /**
   * @param onHandOff Called once with the outcome (see the class description). It runs
   *   from a loop callback; an exception it throws goes to the loop's exception handler.
   * @param opts `label`, `loop`, `reportTaken`.
   * @throws {TypeError} when `onHandOff` is not a function.
   */
  constructor(onHandOff: (fut: HandOffFuture<T>, taken: boolean) => void, opts?: HandOffOptions) {
    if (typeof onHandOff !== 'function') {
      throw new TypeError(
        `HandOffFuture expected an onHandOff function, got ${describe(onHandOff)}`,
      );
    }
    super(opts?.loop, opts?.label);
    this.#onHandOff = onHandOff;
    this._enableHandoff(opts?.reportTaken === true);
  }

  /** @internal */
  override _handoff(taken: boolean): void {
    this.#onHandOff(this, taken);
  }
}
