import { ProcessPoolExecutor } from '@aiots/executors';
import { expect, test } from 'vitest';
import { expectHealthy, runCrashes, work } from './crash-helpers.ts';

test('processes: 10,000 jobs, 1% exiting, throwing from a timer or killed by SIGKILL, all settle', async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
  const seen = await runCrashes(pool, ['exit', 'timer', 'kill', 'exit', 'timer']);
  expect(seen).toEqual(
    new Map([
      ['exit', 40],
      ['timer', 40],
      ['kill', 20],
    ]),
  );
  expectHealthy(pool, 100);
  expect(await pool.submit(work, 21, 'ok')).toBe(42);
}, 60_000);
