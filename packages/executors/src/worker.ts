/**
 * `@aiots/executors/worker`: helpers for code that runs inside a pool's worker. Light on
 * purpose (no `@aiots/loop`), and state lives on `globalThis`, so a job module that loads a
 * different copy of this file than the runtime did still sees the running job.
 */
import { RUNTIME_KEY } from './protocol.js';

export { type Transferred, transfer } from './transfer.ts';

/**
 * The `AbortSignal` of the job that is running in this worker. It aborts (with an
 * `AbortError` DOMException) when the job is cancelled in the pool; the worker is terminated
 * only if the job has not finished `cancelGraceMs` later, so a job that listens can clean up
 * and return. A job that runs synchronously never sees it abort: only code that awaits can.
 *
 * @returns the running job's signal.
 * @throws {TypeError} outside a job (at module top level, on the main thread, after the job returned).
 * @example
 * ```ts
 * // jobs.ts, submitted as { module: new URL('./jobs.ts', import.meta.url), name: 'download' }
 * import { jobSignal } from '@aiots/executors/worker';
 * export async function download(url: string): Promise<string> {
 *   const res = await fetch(url, { signal: jobSignal() });
 *   return await res.text();
 * }
 * ```
 */
export function jobSignal(): AbortSignal {
  const runtime = (globalThis as Record<symbol, unknown>)[RUNTIME_KEY] as
    | { signal(): AbortSignal }
    | undefined;
  if (runtime === undefined) {
    throw new TypeError(
      'jobSignal() must be called inside a job running on an @aiots/executors worker, not on the main thread',
    );
  }
  return runtime.signal();
}

/**
 * True when this code runs inside an `@aiots/executors` worker (thread or process).
 *
 * @example
 * ```ts
 * import { inWorker } from '@aiots/executors/worker';
 * console.log(inWorker()); // false
 * ```
 */
export function inWorker(): boolean {
  return (globalThis as Record<symbol, unknown>)[RUNTIME_KEY] !== undefined;
}
