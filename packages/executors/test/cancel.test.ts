import { ThreadPoolExecutor } from '@aiots/executors';
import {
  CancelledError,
  createTask,
  getRunningLoop,
  sleep,
  TimeoutError,
  taskGroup,
  timeout,
  waitFor,
} from '@aiots/loop';
import { describe, expect, test } from 'vitest';
import { alive, job, pools, startMarker, until } from './helpers.ts';

const whoAmI = job<[], string>('whoAmI');
const spin = job<[Int32Array?], never>('spin');
const politeWait = job<[], string>('politeWait');
const markThenSpin = job<[string], never>('markThenSpin');

function pidOf(who: string): number {
  return Number(who.split(':')[0]);
}

describe.each(pools)('%s cancellation', (_name, Pool) => {
  test('cancelling a queued job removes it: it never reaches a worker', async () => {
    await using pool = new Pool({ maxWorkers: 1, cancelGraceMs: 10_000 });
    const first = pool.submit(politeWait);
    const queued = pool.submit(whoAmI);
    await until(() => pool.stats().running === 1);
    expect(pool.stats().queued).toBe(1);
    queued.cancel('not needed');
    await expect(queued).rejects.toSatisfy(
      (e) => CancelledError.is(e) && (e as Error).message === 'not needed',
    );
    expect(pool.stats()).toMatchObject({ queued: 0, running: 1, cancelled: 1 });
    first.cancel();
    await expect(first).rejects.toSatisfy(CancelledError.is);
    expect(pool.stats()).toMatchObject({ completed: 0, cancelled: 2, crashed: 0 });
  });

  test('cancelling a running job that ignores its signal terminates its worker and starts a fresh one', async () => {
    await using pool = new Pool({ maxWorkers: 1, cancelGraceMs: 0 });
    const before = await pool.submit(whoAmI);
    // `stats().running` counts jobs sent to a worker; one cancelled before it starts is
    // dropped by the worker, which then lives on. Wait for the job itself to say it runs.
    const marker = startMarker();
    const task = pool.submit(markThenSpin, marker.path);
    await marker.started();
    task.cancel();
    await expect(task).rejects.toSatisfy(CancelledError.is);
    expect(task.cancelled()).toBe(true);
    const after = await pool.submit(whoAmI);
    expect(after).not.toBe(before);
    if (Pool !== ThreadPoolExecutor) expect(alive(pidOf(before))).toBe(false);
    expect(pool.stats()).toMatchObject({ workers: 1, crashed: 0, cancelled: 1, failed: 0 });
  });

  test('the job signal aborts first: a job that finishes within cancelGraceMs keeps its worker', async () => {
    await using pool = new Pool({ maxWorkers: 1, cancelGraceMs: 10_000 });
    const before = await pool.submit(whoAmI);
    const task = pool.submit(politeWait);
    await until(() => pool.stats().running === 1);
    task.cancel();
    await expect(task).rejects.toSatisfy(CancelledError.is);
    expect(await pool.submit(whoAmI)).toBe(before);
  });

  test('cancelling the task that awaits a job cancels the job', async () => {
    await using pool = new Pool({ maxWorkers: 1, cancelGraceMs: 0 });
    const before = await pool.submit(whoAmI);
    const marker = startMarker();
    const outer = createTask(async () => await pool.submit(markThenSpin, marker.path));
    await marker.started();
    outer.cancel();
    await expect(outer).rejects.toSatisfy(CancelledError.is);
    expect(pool.stats().running).toBe(0);
    expect(await pool.submit(whoAmI)).not.toBe(before);
  });

  test('waitFor and timeout around submit stop the work at the deadline', async () => {
    await using pool = new Pool({ maxWorkers: 1, cancelGraceMs: 0 });
    const first = await pool.submit(whoAmI);
    // The deadlines count from the job's start (a loaded machine can delay it past 30 ms, and a
    // job cancelled before it starts leaves its worker alive, rightly).
    const one = startMarker();
    const job1 = pool.submit(markThenSpin, one.path);
    await one.started();
    await expect(waitFor(job1, 30)).rejects.toBeInstanceOf(TimeoutError);
    expect(pool.stats().running).toBe(0);
    const second = await pool.submit(whoAmI);
    expect(second).not.toBe(first);
    await expect(
      timeout(null, async (scope) => {
        const two = startMarker();
        const job2 = pool.submit(markThenSpin, two.path);
        await two.started();
        scope.reschedule(getRunningLoop().time() + 30);
        return await job2;
      }),
    ).rejects.toBeInstanceOf(TimeoutError);
    expect(pool.stats().running).toBe(0);
    expect(await pool.submit(whoAmI)).not.toBe(second);
    if (Pool !== ThreadPoolExecutor) {
      expect(alive(pidOf(first))).toBe(false);
      expect(alive(pidOf(second))).toBe(false);
    }
  });

  test('a task group cancels a running sibling job when another job fails', async () => {
    await using pool = new Pool({ maxWorkers: 2, cancelGraceMs: 0 });
    let spinning: ReturnType<typeof pool.submit> | undefined;
    await expect(
      taskGroup(async (tg) => {
        spinning = pool.submit(spin);
        tg.createTask(() => spinning as unknown as Promise<never>);
        tg.createTask(async () => {
          await until(() => pool.stats().running === 1);
          await pool.submit(() => {
            throw new Error('boom');
          });
        });
      }),
    ).rejects.toThrow(/unhandled errors in a TaskGroup/);
    expect(spinning?.cancelled()).toBe(true);
    expect(pool.stats().running).toBe(0);
  });
});

test('threads: after a timeout the cancelled job makes no more progress', async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1, cancelGraceMs: 0 });
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const task = pool.submit(spin, progress);
  await until(() => Atomics.load(progress, 0) > 0);
  await expect(waitFor(task, 20)).rejects.toBeInstanceOf(TimeoutError);
  const seen = Atomics.load(progress, 0);
  await sleep(50);
  expect(Atomics.load(progress, 0)).toBe(seen);
});
