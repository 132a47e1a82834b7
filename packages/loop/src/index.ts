export { type Clock, RealClock, VirtualClock } from './clock.ts';
export {
  AiotsError,
  CancelledError,
  InvalidStateError,
  TaskGroupError,
  TimeoutError,
} from './errors.ts';
export { Future } from './future.ts';
export { type Awaitable, type GatherResults, GatheringFuture, gather } from './gather.ts';
export { formatTaskTree } from './introspect.ts';
export {
  type ExceptionContext,
  type ExceptionHandler,
  type Executor,
  Handle,
  Loop,
  type LoopOptions,
  type TaskFactory,
  TimerHandle,
  getLoop,
  getRunningLoop,
  setDefaultExecutorFactory,
} from './loop.ts';
export { type RunOptions, run, runMain } from './run.ts';
export { shield } from './shield.ts';
export { checkpoint, sleep } from './sleep.ts';
export { Task, type TaskOptions, allTasks, createTask, currentTask } from './task.ts';
export { TaskGroup, type TaskGroupOptions, taskGroup } from './task-group.ts';
export { Timeout, timeout, timeoutAt, waitFor } from './timeout.ts';
export {
  ALL_COMPLETED,
  type AsCompleted,
  asCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type ReturnWhen,
  wait,
} from './wait.ts';
