/** Shared helpers of the serial tests. */
import { type ExceptionContext, getRunningLoop, run } from '@aiots/loop';

/** Wraps a test body: `test('x', inLoop(async () => ...))`. */
export function inLoop<T>(main: () => Promise<T>): () => Promise<T> {
  return () => run(main);
}

/** Records every context the running loop's exception handler receives. */
export function captureExceptions(): ExceptionContext[] {
  const seen: ExceptionContext[] = [];
  getRunningLoop().setExceptionHandler((ctx) => {
    seen.push(ctx);
  });
  return seen;
}
