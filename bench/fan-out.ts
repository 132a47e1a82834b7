// The bounded fan-out cases that the loop and sync suites share: 100k trivial jobs through
// the loop's limited task group, and through p-limit.
import { run, taskGroup } from '@aiots/loop';
import pLimit from 'p-limit';

/**
 * Our side of a comparison, as users run it: the body on a loop of its own (`run()`).
 * Peers and floors run outside any aiots context, so they pay nothing of ours.
 */
export function inRun(body: () => Promise<void>): () => Promise<void> {
  return () => run(body);
}

/** The job every fan-out case runs: an async function that returns at once. */
export async function trivial(): Promise<number> {
  return 1;
}

/** `n` trivial children of a `taskGroup` with `{ limit }`. */
export function groupLimited(n: number, limit: number): () => Promise<void> {
  return async () => {
    await taskGroup(
      async (tg) => {
        for (let i = 0; i < n; i++) tg.createTask(trivial);
      },
      { limit },
    );
  };
}

/** `n` trivial jobs through `p-limit(concurrency)`, awaited with `Promise.all`. */
export function pLimited(n: number, concurrency: number): () => Promise<void> {
  return async () => {
    const limit = pLimit(concurrency);
    const all = new Array<Promise<number>>(n);
    for (let i = 0; i < n; i++) all[i] = limit(trivial);
    await Promise.all(all);
  };
}
