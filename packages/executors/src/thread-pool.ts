import { type ResourceLimits, type TransferListItem, Worker } from 'node:worker_threads';
import { describe } from '@aiots/loop/lowlevel';
import { schedulerOptions } from './options.ts';
import { PoolExecutor, type PoolOptions } from './pool.ts';
import { hasSourceCondition, PoolWorker, type WorkerOwner } from './pool-worker.ts';
import { Scheduler } from './scheduler.ts';

// The entry is thread-worker.js next to this module, in src/ as in dist/ (worker-side files are
// JavaScript: see protocol.js). Run from sources (`--conditions=@aiots/source`), workers get
// the same condition, so job modules resolve `@aiots/*` to sources too.
const entry = new URL('./thread-worker.js', import.meta.url);
// Workers inherit this thread's execArgv unless given one, and refuse per-process flags
// (--expose-gc…) when given one: pass one only when the condition is missing.
const execArgv =
  import.meta.url.endsWith('.ts') && !hasSourceCondition(process.execArgv)
    ? ['--conditions=@aiots/source']
    : undefined;

/** Options of `ThreadPoolExecutor`. */
export interface ThreadPoolOptions extends PoolOptions {
  /**
   * Heap limits of each worker thread. A job that exceeds them fails alone with
   * `BrokenWorkerError` and its thread is replaced, instead of taking the process down.
   */
  resourceLimits?: ResourceLimits;
  /** Worker threads are named `<name>_0`, `<name>_1`, … (default `aiots-executor`). */
  name?: string;
}

class ThreadWorker extends PoolWorker {
  readonly noun = 'worker thread';
  readonly #worker: Worker;
  readonly #running = new Int32Array(new SharedArrayBuffer(4)).fill(-1);

  constructor(owner: WorkerOwner, index: number, opts: ThreadPoolOptions) {
    super(index);
    const w = new Worker(entry, {
      workerData: { running: this.#running },
      name: `${opts.name ?? 'aiots-executor'}_${index}`,
      ...(opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {}),
      ...(execArgv ? { execArgv } : {}),
    });
    this.#worker = w;
    w.unref();
    w.on('message', (msg: unknown[]) => owner.onWorkerMessage(this, msg));
    w.on('error', (e) => {
      this.error = e;
    });
    w.on('exit', (code) => owner.onWorkerExit(this, code, null));
  }

  override runningSeq(): number {
    return Atomics.load(this.#running, 0);
  }

  post(msg: unknown[], transfer?: TransferListItem[]): void {
    this.#worker.postMessage(msg, transfer as never);
  }

  stop(): void {
    this.#worker.ref(); // keep the process alive until the exit that shutdown() awaits
    void this.#worker.terminate();
  }

  kill(): void {
    this.#worker.ref();
    void this.#worker.terminate();
  }

  setRef(on: boolean): void {
    if (on) this.#worker.ref();
    else this.#worker.unref();
  }
}

/**
 * A pool of worker threads (asyncio's `ThreadPoolExecutor`, but the threads run JavaScript
 * in parallel: each has its own isolate). Workers start on demand, up to `maxWorkers`, stay
 * warm, and exit after `idleTimeoutMs` without work; idle workers never keep the process
 * alive. A crashing job (process.exit, an uncaught error in a timer, running out of
 * `resourceLimits` memory) fails alone with `BrokenWorkerError`.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from '@aiots/executors';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2, resourceLimits: { maxOldGenerationSizeMb: 64 } });
 * const sums = await Promise.all([1e6, 2e6].map((n) =>
 *   pool.submit((k: number) => { let s = 0; for (let i = 0; i < k; i++) s += i; return s; }, n)));
 * console.log(sums); // [ 499999500000, 1999999000000 ]
 * ```
 */
export class ThreadPoolExecutor extends PoolExecutor {
  /**
   * @param opts `maxWorkers` (default `os.availableParallelism()`), `idleTimeoutMs` (30 000),
   *   `cancelGraceMs` (100), `resourceLimits`, `name`, `errorClasses`.
   * @throws {TypeError} for an unknown option (`maxWorker`) or one of the wrong type.
   * @throws {RangeError} for a number out of range: `maxWorkers` is from 1 to 1024.
   */
  constructor(opts: ThreadPoolOptions = {}) {
    super(threadScheduler(opts));
  }
}

function threadScheduler(opts: ThreadPoolOptions): Scheduler {
  const common = schedulerOptions('ThreadPoolExecutor', opts, ['resourceLimits', 'name'], {
    execArgv: 'a thread pool takes no `execArgv`; limit its memory with `resourceLimits`',
    env: 'worker threads share the process environment',
  });
  if (
    opts.resourceLimits !== undefined &&
    (typeof opts.resourceLimits !== 'object' || opts.resourceLimits === null)
  ) {
    throw new TypeError(
      `Expected \`resourceLimits\` to be an object, got ${describe(opts.resourceLimits)}`,
    );
  }
  if (opts.name !== undefined && typeof opts.name !== 'string') {
    throw new TypeError(`Expected \`name\` to be a string, got ${describe(opts.name)}`);
  }
  const own = { ...opts };
  return new Scheduler(
    {
      name: 'ThreadPoolExecutor',
      spawn: (owner, index) => new ThreadWorker(owner, index, own),
      sharesMemory: true,
      checkTransferList: () => {},
    },
    common,
  );
}
