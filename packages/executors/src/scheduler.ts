/**
 * Scheduler: the engine behind `ThreadPoolExecutor` and `ProcessPoolExecutor` (the public
 * classes in pool.ts hold one in a private field, so none of this is in the published
 * types). One unit because the queue, the per-worker FIFOs, cancellation and crash recovery
 * share one invariant: every job is in exactly one place (the pool queue, one worker's FIFO,
 * or settled), and a worker reports the jobs it was sent exactly once, in the order it was
 * sent them.
 *
 * Dispatch. `submit` queues a JobFuture and schedules one `pump` per microtask turn, so a
 * burst of submits becomes one message per worker. A worker gets new jobs when at most half
 * its window is in flight; the window starts at 1 (an unknown job might take seconds, and
 * must not sit behind another on a busy worker) and grows to about `TARGET_MS` of work as
 * the worker reports how long its jobs took, so tiny jobs travel in batches of hundreds.
 *
 * Cancellation. A queued job is unlinked lazily and ends cancelled at once. A dispatched job
 * gets a CANCEL message: the worker skips it if it has not started, or aborts its
 * `jobSignal()`. If it is still unreported after `cancelGraceMs` and it is the worker's
 * oldest job (so it is the one running), the worker is killed; its other jobs go back to the
 * front of the queue.
 *
 * Crashes. When a worker dies unasked, the job it was running fails with BrokenWorkerError
 * and every other job it held is queued again. The worker names that job in its FATAL
 * message (process.exit, an uncaught error), or a STARTED marker does (see
 * worker-runtime.js); when neither does (SIGKILL or out of memory during a job known to be
 * fast), every job it held runs again as a suspect, with a marker, and the culprit is caught
 * when it crashes again.
 */

import type { TransferListItem } from 'node:worker_threads';
import { createTask, getLoop, type Loop, type Task } from '@aiots/loop';
import { cloneFailure } from './cloneable.ts';
import { decodeError, type EncodedError, type ErrorClass } from './error-decode.ts';
import { BrokenWorkerError, DataCloneError, ExecutorShutdownError } from './errors.ts';
import { closureError, type Job, type JobSpec, resolveJob } from './job.ts';
import { JobFuture, type JobOwner } from './job-future.ts';
import { ChunkFailure, type MapOptions, mapJobs } from './map.ts';
import { MAX_SLOTS, type PoolWorker, type WorkerOwner } from './pool-worker.ts';
import {
  DEF_SOURCE,
  FLAG_CHUNK,
  FLAG_SUSPECT,
  isTransferred,
  MSG_BATCH,
  MSG_CANCEL,
  MSG_FATAL,
  MSG_READY,
  MSG_RESULTS,
  ST_OK,
  ST_PARTIAL,
  ST_SKIPPED,
  ST_STARTED,
} from './protocol.js';

const TARGET_MS = 2;
const MAX_WINDOW = 1024;
/** A batch expected to take longer than this to send goes in several messages. */
const SPLIT_MS = 8;

/** What differs between a thread pool and a process pool: how a worker is made. */
export interface WorkerKind {
  /** The public class name, for messages: `ThreadPoolExecutor`. */
  readonly name: string;
  /** Starts a worker (it may be posted to at once; messages wait for it). */
  spawn(owner: WorkerOwner, index: number): PoolWorker;
  /** Whether workers share this process's memory (SharedArrayBuffer arguments). */
  readonly sharesMemory: boolean;
  /**
   * Throws when this pool cannot move `list` (processes move only ArrayBuffers). `subject`
   * (`Argument 1 of ….submit()`) and `argument` (`args[1]`) name the value in the error.
   */
  checkTransferList(list: readonly TransferListItem[], subject: string, argument: string): void;
}

/** The pool options once validated. */
export interface SchedulerOptions {
  maxWorkers: number;
  idleTimeoutMs: number;
  cancelGraceMs: number;
  errorClasses: Map<string, ErrorClass> | undefined;
}

/** The counters of `stats()`. */
export interface SchedulerStats {
  readonly maxWorkers: number;
  readonly workers: number;
  readonly busy: number;
  readonly queued: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly crashed: number;
}

export class Scheduler implements WorkerOwner, JobOwner {
  readonly #type: WorkerKind;
  readonly #kind: string;
  readonly #whereSubmit: string;
  readonly #whereMap: string;
  readonly #maxWorkers: number;
  readonly #idleTimeoutMs: number;
  readonly #graceMs: number;
  readonly #errorClasses: Map<string, ErrorClass> | undefined;
  #workers: PoolWorker[] = [];
  #workerSeq = 0;
  #head: JobFuture<unknown> | undefined;
  #tail: JobFuture<unknown> | undefined;
  #queued = 0;
  #pending = 0;
  #pumpScheduled = false;
  #shutdown = false;
  #stopWhenIdle = false;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idleWaiters: (() => void)[] = [];
  /** The loop of the latest job: where a crash that no job owns is reported. */
  #reportTo: Loop | undefined;
  #exitWaiters: (() => void)[] = [];
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #crashed = 0;

  constructor(type: WorkerKind, opts: SchedulerOptions) {
    this.#type = type;
    this.#kind = type.name;
    this.#whereSubmit = `${type.name}.submit()`;
    this.#whereMap = `${type.name}.map()`;
    this.#maxWorkers = opts.maxWorkers;
    this.#idleTimeoutMs = opts.idleTimeoutMs;
    this.#graceMs = opts.cancelGraceMs;
    this.#errorClasses = opts.errorClasses;
  }

  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  submit(job: unknown, args: unknown[]): Task<unknown> {
    const where = this.#whereSubmit;
    if (this.#shutdown) throw this.#shutdownError(where);
    const spec = resolveJob(job, where);
    const fut = this.#makeJob(spec, args, false, where);
    return createTask(() => fut as unknown as Promise<unknown>, { name: spec.label, eager: true });
  }

  map<T, R>(
    job: Job<[T], R>,
    items: Iterable<unknown> | AsyncIterable<unknown>,
    opts: MapOptions,
  ): AsyncIterableIterator<Awaited<R>> {
    const where = this.#whereMap;
    if (this.#shutdown) throw this.#shutdownError(where);
    const spec = resolveJob(job, where);
    return mapJobs<unknown, Awaited<R>>(
      items,
      opts,
      this.#maxWorkers,
      where,
      (item) => {
        if (this.#shutdown) throw this.#shutdownError(where);
        const fut = this.#makeJob(spec, [item], false, where);
        return createTask(() => fut as unknown as Promise<Awaited<R>>, {
          name: spec.label,
          eager: true,
        });
      },
      (chunk) => {
        if (this.#shutdown) throw this.#shutdownError(where);
        const fut = this.#makeJob(spec, [chunk], true, where);
        return createTask(() => fut as unknown as Promise<unknown>, {
          name: spec.label,
          eager: true,
        });
      },
    );
  }

  async shutdown(wait: boolean, cancelFutures: boolean): Promise<void> {
    this.#shutdown = true;
    if (cancelFutures) this.#cancelNotStarted();
    if (this.#pending === 0) this.#stopAll('shutdown');
    else this.#stopWhenIdle = true;
    if (!wait) return;
    if (this.#pending > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
    if (this.#workers.length > 0) await new Promise<void>((r) => this.#exitWaiters.push(r));
  }

  async destroy(): Promise<void> {
    this.#shutdown = true;
    this.#cancelNotStarted();
    this.#stopAll('destroy');
    if (this.#workers.length > 0) await new Promise<void>((r) => this.#exitWaiters.push(r));
  }

  stats(): SchedulerStats {
    let busy = 0;
    let running = 0;
    for (const w of this.#workers) {
      running += w.inflight;
      if (w.inflight > 0) busy++;
    }
    return Object.freeze({
      maxWorkers: this.#maxWorkers,
      workers: this.#workers.length,
      busy,
      queued: this.#queued,
      running,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      crashed: this.#crashed,
    });
  }

  toString(): string {
    const s = this.stats();
    return `<${this.#kind} workers=${s.workers}/${s.maxWorkers} queued=${s.queued} running=${s.running}${this.#shutdown ? ' shutdown' : ''}>`;
  }

  // ---- jobs ------------------------------------------------------------------------------

  #shutdownError(where: string): ExecutorShutdownError {
    return new ExecutorShutdownError(
      `${where} was called after shutdown(): expected an executor that is running, got one that is shut down; create a new one`,
    );
  }

  #makeJob(spec: JobSpec, args: unknown[], chunk: boolean, where: string): JobFuture<unknown> {
    // Arguments are not checked here: a check would cost up to a second clone of each one on
    // the loop. One that cannot be cloned makes the post fail, and #flushOneByOne says which.
    let transfer: TransferListItem[] | undefined;
    // A map() chunk is one argument, the array of its items: look at the items.
    const values = chunk ? (args[0] as unknown[]) : args;
    const isMap = where === this.#whereMap;
    for (let i = 0; i < values.length; i++) {
      const a = values[i];
      if (typeof a !== 'object' || a === null) continue;
      if (isTransferred(a)) {
        const moved = this.#move(
          a,
          isMap ? 'An item' : `Argument ${i}`,
          isMap ? 'item' : `args[${i}]`,
          where,
        );
        values[i] = moved[0];
        transfer ??= [];
        for (const t of moved[1]) transfer.push(t);
      } else if (
        !this.#type.sharesMemory &&
        ArrayBuffer.isView(a) &&
        a.buffer instanceof SharedArrayBuffer
      ) {
        // A process would get a copy (IPC copies typed arrays), and writes would be lost.
        throw new DataCloneError(
          `${isMap ? 'An item' : `Argument ${i}`} of ${where} cannot be sent to a worker process: expected data, got a view of a SharedArrayBuffer, which processes cannot share; use a ThreadPoolExecutor to share memory`,
          { argument: isMap ? 'item' : `args[${i}]` },
        );
      }
    }
    const loop = getLoop();
    this.#reportTo = loop;
    const fut = new JobFuture<unknown>(loop, this, spec, args, transfer, chunk, where);
    fut.inQueue = true;
    if (this.#tail === undefined) this.#head = fut;
    else this.#tail.next = fut;
    this.#tail = fut;
    this.#queued++;
    this.#pending++;
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      queueMicrotask(this.#pump);
    }
    return fut;
  }

  /**
   * Clones a `transfer()` argument with its buffers moved: the caller's copies detach now.
   * @param subject `Argument 1` or `An item`, and `argument` its name, for errors.
   */
  #move(
    t: { value: unknown; transferList: readonly TransferListItem[] },
    subject: string,
    argument: string,
    where: string,
  ): [unknown, TransferListItem[]] {
    this.#type.checkTransferList(t.transferList, `${subject} of ${where}`, argument);
    try {
      const list = t.transferList as TransferListItem[];
      const c = structuredClone([t.value, list] as const, { transfer: list as never[] });
      return [c[0], c[1] as TransferListItem[]];
    } catch (e) {
      throw new DataCloneError(
        `${subject} of ${where} cannot be transferred: expected cloneable data whose transferList holds attached ArrayBuffers, got an error: ${(e as Error).message}`,
        { argument, cause: e },
      );
    }
  }

  /** Called by JobFuture.cancel(). */
  cancelJob(job: JobFuture<unknown>, msg: unknown): boolean {
    if (job.cancelling) return true;
    job.cancelMsg = msg;
    if (job.inQueue) {
      job.inQueue = false;
      this.#queued--;
      this.#settleCancelled(job);
      return true;
    }
    const w = job.worker;
    if (w === undefined) {
      this.#settleCancelled(job);
      return true;
    }
    job.cancelling = true;
    w.post([MSG_CANCEL, job.seq, 1]);
    job.grace = setTimeout(this.#onGrace, this.#graceMs, job);
    return true;
  }

  readonly #onGrace = (job: JobFuture<unknown>): void => {
    job.grace = undefined;
    if (job.done()) return;
    const w = job.worker;
    if (w === undefined) return;
    if (w.peek() === job) {
      // The oldest unreported job is the one running: stop the worker under it.
      if (w.stopping === undefined || w.stopping === 'idle') {
        w.stopping = 'cancel';
        w.kill();
      }
    } else {
      // Not started yet (another job is running before it); the worker will skip it.
      job.grace = setTimeout(this.#onGrace, this.#graceMs, job);
    }
  };

  #cancelNotStarted(): void {
    for (let j = this.#head; j !== undefined; j = j.next) {
      if (j.inQueue) {
        j.inQueue = false;
        this.#queued--;
        this.#settleCancelled(j);
      }
    }
    this.#head = this.#tail = undefined;
    for (const w of this.#workers) {
      for (let i = w.head; i < w.jobs.length; i++) {
        const j = w.jobs[i];
        if (j !== undefined && !j.done()) w.post([MSG_CANCEL, j.seq, 0]);
      }
    }
  }

  #settleCancelled(job: JobFuture<unknown>): void {
    if (job.grace !== undefined) clearTimeout(job.grace);
    job.grace = undefined;
    if (job.done()) return;
    this.#cancelled++;
    job.finishCancelled();
    this.#jobSettled();
  }

  #jobSettled(): void {
    if (--this.#pending > 0) return;
    if (this.#stopWhenIdle) {
      this.#stopWhenIdle = false;
      this.#stopAll('shutdown');
    }
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const r of waiters) r();
  }

  #settle(job: JobFuture<unknown>, status: number, value: unknown): void {
    if (job.done()) return;
    if (job.cancelling || status === ST_SKIPPED) {
      this.#settleCancelled(job);
      return;
    }
    if (status === ST_OK) {
      this.#completed++;
      job.resolveWith(value);
    } else if (status === ST_PARTIAL) {
      const [values, error] = value as [unknown[], EncodedError];
      this.#failed++;
      job.resolveWith(new ChunkFailure(values, this.#remoteError(job.spec, error)));
    } else {
      this.#failed++;
      job.rejectWith(this.#remoteError(job.spec, value as EncodedError));
    }
    this.#jobSettled();
  }

  #remoteError(spec: JobSpec, enc: EncodedError): unknown {
    const err = decodeError(enc, this.#errorClasses);
    if (spec.kind === DEF_SOURCE && err instanceof ReferenceError) {
      const m = /^(\S+) is not defined$/.exec(err.message);
      if (m !== null) return closureError(spec.label, [m[1] as string], err);
    }
    return err;
  }

  // ---- dispatch --------------------------------------------------------------------------

  readonly #pump = (): void => {
    this.#pumpScheduled = false;
    while (this.#queued > 0) {
      let best: PoolWorker | undefined;
      let bestLoad = Number.POSITIVE_INFINITY;
      let withRoom = 0;
      for (const w of this.#workers) {
        if (w.stopping !== undefined) continue;
        const load = w.inflight;
        if (load <= w.window >> 1) {
          withRoom++;
          if (load < bestLoad) {
            best = w;
            bestLoad = load;
          }
        }
      }
      if ((best === undefined || bestLoad > 0) && this.#workers.length < this.#maxWorkers) {
        const started = this.#startWorker();
        if (started === undefined) break;
        best = started;
        withRoom++;
      }
      if (best === undefined) break;
      const n = Math.min(best.window - best.inflight, Math.ceil(this.#queued / withRoom));
      this.#assign(best, n);
    }
    for (const w of this.#workers) if (w.out !== undefined) this.#flush(w);
  };

  #schedulePump(): void {
    if (!this.#pumpScheduled && this.#queued > 0) {
      this.#pumpScheduled = true;
      queueMicrotask(this.#pump);
    }
  }

  #startWorker(): PoolWorker | undefined {
    let w: PoolWorker;
    try {
      w = this.#type.spawn(this, this.#workerSeq++);
    } catch (cause) {
      // Nothing can run without a worker: fail the queue now rather than retry forever.
      this.#failQueue(
        new BrokenWorkerError(
          `${this.#kind} could not start a worker: ${(cause as Error)?.message ?? String(cause)}`,
          {
            cause,
          },
        ),
      );
      return undefined;
    }
    this.#workers.push(w);
    return w;
  }

  #assign(w: PoolWorker, n: number): void {
    if (w.out === undefined) w.out = [MSG_BATCH, 0];
    const out = w.out;
    if (w.inflight === 0 && !w.refed) {
      w.refed = true;
      w.setRef(true);
    }
    for (let k = 0; k < n; ) {
      const job = this.#head;
      if (job === undefined) break;
      this.#head = job.next;
      if (this.#head === undefined) this.#tail = undefined;
      job.next = undefined;
      if (!job.inQueue) continue;
      job.inQueue = false;
      this.#queued--;
      k++;
      const spec = job.spec;
      let slot: number;
      if (spec.id === w.lastSpecId) {
        slot = w.lastSlot;
      } else {
        slot = w.slotOf.get(spec.id) ?? this.#define(w, spec);
        w.lastSpecId = spec.id;
        w.lastSlot = slot;
      }
      const seq = w.nextSeq++;
      w.slotLastSeq[slot] = seq;
      job.slot = slot;
      job.seq = seq;
      job.worker = w;
      w.jobs.push(job);
      w.outCount++;
      const args = job.args as unknown[];
      out.push(
        seq,
        slot,
        (job.chunk ? FLAG_CHUNK : 0) | (job.suspect ? FLAG_SUSPECT : 0),
        args.length,
      );
      for (let i = 0; i < args.length; i++) out.push(args[i]);
      if (job.transfer !== undefined) {
        if (w.outTransfer === undefined) w.outTransfer = [];
        for (const t of job.transfer) w.outTransfer.push(t);
      }
    }
  }

  /** Gives `spec` a slot on `w` and queues its definition (see `PoolWorker.slotOf`). */
  #define(w: PoolWorker, spec: JobSpec): number {
    let slot = w.slotSpec.length;
    if (slot >= MAX_SLOTS) {
      const oldest = w.oldestUnreported();
      let victim = -1;
      let victimSeq = Number.POSITIVE_INFINITY;
      for (let s = 0; s < w.slotSpec.length; s++) {
        const last = w.slotLastSeq[s] as number;
        if (last < oldest && last < victimSeq) {
          victim = s;
          victimSeq = last;
        }
      }
      if (victim >= 0) {
        slot = victim;
        w.slotOf.delete(w.slotSpec[victim] as number);
      }
    }
    w.slotSpec[slot] = spec.id;
    w.slotOf.set(spec.id, slot);
    if (w.defs === undefined) w.defs = [];
    w.defs.push(slot, spec.kind, spec.payload, spec.name);
    return slot;
  }

  #flush(w: PoolWorker): void {
    const out = w.out as unknown[];
    const count = w.outCount;
    const defs = w.defs;
    const transfer = w.outTransfer;
    w.out = w.defs = w.outTransfer = undefined;
    w.outCount = 0;
    const first = w.jobs.length - count;
    // One message is cheapest for small jobs, but a message holding many big arguments costs
    // twice what the same arguments cost in messages of their own (structured clone tracks
    // every object of a message, and the worker decodes it all before the first job runs).
    // When this worker's recent jobs took long to send, the batch goes in pieces of about
    // TARGET_MS of sending each.
    const per =
      count > 1 && w.sendMs * count > SPLIT_MS
        ? Math.max(1, Math.floor(TARGET_MS / w.sendMs))
        : count;
    if (per >= count) {
      out[1] = defs ?? 0;
      this.#post(w, out, transfer, first, count, defs);
      return;
    }
    let pos = 2;
    let pendingDefs = defs;
    for (let k = first; k < first + count; k += per) {
      const end = Math.min(k + per, first + count);
      const msg: unknown[] = [MSG_BATCH, pendingDefs ?? 0];
      let list: TransferListItem[] | undefined;
      for (let j = k; j < end; j++) {
        const size = 4 + (out[pos + 3] as number);
        for (let x = 0; x < size; x++) msg.push(out[pos + x]);
        pos += size;
        const moved = (w.jobs[j] as JobFuture<unknown>).transfer;
        if (moved !== undefined) {
          list ??= [];
          for (const t of moved) list.push(t);
        }
      }
      if (!this.#post(w, msg, list, k, end - k, pendingDefs)) return;
      pendingDefs = undefined;
    }
  }

  /**
   * Posts `msg`, which carries the jobs `w.jobs[first, first + n)`, and learns how long
   * sending takes per job. False when it could not be cloned: those jobs and the ones after
   * them were then sent one by one.
   */
  #post(
    w: PoolWorker,
    msg: unknown[],
    transfer: TransferListItem[] | undefined,
    first: number,
    n: number,
    defs: unknown[] | undefined,
  ): boolean {
    const t0 = performance.now();
    try {
      w.post(msg, transfer);
    } catch (e) {
      this.#flushOneByOne(w, first, defs, e);
      return false;
    }
    const perJob = (performance.now() - t0) / n;
    w.sendMs = w.sendMs < 0 ? perJob : w.sendMs * 0.7 + perJob * 0.3;
    // Arguments stay with the job until it is reported: a job whose worker dies before
    // running it is sent again. Transferred buffers cannot be: they went with the worker.
    if (transfer !== undefined) {
      for (let i = first; i < first + n; i++) {
        const j = w.jobs[i] as JobFuture<unknown>;
        if (j.transfer !== undefined) {
          j.transfer = undefined;
          j.transferred = true;
        }
      }
    }
    return true;
  }

  /**
   * A batch would not clone: send its jobs one by one, and fail those that cannot be sent
   * with a DataCloneError that names the argument at fault. Their seqs were never received,
   * so the worker's FIFO stays in step.
   */
  #flushOneByOne(
    w: PoolWorker,
    first: number,
    defs: unknown[] | undefined,
    batchError: unknown,
  ): void {
    const batch = w.jobs.splice(first);
    let pendingDefs = defs;
    for (const job of batch) {
      if (job === undefined) continue;
      const args = job.args as unknown[];
      const flags = (job.chunk ? FLAG_CHUNK : 0) | (job.suspect ? FLAG_SUSPECT : 0);
      const msg: unknown[] = [
        MSG_BATCH,
        pendingDefs ?? 0,
        job.seq,
        job.slot,
        flags,
        args.length,
        ...args,
      ];
      try {
        w.post(msg, job.transfer);
        pendingDefs = undefined;
        w.jobs.push(job);
        if (job.transfer !== undefined) job.transferred = true;
        job.transfer = undefined;
      } catch (e) {
        job.worker = undefined;
        this.#failed++;
        job.rejectWith(
          cloneFailure(args, job.chunk, job.where, this.#type.sharesMemory, e ?? batchError),
        );
        this.#jobSettled();
      }
    }
    // Every job failed: the definitions they carried must still arrive, since the worker is
    // now taken to know them.
    if (pendingDefs !== undefined) w.post([MSG_BATCH, pendingDefs]);
  }

  // ---- worker events ---------------------------------------------------------------------

  /** A message from worker `w`. */
  onWorkerMessage(w: PoolWorker, msg: unknown[]): void {
    switch (msg[0]) {
      case MSG_RESULTS:
        this.#results(w, msg);
        return;
      case MSG_READY:
        w.ready = true;
        return;
      case MSG_FATAL:
        w.fatal = true;
        w.fatalSeq = msg[1] as number;
        w.fatalCause = decodeError(msg[2] as EncodedError, this.#errorClasses);
        return;
    }
  }

  #results(w: PoolWorker, msg: unknown[]): void {
    let count = 0;
    for (let i = 2; i < msg.length; i += 3) {
      const status = msg[i + 1] as number;
      if (status === ST_STARTED) {
        w.startedSeq = msg[i] as number;
        continue;
      }
      const job = w.shift();
      if (job === undefined) continue;
      job.worker = undefined;
      if (status !== ST_SKIPPED) count++;
      this.#settle(job, status, msg[i + 2]);
    }
    if (count > 0) {
      const avg = (msg[1] as number) / count;
      w.avgMs = w.avgMs < 0 ? avg : w.avgMs * 0.7 + avg * 0.3;
      w.window = Math.max(
        1,
        Math.min(MAX_WINDOW, Math.floor(TARGET_MS / Math.max(w.avgMs, 0.001))),
      );
    }
    if (w.inflight === 0 && w.out === undefined) this.#becameIdle(w);
    if (this.#queued > 0) this.#pump();
  }

  #becameIdle(w: PoolWorker): void {
    // A worker being stopped stays referenced until it exits: shutdown() awaits that exit.
    if (w.stopping !== undefined) return;
    if (w.refed) {
      w.refed = false;
      w.setRef(false);
    }
    w.idleSince = performance.now();
    if (this.#idleTimer === undefined && Number.isFinite(this.#idleTimeoutMs) && !this.#shutdown) {
      this.#idleTimer = setTimeout(this.#sweepIdle, this.#idleTimeoutMs);
      this.#idleTimer.unref();
    }
  }

  readonly #sweepIdle = (): void => {
    this.#idleTimer = undefined;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const w of this.#workers) {
      if (w.stopping !== undefined || w.inflight > 0) continue;
      const idleFor = now - w.idleSince;
      if (idleFor >= this.#idleTimeoutMs - 1) {
        w.stopping = 'idle';
        w.stop();
      } else {
        next = Math.min(next, this.#idleTimeoutMs - idleFor);
      }
    }
    if (Number.isFinite(next) && !this.#shutdown) {
      this.#idleTimer = setTimeout(this.#sweepIdle, next);
      this.#idleTimer.unref();
    }
  };

  #stopAll(reason: 'shutdown' | 'destroy'): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    for (const w of this.#workers) {
      if (reason === 'destroy') {
        w.stopping = 'destroy';
        w.kill();
      } else if (w.stopping === undefined) {
        w.stopping = 'shutdown';
        w.stop();
      }
    }
  }

  /** Worker `w` has exited (its last message has been delivered). */
  onWorkerExit(w: PoolWorker, code: number | null, signal: string | null): void {
    const i = this.#workers.indexOf(w);
    if (i < 0) return;
    this.#workers.splice(i, 1);
    const reason = w.stopping;
    const crashed = reason === undefined || reason === 'idle' || reason === 'shutdown';
    const unreported: JobFuture<unknown>[] = [];
    for (let k = w.head; k < w.jobs.length; k++) {
      const j = w.jobs[k];
      if (j !== undefined && !j.done()) unreported.push(j);
    }
    w.jobs = [];
    w.head = 0;
    // A worker stopped on purpose has no jobs; one with jobs died of something.
    const died = crashed && (unreported.length > 0 || reason === undefined);
    // Who was running: the worker said so (FATAL), or the oldest unreported job was announced
    // by a STARTED marker (everything before it was reported with the marker). Otherwise the
    // worker died silently (SIGKILL, out of memory) while running a job known to be fast,
    // whose results may not have been flushed: nobody is blamed and every unreported job runs
    // again as a suspect, which identifies the culprit exactly if it kills a worker again.
    const head = unreported[0];
    let culprit = -1;
    let unexplained = false;
    const running = w.runningSeq();
    if (w.fatal) culprit = w.fatalSeq;
    else if (head !== undefined && (reason === 'cancel' || w.startedSeq === head.seq)) {
      culprit = head.seq;
    } else if (running !== undefined) {
      // A thread says in shared memory which job it runs, whatever killed it.
      culprit = running;
    } else if (died && w.ready && head !== undefined) {
      // Should even the STARTED marker get lost (a full IPC pipe when SIGKILL comes), a job
      // at the head of three silent deaths is blamed rather than retried for ever.
      if (++head.silentDeaths >= 3) culprit = head.seq;
      else unexplained = true;
    }
    let broken: BrokenWorkerError | undefined;
    const requeue: JobFuture<unknown>[] = [];
    for (const job of unreported) {
      job.worker = undefined;
      if (reason === 'destroy' || job.cancelling || (reason === 'cancel' && job.seq === culprit)) {
        this.#settleCancelled(job);
      } else if (died && (job.seq === culprit || !w.ready)) {
        broken ??= this.#brokenError(w, code, signal);
        this.#failed++;
        job.rejectWith(broken);
        this.#jobSettled();
      } else if (job.transferred) {
        this.#failed++;
        job.rejectWith(
          new BrokenWorkerError(
            `The ${w.noun} this job was sent to died before running it, and the buffers transferred to it went with it; submit the job again with fresh buffers`,
            { cause: this.#brokenError(w, code, signal), exitCode: code, signal },
          ),
        );
        this.#jobSettled();
      } else {
        if (unexplained) job.suspect = true;
        requeue.push(job);
      }
    }
    if (died) {
      this.#crashed++;
      if (!w.ready) {
        // The worker could not even start: a fresh one would fail the same way, so fail
        // the queue instead of looping.
        broken ??= this.#brokenError(w, code, signal);
        this.#failQueue(broken);
      } else if (broken === undefined && !unexplained && (w.fatal || w.error !== undefined)) {
        // Nothing owns this crash (a timer of an earlier job threw while the worker was
        // idle): it must not vanish, so it goes to the loop's exception handler.
        const loop =
          this.#reportTo !== undefined && !this.#reportTo.isClosed() ? this.#reportTo : getLoop();
        loop.callExceptionHandler({
          message: `A ${w.noun} of ${this.#kind} crashed between jobs (no job was running); it was replaced`,
          exception: this.#brokenError(w, code, signal),
        });
      }
    }
    if (requeue.length > 0) {
      for (let k = requeue.length - 1; k >= 0; k--) {
        const job = requeue[k] as JobFuture<unknown>;
        job.inQueue = true;
        job.next = this.#head;
        this.#head = job;
        if (this.#tail === undefined) this.#tail = job;
        this.#queued++;
      }
    }
    if (this.#workers.length === 0) {
      const waiters = this.#exitWaiters;
      this.#exitWaiters = [];
      if (this.#queued === 0) for (const r of waiters) r();
      else this.#exitWaiters = waiters;
    }
    this.#schedulePump();
  }

  #failQueue(error: BrokenWorkerError): void {
    for (let j = this.#head; j !== undefined; j = j.next) {
      if (!j.inQueue) continue;
      j.inQueue = false;
      this.#queued--;
      this.#failed++;
      j.rejectWith(error);
      this.#jobSettled();
    }
    this.#head = this.#tail = undefined;
  }

  #brokenError(w: PoolWorker, code: number | null, signal: string | null): BrokenWorkerError {
    const cause = w.fatalCause ?? w.error;
    const opts = { cause, exitCode: code, signal };
    const noun = `The ${w.noun}`;
    if (!w.ready) {
      return new BrokenWorkerError(
        `${noun} failed to start (exit code ${code}${signal ? `, signal ${signal}` : ''})${cause ? `: ${(cause as Error).message}` : ''}`,
        opts,
      );
    }
    const e = w.error as { code?: string } | undefined;
    if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return new BrokenWorkerError(
        `${noun} running this job ran out of memory (its resourceLimits) and was replaced`,
        opts,
      );
    }
    if (signal !== null) {
      return new BrokenWorkerError(
        `${noun} running this job was killed by ${signal} and was replaced`,
        opts,
      );
    }
    if (w.fatalCause !== undefined) {
      const c = w.fatalCause as Error;
      const what =
        (c as { exitCode?: number }).exitCode !== undefined
          ? c.message
          : `threw an uncaught ${c?.name ?? 'error'} (from a timer or callback): ${c?.message ?? String(c)}`;
      return new BrokenWorkerError(`${noun} running this job died: ${what}; it was replaced`, opts);
    }
    return new BrokenWorkerError(
      `${noun} running this job exited with code ${code} and was replaced`,
      opts,
    );
  }
}
