import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TransferListItem } from 'node:worker_threads';
import { describe } from '@aiots/loop/lowlevel';
import { DataCloneError } from './errors.ts';
import { schedulerOptions } from './options.ts';
import { PoolExecutor, type PoolOptions } from './pool.ts';
import { hasSourceCondition, PoolWorker, type WorkerOwner } from './pool-worker.ts';
import { MSG_EXIT } from './protocol.js';
import { Scheduler } from './scheduler.ts';

const fromSource = import.meta.url.endsWith('.ts');
const entry = fileURLToPath(new URL('./process-worker.js', import.meta.url));
const STOP_TIMEOUT_MS = 2_000;

/**
 * Every child of every pool in this process. When the process exits (process.exit, the event
 * loop ending, an uncaught exception) they are killed: a child in the middle of a synchronous
 * job would not see the IPC channel close until its job ended. A parent killed by a signal
 * runs no hook; its children's watchdogs notice instead (see process-worker.js).
 */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killChildrenOnExit(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
  liveChildren.clear();
}

/** Options of `ProcessPoolExecutor`. */
export interface ProcessPoolOptions extends PoolOptions {
  /** Node options of each child, e.g. `['--max-old-space-size=256']` (default: this process's). */
  execArgv?: readonly string[];
  /** Environment of each child (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

class ProcessWorker extends PoolWorker {
  readonly noun = 'worker process';
  readonly #child: ChildProcess;

  constructor(owner: WorkerOwner, index: number, opts: ProcessPoolOptions) {
    super(index);
    const execArgv = [...(opts.execArgv ?? process.execArgv)];
    if (fromSource && !hasSourceCondition(execArgv)) execArgv.push('--conditions=@aiots/source');
    // The child is told its parent's pid: should this process die before the child reads
    // `process.ppid`, the child still sees that its parent is gone.
    const child = fork(entry, [String(process.pid)], {
      serialization: 'advanced',
      execArgv,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child = child;
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', killChildrenOnExit);
    }
    liveChildren.add(child);
    child.on('exit', () => liveChildren.delete(child));
    child.unref();
    child.channel?.unref();
    child.on('message', (msg: unknown[]) => owner.onWorkerMessage(this, msg));
    child.on('error', (e) => {
      this.error ??= e;
    });
    // 'close', not 'exit': it comes after the last IPC message has been delivered.
    child.on('close', (code, signal) => owner.onWorkerExit(this, code, signal));
  }

  post(msg: unknown[]): void {
    if (this.#child.connected) this.#child.send(msg);
  }

  stop(): void {
    this.setRef(true); // keep the process alive until the exit that shutdown() awaits
    if (this.#child.connected) this.#child.send([MSG_EXIT]);
    else this.#child.kill('SIGKILL');
    setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS).unref();
  }

  kill(): void {
    this.setRef(true);
    this.#child.kill('SIGKILL');
  }

  setRef(on: boolean): void {
    if (on) {
      this.#child.ref();
      this.#child.channel?.ref();
    } else {
      this.#child.unref();
      this.#child.channel?.unref();
    }
  }
}

/**
 * A pool of child processes (asyncio's `ProcessPoolExecutor`), started with `fork` and
 * talking over IPC with `serialization: 'advanced'` (structured clone). Use it when jobs need
 * full isolation: their own heap, globals, native state and `process`; a job that crashes or
 * is killed with SIGKILL fails alone with `BrokenWorkerError`. `transfer()` still detaches
 * the sender's buffers, but the bytes are copied (processes share no memory).
 *
 * @example
 * ```ts
 * import { ProcessPoolExecutor } from '@aiots/executors';
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
 * console.log(await pool.submit(() => process.pid !== 0)); // true
 * ```
 */
export class ProcessPoolExecutor extends PoolExecutor {
  /**
   * @param opts `maxWorkers` (default `os.availableParallelism()`), `idleTimeoutMs` (30 000),
   *   `cancelGraceMs` (100), `execArgv`, `env`, `errorClasses`.
   * @throws {TypeError} for an unknown option (`maxWorker`) or one of the wrong type.
   * @throws {RangeError} for a number out of range: `maxWorkers` is from 1 to 1024.
   */
  constructor(opts: ProcessPoolOptions = {}) {
    super(processScheduler(opts));
  }
}

function processScheduler(opts: ProcessPoolOptions): Scheduler {
  const common = schedulerOptions('ProcessPoolExecutor', opts, ['execArgv', 'env'], {
    resourceLimits:
      "a process pool takes no `resourceLimits`; limit a child's heap with `execArgv: ['--max-old-space-size=256']`",
    name: 'worker processes are not named',
  });
  if (
    opts.execArgv !== undefined &&
    (!Array.isArray(opts.execArgv) || opts.execArgv.some((a) => typeof a !== 'string'))
  ) {
    throw new TypeError(
      `Expected \`execArgv\` to be an array of strings, got ${describe(opts.execArgv)}`,
    );
  }
  if (opts.env !== undefined && (typeof opts.env !== 'object' || opts.env === null)) {
    throw new TypeError(`Expected \`env\` to be an object, got ${describe(opts.env)}`);
  }
  const own = { ...opts };
  return new Scheduler(
    {
      name: 'ProcessPoolExecutor',
      spawn: (owner, index) => new ProcessWorker(owner, index, own),
      sharesMemory: false,
      checkTransferList,
    },
    common,
  );
}

function checkTransferList(
  list: readonly TransferListItem[],
  subject: string,
  argument: string,
): void {
  for (const t of list) {
    if (!(t instanceof ArrayBuffer)) {
      throw new DataCloneError(
        `${subject} cannot be transferred: a process pool can move only ArrayBuffers, got ${(t as object)?.constructor?.name ?? typeof t}`,
        { argument },
      );
    }
  }
}
