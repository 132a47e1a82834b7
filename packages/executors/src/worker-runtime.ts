/**
 * The job runner inside a worker thread or child process (the same code for both; only the
 * port differs). One unit because batching, ordering and crash reporting share one
 * invariant: jobs run one at a time in `seq` order, each is reported exactly once, and a
 * result is never held back while a job that could crash the worker runs.
 *
 * Batching. Results are collected and sent in one message when the batch is done, every
 * `FLUSH_AT` results, or at least every `YIELD_MS` (when the runner also yields to the event
 * loop so cancel messages get in). Before a job whose function has not yet proven fast (it
 * has never finished synchronously in under `FAST_MS`), pending results are flushed together
 * with a STARTED marker: if that job kills the worker (process.exit, out of memory, SIGKILL),
 * nothing already computed is lost and the pool knows which job was running. Async jobs
 * always count as not fast, because a timer may throw while they wait.
 *
 * No imports beyond Node and the small protocol modules: this file is loaded by every worker.
 */
import type { TransferListItem } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { type EncodedError, encodeError, runtimeError } from './error-encode.ts';
import {
  DEF_SOURCE,
  FLAG_CHUNK,
  FLAG_SUSPECT,
  MSG_BATCH,
  MSG_CANCEL,
  MSG_FATAL,
  MSG_RESULTS,
  ST_ERR,
  ST_OK,
  ST_PARTIAL,
  ST_SKIPPED,
  ST_STARTED,
} from './protocol.ts';
import { isTransferred } from './transfer.ts';

const YIELD_MS = 1;
const FAST_MS = 1;
const FLUSH_AT = 256;
const UNKNOWN = 0;
const FAST = 1;
const SLOW = 2;

/** @internal How the runtime talks to the pool. `post` throws when a value cannot be cloned. */
export interface Port {
  post(msg: unknown[], transfer?: TransferListItem[]): void;
}

class LoadFailure {
  readonly error: EncodedError;
  constructor(error: EncodedError) {
    this.error = error;
  }
}

class Partial {
  readonly values: unknown[];
  readonly error: unknown;
  constructor(values: unknown[], error: unknown) {
    this.values = values;
    this.error = error;
  }
}

type JobFn = (...args: unknown[]) => unknown;
type Slot = JobFn | Promise<void> | LoadFailure | undefined;

function isThenable(r: unknown): r is PromiseLike<unknown> {
  return (
    r !== null &&
    (typeof r === 'object' || typeof r === 'function') &&
    typeof (r as { then?: unknown }).then === 'function'
  );
}

function call(fn: JobFn, b: unknown[], at: number, argc: number): unknown {
  switch (argc) {
    case 0:
      return fn();
    case 1:
      return fn(b[at]);
    case 2:
      return fn(b[at], b[at + 1]);
    case 3:
      return fn(b[at], b[at + 1], b[at + 2]);
    default:
      return fn(...b.slice(at, at + argc));
  }
}

function runChunk(fn: JobFn, items: unknown[]): unknown {
  const values: unknown[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    let r: unknown;
    try {
      r = fn(items[i]);
    } catch (e) {
      return new Partial(values.slice(0, i), e);
    }
    if (isThenable(r)) return finishChunk(fn, items, values, i, r);
    values[i] = r;
  }
  return values;
}

async function finishChunk(
  fn: JobFn,
  items: unknown[],
  values: unknown[],
  from: number,
  first: PromiseLike<unknown>,
): Promise<unknown> {
  let i = from;
  try {
    values[i] = await first;
    for (i++; i < items.length; i++) values[i] = await fn(items[i]);
  } catch (e) {
    return new Partial(values.slice(0, i), e);
  }
  return values;
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return `${typeof v} ${String(v).slice(0, 40)}`;
}

/** @internal */
export class WorkerRuntime {
  readonly #port: Port;
  readonly #canTransfer: boolean;
  #fns: Slot[] = [];
  #speed: number[] = [];
  #batches: unknown[][] = [];
  #pos = 2;
  #cancelled: Set<number> | undefined;
  #lastSeen = -1;
  #out: unknown[] = [MSG_RESULTS, 0];
  #outTransfer: TransferListItem[] | undefined;
  #outTransferAt: Map<number, TransferListItem[]> | undefined;
  #busy = 0;
  #running = false;
  #seq = -1;
  #ac: AbortController | undefined;
  #aborted = false;
  #yieldAt = 0;
  #dead = false;

  constructor(port: Port, canTransfer: boolean) {
    this.#port = port;
    this.#canTransfer = canTransfer;
  }

  /** Handles BATCH and CANCEL messages. */
  onMessage(msg: unknown[]): void {
    if (msg[0] === MSG_BATCH) {
      const defs = msg[1] as unknown[] | 0;
      if (defs !== 0) this.#define(defs);
      this.#batches.push(msg);
      if (!this.#running) {
        this.#running = true;
        this.#drain();
      }
    } else if (msg[0] === MSG_CANCEL) {
      this.#cancel(msg[1] as number, msg[2] as number);
    }
  }

  /** The AbortSignal of the running job (for `jobSignal()`). */
  signal(): AbortSignal {
    if (this.#seq < 0) {
      throw new TypeError(
        'jobSignal() must be called while a job runs on an @aiots/executors worker (not at module top level or after the job returned)',
      );
    }
    if (this.#ac === undefined) {
      this.#ac = new AbortController();
      if (this.#aborted) this.#ac.abort(abortReason());
    }
    return this.#ac.signal;
  }

  /** The worker is about to die: send what is pending and which job was running. */
  fatal(error: EncodedError): void {
    if (this.#dead) return;
    this.#dead = true;
    try {
      this.#flush();
      this.#port.post([MSG_FATAL, this.#seq, error]);
    } catch {
      // The port is gone; the pool still sees the exit.
    }
  }

  /** A requested exit: not a crash. */
  exiting(): void {
    this.#dead = true;
  }

  #define(defs: unknown[]): void {
    for (let i = 0; i < defs.length; i += 4) {
      const id = defs[i] as number;
      const payload = defs[i + 2] as string;
      const name = defs[i + 3] as string;
      if (defs[i + 1] === DEF_SOURCE) {
        try {
          // Indirect eval: the function sees only the worker's globals, like a module job.
          const fn = (0, eval)(`(${payload}\n)`) as unknown;
          this.#fns[id] =
            typeof fn === 'function'
              ? (fn as JobFn)
              : new LoadFailure(
                  runtimeError('TypeError', `The job source did not evaluate to a function (${name})`),
                );
        } catch (e) {
          this.#fns[id] = new LoadFailure(encodeError(e));
        }
      } else {
        this.#fns[id] = import(payload).then(
          (ns: Record<string, unknown>) => {
            const fn = ns[name];
            if (typeof fn === 'function') {
              this.#fns[id] = fn as JobFn;
              return;
            }
            const names = Object.keys(ns).filter((k) => typeof ns[k] === 'function');
            this.#fns[id] = new LoadFailure(
              runtimeError(
                'JobExportError',
                `Expected ${payload} to export a function named "${name}", got ${describeValue(fn)}; its function exports are: ${names.length ? names.join(', ') : '(none)'}`,
                { module: payload, exportName: name },
              ),
            );
          },
          (e: unknown) => {
            this.#fns[id] = new LoadFailure(
              runtimeError(
                'JobModuleError',
                `Could not load the job module ${payload}: ${(e as Error)?.message ?? String(e)}`,
                { module: payload },
                e,
              ),
            );
          },
        );
      }
    }
  }

  #cancel(seq: number, mode: number): void {
    if (seq === this.#seq) {
      if (mode === 1 && !this.#aborted) {
        this.#aborted = true;
        this.#ac?.abort(abortReason());
      }
      return;
    }
    if (seq > this.#lastSeen) (this.#cancelled ??= new Set()).add(seq);
  }

  readonly #drain = (): void => {
    let now = performance.now();
    this.#yieldAt = now + YIELD_MS;
    for (;;) {
      const b = this.#batches[0];
      if (b === undefined) break;
      const pos = this.#pos;
      if (pos >= b.length) {
        this.#batches.shift();
        this.#pos = 2;
        continue;
      }
      if (now >= this.#yieldAt) {
        this.#flush();
        setImmediate(this.#drain);
        return;
      }
      const seq = b[pos] as number;
      const fnId = b[pos + 1] as number;
      const flags = b[pos + 2] as number;
      const argc = b[pos + 3] as number;
      const fn = this.#fns[fnId];
      if (fn instanceof Promise) {
        // The module is still loading; come back to this same job when it is.
        this.#flush();
        fn.then(this.#drain, this.#drain);
        return;
      }
      const at = pos + 4;
      this.#pos = at + argc;
      this.#lastSeen = seq;
      if (this.#cancelled !== undefined && this.#cancelled.delete(seq)) {
        this.#push(seq, ST_SKIPPED, undefined);
        continue;
      }
      if (fn === undefined || fn instanceof LoadFailure) {
        this.#push(
          seq,
          ST_ERR,
          fn?.error ?? runtimeError('Error', `internal: unknown job function ${fnId}`),
        );
        continue;
      }
      if (this.#speed[fnId] !== FAST || flags & FLAG_SUSPECT) {
        this.#push(seq, ST_STARTED, undefined);
        this.#flush();
      }
      this.#seq = seq;
      this.#ac = undefined;
      this.#aborted = false;
      const t0 = now;
      let r: unknown;
      try {
        r = flags & FLAG_CHUNK ? runChunk(fn, b[at] as unknown[]) : call(fn, b, at, argc);
      } catch (e) {
        now = performance.now();
        this.#speed[fnId] = now - t0 < FAST_MS ? FAST : SLOW;
        this.#done(seq, ST_ERR, encodeError(e), now - t0);
        continue;
      }
      if (isThenable(r)) {
        this.#speed[fnId] = SLOW;
        this.#flush();
        r.then(
          (v) => this.#asyncDone(seq, ST_OK, v, t0),
          (e) => this.#asyncDone(seq, ST_ERR, encodeError(e), t0),
        );
        return;
      }
      now = performance.now();
      this.#speed[fnId] = now - t0 < FAST_MS ? FAST : SLOW;
      this.#done(seq, ST_OK, r, now - t0);
    }
    this.#flush();
    this.#running = false;
  };

  #asyncDone(seq: number, status: number, value: unknown, t0: number): void {
    this.#done(seq, status, value, performance.now() - t0);
    this.#drain();
  }

  #done(seq: number, status: number, value: unknown, took: number): void {
    this.#seq = -1;
    this.#ac = undefined;
    this.#busy += took;
    if (status === ST_OK) {
      if (value instanceof Partial) {
        this.#push(seq, ST_PARTIAL, [value.values, encodeError(value.error)]);
        return;
      }
      if (isTransferred(value)) {
        if (this.#canTransfer && value.transferList.length > 0) {
          const list = value.transferList as TransferListItem[];
          (this.#outTransferAt ??= new Map()).set(this.#out.length, list);
          const all = (this.#outTransfer ??= []);
          for (const t of list) all.push(t);
        }
        value = value.value;
      }
    }
    this.#push(seq, status, value);
  }

  #push(seq: number, status: number, value: unknown): void {
    const out = this.#out;
    out.push(seq, status, value);
    if (out.length >= FLUSH_AT * 3) this.#flush();
  }

  #flush(): void {
    const out = this.#out;
    if (out.length === 2) return;
    out[1] = this.#busy;
    this.#busy = 0;
    this.#out = [MSG_RESULTS, 0];
    const transfer = this.#outTransfer;
    const transferAt = this.#outTransferAt;
    this.#outTransfer = undefined;
    this.#outTransferAt = undefined;
    try {
      this.#port.post(out, transfer);
    } catch {
      this.#postOneByOne(out, transferAt);
    }
  }

  /** A batch failed to clone: send entry by entry, turning the ones that cannot cross into errors. */
  #postOneByOne(out: unknown[], transferAt: Map<number, TransferListItem[]> | undefined): void {
    for (let i = 2; i < out.length; i += 3) {
      const entry = [MSG_RESULTS, i === 2 ? out[1] : 0, out[i], out[i + 1], out[i + 2]];
      try {
        this.#port.post(entry, transferAt?.get(i));
      } catch (e) {
        this.#port.post([
          MSG_RESULTS,
          0,
          out[i],
          ST_ERR,
          runtimeError(
            'DataCloneError',
            `The result of this job cannot be sent back: ${(e as Error)?.message ?? String(e)}. Results cross by structured clone: return data, not functions, class instances with native state or promises.`,
            { argument: 'result' },
            e,
          ),
        ]);
      }
    }
  }
}

function abortReason(): DOMException {
  return new DOMException('The job was cancelled', 'AbortError');
}
