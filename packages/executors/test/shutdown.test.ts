import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ExecutorShutdownError } from '@aiots/executors';
import { CancelledError } from '@aiots/loop';
import { describe, expect, test } from 'vitest';
import { job, pools, startMarker, until } from './helpers.ts';

const sleepMs = job<[number], number>('sleepMs');
const markThenSleep = job<[string, number], number>('markThenSleep');
const whoAmI = job<[], string>('whoAmI');

describe.each(pools)('%s shutdown', (_name, Pool) => {
  test('shutdown() waits for queued and running jobs, then for the workers; submit after it throws', async () => {
    const pool = new Pool({ maxWorkers: 1 });
    const tasks = [pool.submit(sleepMs, 30), pool.submit(sleepMs, 1), pool.submit(whoAmI)];
    await pool.shutdown();
    expect(tasks.map((t) => t.done())).toEqual([true, true, true]);
    expect(tasks[0]?.result()).toBe(30);
    expect(pool.stats()).toMatchObject({ workers: 0, queued: 0, running: 0, completed: 3 });
    expect(() => pool.submit(whoAmI)).toThrow(ExecutorShutdownError);
    expect(() => pool.submit(whoAmI)).toThrow(/after shutdown\(\)/);
    await pool.shutdown(); // again: harmless
  });

  test('shutdown({ cancelFutures: true }) cancels jobs that have not started; the running one finishes', async () => {
    const pool = new Pool({ maxWorkers: 1 });
    await pool.submit(whoAmI); // the job module is loaded: the next job starts as soon as it arrives
    // `stats().running` counts jobs sent to a worker, which may not have started yet: wait for
    // the job itself to say it runs.
    const marker = startMarker();
    const running = pool.submit(markThenSleep, marker.path, 50);
    const queued = [pool.submit(whoAmI), pool.submit(whoAmI), pool.submit(whoAmI)];
    await marker.started();
    await pool.shutdown({ cancelFutures: true });
    expect(running.result()).toBe(50);
    for (const t of queued) expect(t.cancelled()).toBe(true);
    expect(pool.stats()).toMatchObject({ workers: 0, completed: 2, cancelled: 3 });
  });

  test('shutdown({ wait: false }) returns at once; the jobs finish and the workers exit after', async () => {
    const pool = new Pool({ maxWorkers: 1 });
    const task = pool.submit(sleepMs, 30);
    await pool.shutdown({ wait: false });
    expect(task.done()).toBe(false);
    expect(await task).toBe(30);
    await until(() => pool.stats().workers === 0);
  });

  test('await using shuts the pool down at the end of the scope', async () => {
    let outer: InstanceType<typeof Pool> | undefined;
    {
      await using pool = new Pool({ maxWorkers: 1 });
      outer = pool;
      expect(await pool.submit((x: number) => x * 2, 21)).toBe(42);
    }
    expect(outer.stats().workers).toBe(0);
    expect(() => outer?.submit(whoAmI)).toThrow(ExecutorShutdownError);
  });

  test('destroy() cancels every job, running ones too, and ends the workers', async () => {
    const pool = new Pool({ maxWorkers: 1 });
    const running = pool.submit(() => {
      for (;;);
    });
    const queued = pool.submit(whoAmI);
    await until(() => pool.stats().running === 1);
    await pool.destroy();
    await expect(running).rejects.toSatisfy(CancelledError.is);
    expect(queued.cancelled()).toBe(true);
    expect(pool.stats()).toMatchObject({ workers: 0, running: 0, queued: 0 });
  });

  test('idle workers exit after idleTimeoutMs; a new job starts a new one', async () => {
    await using pool = new Pool({ maxWorkers: 1, idleTimeoutMs: 20 } as never);
    const first = await pool.submit(whoAmI);
    await until(() => pool.stats().workers === 0);
    expect(await pool.submit(whoAmI)).not.toBe(first);
  });
});

test('a program that never calls shutdown() still exits when its jobs are done', async () => {
  const script = fileURLToPath(new URL('./fixtures/forgetful.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@aiots/source', script],
    {
      timeout: 30_000,
    },
  );
  expect(stdout.trim()).toBe('done 2 6');
});
