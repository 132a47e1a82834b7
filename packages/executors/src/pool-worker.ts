/**
 * PoolWorker: the pool's view of one worker thread or child process: its FIFO of jobs sent
 * and not yet reported, the batch being built, and the flow-control window. Subclasses
 * supply the transport (`post`, `stop`, `kill`, `setRef`).
 */
import type { TransferListItem } from 'node:worker_threads';
import type { JobFuture } from './job-future.ts';

/** Package-internal: True when `argv` (an execArgv) sets the `@aiots/source` condition. */
export function hasSourceCondition(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--conditions=@aiots/source' || a === '-C=@aiots/source') return true;
    if ((a === '--conditions' || a === '-C') && argv[i + 1] === '@aiots/source') return true;
  }
  return false;
}

/** Package-internal: Callbacks a worker makes into its pool. */
export interface WorkerOwner {
  _onMessage(w: PoolWorker, msg: unknown[]): void;
  _onExit(w: PoolWorker, code: number | null, signal: string | null): void;
}

/** Package-internal: */
export abstract class PoolWorker {
  readonly index: number;
  /** Jobs sent and not yet reported, oldest first, from `head`. */
  jobs: (JobFuture<unknown> | undefined)[] = [];
  head = 0;
  nextSeq = 0;
  /** How many jobs may be in flight; grows when jobs prove short. */
  window = 1;
  avgMs = -1;
  /** Job ids whose definition this worker has received. */
  known: boolean[] = [];
  ready = false;
  /** Why the pool is stopping this worker; undefined while it is in service. */
  stopping: 'idle' | 'cancel' | 'shutdown' | 'destroy' | undefined = undefined;
  /** The last job the worker announced with a STARTED marker. */
  startedSeq = -1;
  fatal = false;
  fatalSeq = -1;
  fatalCause: unknown = undefined;
  /** The last 'error' a thread reported (out of memory). */
  error: unknown = undefined;
  idleSince = 0;
  refed = false;
  /** The batch being built: [BATCH, defs, …jobs], its job count, definitions and transfers. */
  out: unknown[] | undefined = undefined;
  outCount = 0;
  defs: unknown[] | undefined = undefined;
  outTransfer: TransferListItem[] | undefined = undefined;

  constructor(index: number) {
    this.index = index;
  }

  get inflight(): number {
    return this.jobs.length - this.head;
  }

  /** Removes and returns the oldest unreported job. */
  shift(): JobFuture<unknown> | undefined {
    const job = this.jobs[this.head];
    this.jobs[this.head++] = undefined;
    if (this.head === this.jobs.length) {
      this.jobs.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.jobs.length) {
      this.jobs = this.jobs.slice(this.head);
      this.head = 0;
    }
    return job;
  }

  /** The job the worker is running (or about to run): the oldest unreported one. */
  peek(): JobFuture<unknown> | undefined {
    return this.jobs[this.head];
  }

  /**
   * The seq of the job the worker is running (-1: none), when the worker shares memory with
   * the pool (threads); undefined when it cannot tell (processes).
   */
  runningSeq(): number | undefined {
    return undefined;
  }

  /** Sends a message; throws a DataCloneError when it cannot be cloned. */
  abstract post(msg: unknown[], transfer?: TransferListItem[]): void;
  /** Asks the worker to exit (it has no jobs). */
  abstract stop(): void;
  /** Ends the worker now, whatever it is doing. */
  abstract kill(): void;
  /** Whether the worker keeps the Node process alive. */
  abstract setRef(on: boolean): void;
  /** Words for error messages: 'worker thread' or 'worker process'. */
  abstract readonly noun: string;
}
