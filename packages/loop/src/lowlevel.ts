/**
 * `@aiots/loop/lowlevel`: what primitives and I/O are built from. `@aiots/sync`,
 * `@aiots/executors`, `@aiots/streams`, `@aiots/http` and `@aiots/redis` use only this and
 * the package's main entry; so can anyone writing a primitive of their own.
 *
 * Where a cancellation is delivered. `task.cancel()` cancels every aiots awaitable the
 * task's code is suspended on (the awaitables its steps chained on: `await x`, `x.then()`,
 * `Promise.all([x, y])`), and each of them rejects into the task with `CancelledError` from
 * a loop callback; the task's step then runs before the loop's next callback, as in
 * asyncio. An await made by a timer or listener callback in the task's context is not a
 * step of the task (see `currentStepTask`) and is never cancelled with it. A task suspended
 * only on a foreign promise gets the cancel at its next aiots await; `task.signal` aborts at
 * once, and `bridge()` turns a foreign operation into an aiots awaitable that a cancel
 * aborts.
 *
 * Why a hand-off cannot be lost. A primitive that gives something away (ownership, a
 * permit, an item, bytes) settles the waiter's Future; the waiter's task can still be
 * cancelled before it resumes (asyncio's lock and queue races, bpo-27585, bpo-32734,
 * gh-90155). The Future's `then` knows which outcome its consumer received, and a
 * `HandOffFuture` reports that outcome to the primitive once: a result the task did not
 * receive comes back (`ParkingLot.onReturned`) to be passed on. A cancelled waiter stops
 * counting at once, so no new waiter queues behind a ghost.
 *
 * @example
 * ```ts
 * import { createTask, sleep } from '@aiots/loop';
 * import { ParkingLot } from '@aiots/loop/lowlevel';
 * const lot = new ParkingLot<number>();
 * const a = createTask(() => lot.park());
 * const b = createTask(() => lot.park());
 * await sleep(1);
 * lot.unpark(1); // handed to a...
 * a.cancel(); // ...which is cancelled before it resumes: 1 goes on to b
 * console.log(await b, a.cancelled()); // 1 true
 * ```
 *
 * @module
 */
export { AbortWatch, signalOf, type WaitOptions } from './abort-watch.ts';
export { type BridgeOptions, bridge } from './bridge.ts';
export { Deque } from './deque.ts';
export { describe, errorKind, isErrorKind } from './errors.ts';
export { HandOffFuture, type HandOffOptions } from './handoff-future.ts';
export {
  ParkingLot,
  type ParkingLotOptions,
  type ParkingLotStats,
} from './parking-lot.ts';
export { currentStepTask } from './task.ts';
