import { ThreadPoolExecutor } from '@aiots/executors';
import { expect, test } from 'vitest';
import { expectHealthy, runCrashes, work } from './crash-helpers.ts';

test('threads: 10,000 jobs, 1% exiting, throwing from a timer or running out of memory, all settle', async () => {
  await using pool = new ThreadPoolExecutor({
    maxWorkers: 2,
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  });
  const seen = await runCrashes(pool, [
    'exit',
    'timer',
    'exit',
    'timer',
    'exit',
    'timer',
    'exit',
    'timer',
    'exit',
    'timer',
    'exit',
    'timer',
    'exit',
    'timer',
    'exit',
    'timer',
    'exit',
    'timer',
    'oom',
    'timer',
  ]);
  expect(seen).toEqual(
    new Map([
      ['exit', 45],
      ['timer', 50],
      ['oom', 5],
    ]),
  );
  expectHealthy(pool, 100);
  expect(await pool.submit(work, 21, 'ok')).toBe(42);
}, 60_000);
