/**
 * Shared test helpers: asyncio's `run_briefly`, and a way to let every ready callback run.
 */
import { sleep } from '@aiots/loop';

/**
 * Lets the callbacks queued so far (and those they queue, `turns` batches deep) run: the
 * `await asyncio.sleep(0)` of CPython's tests. Our wakeups may take a batch or two more than
 * asyncio's, which DESIGN.md leaves out of the contract, so ports use a few turns.
 */
export async function tick(turns = 4): Promise<void> {
  for (let i = 0; i < turns; i++) await sleep(0);
}

/**
 * On a VirtualClock: returns once nothing at all is ready to run (time only jumps when the
 * loop is idle), so every task has gone as far as it can.
 */
export async function settle(): Promise<void> {
  await sleep(0.001);
  await sleep(0);
}

/** Swallows an expected rejection so it is neither unhandled nor reported. */
export function quiet(p: PromiseLike<unknown>): void {
  Promise.resolve(p).catch(() => {});
}
