import type { Clock } from './clock.ts';
import { taskStorage } from './context.ts';
import { CancelledError, describe, InvalidStateError } from './errors.ts';
import { PENDING, REJECTED } from './future.ts';
import { formatTaskTree } from './introspect.ts';
import { Loop } from './loop.ts';
import type { Task } from './task.ts';

/** Options of `run` and `runMain`. */
export interface RunOptions {
  /** Debug mode (default: `AIOTS_DEBUG=1` in the environment). */
  debug?: boolean;
  /** The clock of the new loop, e.g. `new VirtualClock()`. */
  clock?: Clock;
  /** The main task's name (default `main`). */
  name?: string;
}

function whenDone(task: Task<unknown>): Promise<void> {
  return new Promise((resolve) => task.addDoneCallback(() => resolve()));
}

async function shutdown(loop: Loop): Promise<void> {
  const leftovers = loop._liveTasks();
  if (leftovers.length > 0) {
    for (const t of leftovers) t.cancel();
    await Promise.all(leftovers.map(whenDone));
    for (const t of leftovers) {
      if (t._state === REJECTED) {
        t._markRetrieved();
        loop.callExceptionHandler({
          message: 'unhandled exception during run() shutdown',
          exception: t._value,
          task: t,
        });
      }
    }
  }
  await loop.shutdownDefaultExecutor();
  loop.close();
}

async function runInternal<T>(
  main: () => Promise<T>,
  opts: RunOptions,
  onStart?: (task: Task<T>, loop: Loop) => void,
): Promise<T> {
  if (typeof main !== 'function') {
    throw new TypeError(`run() expected an async function, got ${describe(main)}`);
  }
  const outer = taskStorage.getStore();
  if (outer !== undefined && outer._state === PENDING) {
    throw new InvalidStateError(
      'run() cannot be called from a running event loop: inside a task, await the function directly or use createTask()',
    );
  }
  const loop = new Loop({ clock: opts.clock, debug: opts.debug });
  const task = loop.createTask(main, { name: opts.name ?? 'main' });
  onStart?.(task, loop);
  try {
    await whenDone(task as Task<unknown>);
  } finally {
    // run() hands main's outcome to its caller (`task.result()` below), so closing the loop
    // must not report a failed main as "Task exception was never retrieved".
    task._markRetrieved();
    await shutdown(loop);
  }
  return task.result();
}

/**
 * Runs `main` in a task on a new loop and returns its result. When `main` settles, tasks it
 * left running are cancelled and awaited (their failures go to the exception handler), the
 * default executor is shut down and the loop is closed.
 *
 * @throws what `main` throws; {InvalidStateError} when called inside a running task.
 * @example
 * ```ts
 * import { run, sleep } from '@aiots/loop';
 * console.log(await run(async () => { await sleep(1); return 42; })); // 42
 * ```
 */
export function run<T>(main: () => Promise<T>, opts: RunOptions = {}): Promise<T> {
  return runInternal(main, opts);
}

/**
 * The entry point of a command-line program: `run(main)` where SIGINT and SIGTERM cancel
 * the main task, a second Ctrl-C prints the live task tree (a third exits at once), and the
 * process exit code reflects the outcome: 0, 1 on an error (one line on stderr; the stack in
 * debug mode), 130 after SIGINT, 143 after SIGTERM.
 *
 * @example
 * ```ts
 * import { runMain, sleep } from '@aiots/loop';
 * await runMain(async () => { await sleep(1); console.log('bye'); });
 * ```
 */
export async function runMain(main: () => Promise<unknown>, opts: RunOptions = {}): Promise<void> {
  let mainTask: Task<unknown> | undefined;
  let signal: 'SIGINT' | 'SIGTERM' | undefined;
  let sigints = 0;
  const onSigint = (): void => {
    sigints++;
    if (sigints === 1) {
      signal = 'SIGINT';
      mainTask?.cancel('SIGINT');
    } else if (sigints === 2) {
      process.stderr.write(`${formatTaskTree()}\nPress Ctrl-C again to exit at once.\n`);
    } else {
      process.exit(130);
    }
  };
  const onSigterm = (): void => {
    signal ??= 'SIGTERM';
    mainTask?.cancel('SIGTERM');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    await runInternal(main, opts, (t) => {
      mainTask = t;
    });
    process.exitCode = 0;
  } catch (e) {
    if (CancelledError.is(e) && signal !== undefined) {
      process.exitCode = signal === 'SIGINT' ? 130 : 143;
    } else {
      const err = e as { name?: string; message?: string; stack?: string };
      const debug = opts.debug ?? process.env.AIOTS_DEBUG === '1';
      const line = err instanceof Error ? `${err.name}: ${err.message}` : `Error: ${String(e)}`;
      process.stderr.write(`${debug && err?.stack ? err.stack : line}\n`);
      process.exitCode = 1;
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}
