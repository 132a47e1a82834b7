/**
 * Test helpers: run async code on a `VirtualClock`, the pytest-asyncio analogue for vitest.
 */
import { VirtualClock } from './clock.ts';
import { type RunOptions, run } from './run.ts';

/** Options of `runVirtual` and `virtualTest`. */
export interface VirtualOptions extends Omit<RunOptions, 'clock'> {
  /** Real idle milliseconds to wait before virtual time jumps (lets real I/O arrive). */
  autojumpThresholdMs?: number;
}

/**
 * Runs `main` with `run()` on a fresh `VirtualClock`: sleeps and timeouts take no real time.
 *
 * @example
 * ```ts
 * import { getRunningLoop, sleep } from '@aiots/loop';
 * import { runVirtual } from '@aiots/loop/testing';
 * await runVirtual(async () => {
 *   await sleep(60_000);
 *   console.log(getRunningLoop().time()); // 60000
 * });
 * ```
 */
export function runVirtual<T>(main: () => Promise<T>, opts: VirtualOptions = {}): Promise<T> {
  const { autojumpThresholdMs, ...rest } = opts;
  return run(main, {
    ...rest,
    clock: new VirtualClock(autojumpThresholdMs === undefined ? {} : { autojumpThresholdMs }),
  });
}

/**
 * Wraps a test body so it runs on a virtual clock: `test('retries', virtualTest(async () => …))`.
 *
 * @example
 * ```ts
 * import { sleep } from '@aiots/loop';
 * import { virtualTest } from '@aiots/loop/testing';
 * const body = virtualTest(async () => { await sleep(3_600_000); });
 * await body(); // returns at once
 * ```
 */
export function virtualTest<T>(
  main: () => Promise<T>,
  opts: VirtualOptions = {},
): () => Promise<T> {
  return () => runVirtual(main, opts);
}
