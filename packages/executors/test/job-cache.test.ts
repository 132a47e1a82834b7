// The caches of job functions are bounded: a program that submits ever new function sources
// (generated code, a plugin per request) must not grow without end, in this process or in
// the workers, and a function pushed out of a cache still runs when it comes back.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { job, pools } from './helpers.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A job that reports its worker's heap after a full collection. */
const workerHeap = () => {
  const v8 = process.getBuiltinModule('node:v8');
  const vm = process.getBuiltinModule('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const collect = vm.runInNewContext('gc') as () => void;
  collect();
  collect();
  return v8.getHeapStatistics().used_heap_size;
};

const PAD = 'x'.repeat(4096);

/**
 * The `i`th of many different job functions, each about 4 KB of source. `tag` keeps each
 * test's sources new: V8 caches the compilation of a source it has seen, and that cache
 * (not ours) would hold a test's strings when the next test makes the same functions.
 */
function generated(tag: string, i: number): (x: number) => number {
  return new Function('x', `/* ${tag} ${i} ${PAD} */ return x + ${i};`) as (x: number) => number;
}

describe.each(pools)('%s job cache', (_name, Pool) => {
  test('thousands of distinct job functions leave the pool and its worker no bigger', async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    const tag = `${Pool.name} ${Math.random()}`;
    await pool.submit(workerHeap);
    const n = 3000;
    // Warm up with the first batch, so both heaps hold what a working pool holds.
    for (let i = 0; i < 50; i++) expect(await pool.submit(generated(tag, i), 1)).toBe(1 + i);
    const mainBefore = heapUsed();
    const workerBefore = await pool.submit(workerHeap);
    for (let from = 50; from < n; from += 50) {
      const batch = [];
      for (let i = from; i < from + 50; i++) batch.push(pool.submit(generated(tag, i), 1));
      expect(await Promise.all(batch)).toEqual(batch.map((_, k) => 1 + from + k));
    }
    const mainGrowth = heapUsed() - mainBefore;
    const workerGrowth = (await pool.submit(workerHeap)) - workerBefore;
    // Unbounded, each side keeps all 12 MB of source; bounded, a few hundred functions.
    expect(mainGrowth).toBeLessThan(6 * 2 ** 20);
    expect(workerGrowth).toBeLessThan(6 * 2 ** 20);
    // The first functions were pushed out of both caches long ago: they still run.
    for (let i = 0; i < 5; i++) expect(await pool.submit(generated(tag, i), 2)).toBe(2 + i);
  }, 120_000);

  test('more distinct functions in flight than a worker keeps: each job runs its own', async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    const tag = `${Pool.name} ${Math.random()}`;
    const add = job<[number, number], number>('add');
    const inc = job<[number], number>('default');
    for (let round = 0; round < 3; round++) {
      // Submitted in one go: up to hundreds travel in one batch, all in flight at once.
      const tasks: PromiseLike<number>[] = [];
      const expected: number[] = [];
      for (let i = 0; i < 700; i++) {
        if (i % 7 === 0) {
          tasks.push(pool.submit(add, i, round));
          expected.push(i + round);
        } else if (i % 11 === 0) {
          tasks.push(pool.submit(inc, i));
          expected.push(i + 1);
        } else {
          tasks.push(pool.submit(generated(tag, i), round));
          expected.push(round + i);
        }
      }
      expect(await Promise.all(tasks)).toEqual(expected);
    }
  }, 120_000);
});
