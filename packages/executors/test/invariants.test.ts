import { CancelledError, sleep } from '@aiots/loop';
import { describe, expect, test } from 'vitest';
import { pools } from './helpers.ts';

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const mixed = async (i: number, kind: number): Promise<number> => {
  if (kind === 1) await new Promise((resolve) => setTimeout(resolve, i % 3));
  if (kind === 2) throw new RangeError(`job ${i}`);
  return i * 3;
};

describe.each(pools)('%s under random cancellation', (_name, Pool) => {
  test('every job settles exactly once with its own outcome, and nothing is left behind', async () => {
    await using pool = new Pool({ maxWorkers: 2, cancelGraceMs: 5 });
    const random = prng(0xa10b);
    const n = 3000;
    const kinds = Array.from({ length: n }, () => (random() < 0.2 ? 1 : random() < 0.1 ? 2 : 0));
    const tasks = kinds.map((kind, i) => pool.submit(mixed, i, kind));
    const cancelNow = new Set<number>();
    const cancelLater = new Set<number>();
    for (let i = 0; i < n; i++) {
      const r = random();
      if (r < 0.15) cancelNow.add(i);
      else if (r < 0.3) cancelLater.add(i);
    }
    for (const i of cancelNow) tasks[i]?.cancel();
    await sleep(1);
    for (const i of cancelLater) {
      tasks[i]?.cancel();
      if (random() < 0.05) await sleep(1);
    }
    const outcomes = await Promise.allSettled(tasks);
    let cancelled = 0;
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected' && CancelledError.is(o.reason)) {
        expect(cancelNow.has(i) || cancelLater.has(i)).toBe(true);
        cancelled++;
      } else if (kinds[i] === 2) {
        expect(o).toEqual({ status: 'rejected', reason: new RangeError(`job ${i}`) });
      } else {
        expect(o).toEqual({ status: 'fulfilled', value: i * 3 });
      }
    });
    for (const i of cancelNow) expect(tasks[i]?.cancelled()).toBe(true);
    const s = pool.stats();
    expect(s.completed + s.failed + s.cancelled).toBe(n);
    expect(s.cancelled).toBe(cancelled);
    expect(s).toMatchObject({ queued: 0, running: 0, crashed: 0 });
  }, 60_000);
});
