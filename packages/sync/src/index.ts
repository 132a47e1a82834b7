export type { WaitOptions } from '@aiots/loop/lowlevel';
export { Barrier, type BarrierState, type BarrierStats } from './barrier.ts';
export { Condition, type ConditionStats } from './condition.ts';
export { BrokenBarrierError, QueueEmpty, QueueFull, QueueShutDown } from './errors.ts';
export { Event, type EventStats } from './event.ts';
export { Lock, type LockStats } from './lock.ts';
export { LifoQueue, PriorityQueue, Queue, type QueueStats } from './queue.ts';
export { BoundedSemaphore, Semaphore, type SemaphoreStats } from './semaphore.ts';
