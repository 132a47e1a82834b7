import { BrokenWorkerError } from '@aiots/executors';
import { type ExceptionContext, getRunningLoop, run, sleep } from '@aiots/loop';
import { expect, test } from 'vitest';
import { pools } from './helpers.ts';

test.each(pools)(
  '%s: a crash while no job runs goes to the loop exception handler, and the pool goes on',
  async (_name, Pool) => {
    await run(async () => {
      const reports: ExceptionContext[] = [];
      getRunningLoop().setExceptionHandler((context) => reports.push(context));
      await using pool = new Pool({ maxWorkers: 1 });
      // The job returns at once; the timer it leaves behind throws while the worker is idle.
      const late = await pool.submit(() => {
        setTimeout(() => {
          throw new Error('late timer');
        }, 20);
        return 'returned';
      });
      expect(late).toBe('returned');
      while (reports.length === 0) await sleep(5);
      expect(reports[0]?.message).toMatch(
        /crashed between jobs \(no job was running\); it was replaced/,
      );
      const err = reports[0]?.exception as BrokenWorkerError;
      expect(BrokenWorkerError.is(err)).toBe(true);
      expect((err.cause as Error).message).toBe('late timer');
      expect(await pool.submit((x: number) => x + 1, 1)).toBe(2);
      expect(pool.stats()).toMatchObject({ crashed: 1, failed: 0, completed: 2 });
    });
  },
);
