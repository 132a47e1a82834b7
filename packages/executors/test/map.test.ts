import { transfer } from '@aiots/executors';
import { CancelledError, createTask, sleep } from '@aiots/loop';
import { describe, expect, test } from 'vitest';
import { job, pools, until } from './helpers.ts';

const sleepMs = job<[number], number>('sleepMs');

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.each(pools)('%s map', (_name, Pool) => {
  test('results come in input order whatever order the jobs finish in', async () => {
    await using pool = new Pool({ maxWorkers: 2 });
    const delays = [40, 1, 25, 0, 10, 3, 30, 2];
    expect(await collect(pool.map(sleepMs, delays))).toEqual(delays);
  });

  test('chunksize sends items in groups and keeps the order', async () => {
    await using pool = new Pool({ maxWorkers: 2 });
    const items = Array.from({ length: 103 }, (_, i) => i);
    expect(await collect(pool.map((x: number) => x * x, items, { chunksize: 10 }))).toEqual(
      items.map((x) => x * x),
    );
  });

  test('transfer() items are moved, whatever the chunksize', async () => {
    await using pool = new Pool({ maxWorkers: 2 });
    for (const chunksize of [1, 2, 3]) {
      const items = [1, 2, 3, 4, 5].map((n) => new Uint8Array(n).fill(n));
      const sums = await collect(
        pool.map(
          (b: Uint8Array) => b.reduce((a, x) => a + x, 0),
          items.map((b) => transfer(b)),
          { chunksize },
        ),
      );
      expect(sums).toEqual([1, 4, 9, 16, 25]);
      expect(items.map((b) => b.byteLength)).toEqual([0, 0, 0, 0, 0]); // moved at once
    }
  });

  test('an async iterable input works', async () => {
    await using pool = new Pool({ maxWorkers: 2 });
    async function* gen() {
      for (let i = 0; i < 5; i++) {
        await sleep(1);
        yield i;
      }
    }
    expect(await collect(pool.map((x: number) => `#${x}`, gen()))).toEqual([
      '#0',
      '#1',
      '#2',
      '#3',
      '#4',
    ]);
  });

  test('a slow consumer does not make the pool read the whole input', async () => {
    await using pool = new Pool({ maxWorkers: 2 });
    let pulls = 0;
    let closed = false;
    function* endless() {
      try {
        for (let i = 0; ; i++) {
          pulls++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const seen: number[] = [];
    for await (const y of pool.map((x: number) => x + 1, endless(), { prefetch: 3 })) {
      seen.push(y);
      await sleep(5); // a slow consumer
      expect(pulls).toBeLessThanOrEqual(seen.length + 3);
      if (seen.length === 10) break;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(closed).toBe(true);
    expect(pulls).toBeLessThanOrEqual(13);
    // Leaving the loop cancels the jobs still in flight and waits until they have stopped.
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0 });
  });

  test('breaking out of the loop stops the jobs it started before the loop moves on', async () => {
    await using pool = new Pool({ maxWorkers: 2, cancelGraceMs: 20 });
    const firstThenSpin = (x: number) => {
      if (x === 0) return 0;
      for (;;);
    };
    const seen: number[] = [];
    for await (const y of pool.map(firstThenSpin, [0, 1, 2, 3])) {
      seen.push(y);
      break;
    }
    expect(seen).toEqual([0]);
    // Nothing of the map is left running or queued: the spinning workers were terminated.
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, completed: 1, cancelled: 3 });
  });

  test("the iterator's return() resolves once the jobs have stopped", async () => {
    await using pool = new Pool({ maxWorkers: 1, cancelGraceMs: 20 });
    const it = pool.map(
      (x: number) => {
        if (x > 0) for (;;);
        return x;
      },
      [0, 1, 2],
    );
    expect(await it.next()).toEqual({ done: false, value: 0 });
    expect(await it.return?.()).toEqual({ done: true, value: undefined });
    // Item 1 was in flight (prefetch 2) and is stopped; item 2 was never read.
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, completed: 1, cancelled: 1 });
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  test('a failing item: the results before it are yielded, then its error is thrown', async () => {
    await using pool = new Pool({ maxWorkers: 2 });
    const fail3 = (x: number) => {
      if (x === 3) throw new RangeError(`bad ${x}`);
      return x;
    };
    for (const chunksize of [1, 2]) {
      const seen: number[] = [];
      await expect(async () => {
        for await (const y of pool.map(fail3, [0, 1, 2, 3, 4, 5], { chunksize })) seen.push(y);
      }).rejects.toThrow(new RangeError('bad 3'));
      expect(seen).toEqual([0, 1, 2]);
    }
  });

  test('cancelling the consuming task cancels the jobs in flight', async () => {
    await using pool = new Pool({ maxWorkers: 2, cancelGraceMs: 0 });
    const consumer = createTask(async () => {
      for await (const _ of pool.map(() => {
        for (;;);
      }, [1, 2, 3, 4])) {
        // never reached
      }
    });
    await until(() => pool.stats().running >= 2);
    consumer.cancel();
    await expect(consumer).rejects.toSatisfy(CancelledError.is);
    // The consumer ends only once the jobs of its map have stopped.
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, cancelled: 4 });
  });
});
