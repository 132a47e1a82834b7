export { type ErrorClass } from './error-decode.ts';
export {
  BrokenWorkerError,
  ClosureError,
  DataCloneError,
  ExecutorShutdownError,
  JobExportError,
  JobModuleError,
  RemoteError,
} from './errors.ts';
export { type Job, type ModuleJob } from './job.ts';
export { type MapOptions } from './map.ts';
export { type ExecutorStats, type JobArgs, type PoolOptions, PoolExecutor } from './pool.ts';
export { type ProcessPoolOptions, ProcessPoolExecutor } from './process-pool.ts';
export { type ThreadPoolOptions, ThreadPoolExecutor } from './thread-pool.ts';
export { toThread } from './to-thread.ts';
export { type Transferred, transfer } from './transfer.ts';
