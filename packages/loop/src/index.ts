/**
 * `@aiots/loop`: asyncio's event loop model for Node.js.
 *
 * Where a cancellation is delivered, and how primitives hand wakeups over without losing
 * them, is explained at the top of `./lowlevel.ts` (the `@aiots/loop/lowlevel` entry), which
 * also exports what other packages build on. The mechanics live in `task.ts` (ties, cancel
 * propagation) and `future.ts` (delivery, hand-off).
 *
 * @module
 */
export { type Clock, RealClock, VirtualClock } from './clock.ts';
export {
  AiotsError,
  CancelledError,
  InvalidStateError,
  TaskGroupError,
  TimeoutError,
} from './errors.ts';
export { Future } from './future.ts';
export { type Awaitable, GatheringFuture, type GatherResults, gather } from './gather.ts';
export { formatTaskTree } from './introspect.ts';
export {
  type ExceptionContext,
  type ExceptionHandler,
  type Executor,
  getLoop,
  getRunningLoop,
  Handle,
  Loop,
  type LoopOptions,
  setDefaultExecutorFactory,
  type TaskFactory,
  TimerHandle,
} from './loop.ts';
export { type RunOptions, run, runMain } from './run.ts';
export { shield } from './shield.ts';
export { checkpoint, sleep } from './sleep.ts';
export { allTasks, createTask, currentTask, Task, type TaskOptions } from './task.ts';
export { TaskGroup, type TaskGroupOptions, taskGroup } from './task-group.ts';
export { Timeout, timeout, timeoutAt, waitFor } from './timeout.ts';
export {
  ALL_COMPLETED,
  type AsCompleted,
  asCompleted,
  type Completed,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type ReturnWhen,
  wait,
} from './wait.ts';
