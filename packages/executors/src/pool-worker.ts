/**
 * PoolWorker: the pool's view of one worker thread or child process: its FIFO of jobs sent
 * and not yet reported, the batch being built, and the flow-control window. Subclasses
 * supply the transport (`post`, `stop`, `kill`, `setRef`).
 */
import type { TransferListItem } from 'node:worker_threads';
import type { JobFuture } from './job-future.ts';

/** Job functions a worker keeps (see `PoolWorker.slotOf`). */
export const MAX_SLOTS = 256;

/** True when `argv` (an execArgv) sets the `@aiots/source` condition. */
export function hasSourceCondition(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--conditions=@aiots/source' || a === '-C=@aiots/source') return true;
    if ((a === '--conditions' || a === '-C') && argv[i + 1] === '@aiots/source') return true;
  }
  return false;
}

/** Callbacks a worker makes into its pool. */
export interface WorkerOwner {
  onWorkerMessage(w: PoolWorker, msg: unknown[]): void;
  onWorkerExit(w: PoolWorker, code: number | null, signal: string | null): void;
}

export abstract class PoolWorker {
  readonly index: number;
  /** Jobs sent and not yet reported, oldest first, from `head`. */
  jobs: (JobFuture<unknown> | undefined)[] = [];
  head = 0;
  nextSeq = 0;
  /** How many jobs may be in flight; grows when jobs prove short. */
  window = 1;
  avgMs = -1;
  /** How long sending a job to this worker took lately (ms, average); -1 before the first. */
  sendMs = -1;
  /**
   * The worker's table of job functions, in slots: a job names its function by slot, and a
   * definition is sent with the first job that uses a slot. The table is bounded: past
   * `MAX_SLOTS`, a new function takes the slot least recently used, but only a slot no
   * unreported job uses (the worker replaces the slot's function when the definition
   * arrives, and every job sent before has run by then). Should every slot be in use, the
   * table grows, so it holds at most `MAX_SLOTS` plus the jobs in flight.
   */
  slotOf = new Map<number, number>();
  /** Slot → id of the job spec it holds. */
  slotSpec: number[] = [];
  /** Slot → seq of the last job sent with it. */
  slotLastSeq: number[] = [];
  /** The spec and slot of the last job assigned (a map or a loop submits one function). */
  lastSpecId = -1;
  lastSlot = -1;
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

  /** The seq of the oldest unreported job, or the next seq when none is. */
  oldestUnreported(): number {
    const job = this.jobs[this.head];
    return job === undefined ? this.nextSeq : job.seq;
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
