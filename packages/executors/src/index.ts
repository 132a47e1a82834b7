export type { ErrorClass } from './error-decode.ts';
export {
  BrokenWorkerError,
  ClosureError,
  DataCloneError,
  ExecutorShutdownError,
  JobExportError,
  JobModuleError,
  RemoteError,
} from './errors.ts';
export type { Executor, JobArgs, ShutdownOptions } from './executor.ts';
export type { Job, ModuleJob } from './job.ts';
export type { MapOptions } from './map.ts';
export { type ExecutorStats, PoolExecutor, type PoolOptions } from './pool.ts';
export { ProcessPoolExecutor, type ProcessPoolOptions } from './process-pool.ts';
export { ThreadPoolExecutor, type ThreadPoolOptions } from './thread-pool.ts';
export { toThread } from './to-thread.ts';
export { type Transferred, transfer } from './transfer.ts';
