/**
 * Shared test helpers: run a test body on a fresh loop (real clock: these tests do real
 * I/O), let ready callbacks run, and capture what reaches the loop's exception handler.
 */
import { type ExceptionContext, getRunningLoop, run, sleep } from '@aiots/loop';

/** Wraps a test body: `test('x', inLoop(async () => ...))`. */
export function inLoop<T>(main: () => Promise<T>): () => Promise<T> {
  return () => run(main);
}

/** Lets the callbacks queued so far (and a few batches after them) run. */
export async function tick(turns = 4): Promise<void> {
  for (let i = 0; i < turns; i++) await sleep(0);
}

/** Records every context the running loop's exception handler receives. */
export function captureExceptions(): ExceptionContext[] {
  const seen: ExceptionContext[] = [];
  getRunningLoop().setExceptionHandler((ctx) => {
    seen.push(ctx);
  });
  return seen;
}

/** Swallows an expected rejection so it is neither unhandled nor reported. */
export function quiet(p: PromiseLike<unknown>): void {
  Promise.resolve(p).catch(() => {});
}

/** The Buffer of a string. */
export function b(s: string): Buffer {
  return Buffer.from(s);
}

/**
 * Yields to Node's I/O (one event-loop turn at a time, no timers) until `predicate()` holds,
 * at most `turns` times: for counters that only real I/O moves, such as datagrams received.
 */
export async function ioUntil(predicate: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns && !predicate(); i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!predicate()) throw new Error(`ioUntil: still false after ${turns} I/O turns`);
}
