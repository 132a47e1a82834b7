/**
 * JobFuture: the Future a pool settles for one job. The Task that `submit` returns awaits it,
 * so cancelling that Task (or anything awaiting it) calls `cancel()` here, which asks the
 * pool to stop the job. Unlike a plain Future it stays pending while a running job is being
 * stopped (its AbortSignal first, the worker after `cancelGraceMs`), so a `timeout` or
 * `waitFor` around `submit` returns only once the work has really stopped.
 */
import type { TransferListItem } from 'node:worker_threads';
import { Future, type Loop } from '@aiots/loop';
import type { JobSpec } from './job.ts';
import type { PoolWorker } from './pool-worker.ts';

/** What a JobFuture needs from its pool. */
export interface JobOwner {
  cancelJob(job: JobFuture<unknown>, msg: unknown): boolean;
}

export class JobFuture<R> extends Future<R> {
  readonly owner: JobOwner;
  readonly spec: JobSpec;
  readonly chunk: boolean;
  /** `ThreadPoolExecutor.submit()` or `….map()`: for error messages. */
  readonly where: string;
  args: unknown[] | undefined;
  transfer: TransferListItem[] | undefined;
  /** Its buffers were moved to a worker: it cannot be sent again if that worker dies. */
  transferred = false;
  /** Sequence number on its worker, once dispatched. */
  seq = -1;
  /** The slot of its function on that worker. */
  slot = -1;
  worker: PoolWorker | undefined = undefined;
  /** Next job in the pool's queue. */
  next: JobFuture<unknown> | undefined = undefined;
  inQueue = false;
  /** It was in flight when a worker died of something no job owned up to (see onWorkerExit in scheduler.ts). */
  suspect = false;
  /** How many such deaths it was the oldest unreported job of. */
  silentDeaths = 0;
  cancelling = false;
  cancelMsg: unknown = undefined;
  grace: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(
    loop: Loop,
    owner: JobOwner,
    spec: JobSpec,
    args: unknown[],
    transfer: TransferListItem[] | undefined,
    chunk: boolean,
    where: string,
  ) {
    super(loop, spec.waitLabel);
    this.owner = owner;
    this.spec = spec;
    this.args = args;
    this.transfer = transfer;
    this.chunk = chunk;
    this.where = where;
  }

  /** Asks the pool to stop the job; the Future ends cancelled once it has stopped. */
  override cancel(msg?: unknown): boolean {
    if (this.done()) return super.cancel(msg);
    return this.owner.cancelJob(this as JobFuture<unknown>, msg);
  }

  /** Settles as cancelled (the loop may be closed by now: then nobody can be told). */
  finishCancelled(): void {
    this.args = undefined;
    if (!this.done() && !this.getLoop().isClosed()) super.cancel(this.cancelMsg);
  }

  resolveWith(value: unknown): void {
    this.args = undefined;
    if (!this.done() && !this.getLoop().isClosed()) this.setResult(value as R);
  }

  rejectWith(error: unknown): void {
    this.args = undefined;
    if (!this.done() && !this.getLoop().isClosed()) this.setException(error);
  }
}
