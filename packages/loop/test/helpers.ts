/** Helpers shared by the loop test files. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  currentTask,
  type ExceptionContext,
  type Future,
  getRunningLoop,
  type Loop,
  sleep,
  type Task,
} from '@aiots/loop';

/** Lets the loop run a few batches (`sleep(0)` each). */
export async function runBriefly(batches = 3): Promise<void> {
  for (let i = 0; i < batches; i++) await sleep(0);
}

/** The error `p` rejects with; fails the test if `p` fulfils. */
export async function rejection(p: PromiseLike<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${String(v)}`);
    },
    (e: unknown) => e,
  );
}

/** The error `p` rejects with, or the string 'fulfilled'. */
export async function rejectionOf(p: PromiseLike<unknown>): Promise<unknown> {
  return p.then(
    () => 'fulfilled',
    (e: unknown) => e,
  );
}

/** The current task; throws outside one. */
export function me(): Task<unknown> {
  const t = currentTask();
  if (t === undefined) throw new Error('expected to run inside a task');
  return t;
}

/** A pending Future of the running loop, named `label` in the task tree. */
export function future<T>(label: string): Future<T> {
  return getRunningLoop().createFuture<T>({ label });
}

/** A native promise with its resolve function: a foreign awaitable, or a latch. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves after Node's next check phase. */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Blocks the thread for `ms` milliseconds, on purpose. */
export function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Block the loop on purpose.
  }
}

/**
 * Runs `test/fixtures/<name>` in a child Node with `--expose-gc` (for tests that need a real
 * garbage collection) and returns its exit code and output.
 */
export async function runGcFixture(
  name: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const fixture = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', '--conditions=@aiots/source', fixture], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

/** Collects what the exception handler of `loop` (default: the running one) receives. */
export function captureHandler(loop: Loop = getRunningLoop()): ExceptionContext[] {
  const seen: ExceptionContext[] = [];
  loop.setExceptionHandler((context) => {
    seen.push(context);
  });
  return seen;
}
