/**
 * Barrier: the CPython cases of asyncio-semantics.md section 4.H (133), from test_locks.py
 * `BarrierTests`, plus stats(), signals and bad input.
 */
import {
  CancelledError,
  createTask,
  gather,
  getRunningLoop,
  run,
  sleep,
  type Task,
  VirtualClock,
  wait,
  waitFor,
} from '@aiots/loop';
import { virtualTest } from '@aiots/loop/testing';
import { Barrier, BrokenBarrierError } from '@aiots/sync';
import { describe, expect, test } from 'vitest';
import { settle, tick } from './helpers.ts';

const N = 5;

function makeTasks<T>(n: number, body: () => Promise<T>): Task<T>[] {
  return Array.from({ length: n }, () => createTask(body));
}

async function gatherTasks<T>(n: number, body: () => Promise<T>): Promise<T[]> {
  return (await gather(makeTasks(n, body))) as T[];
}

describe('Barrier: CPython BarrierTests', () => {
  test('test_barrier: not a thenable; starts filling', async () => {
    const barrier = new Barrier(N);
    expect(String(barrier)).toContain('filling');
    expect('then' in barrier).toBe(false);
    expect(await barrier).toBe(barrier);
    expect(String(barrier)).toContain('filling');
  });

  test(
    'test_repr: toString follows the state',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      expect(String(barrier)).toBe(`<Barrier [filling, waiters:0/${N}]>`);
      const waiters: Task<unknown>[] = [];
      for (let i = 0; i < 2; i++) waiters.push(createTask(() => barrier.wait()));
      await settle();
      expect(String(barrier)).toBe(`<Barrier [filling, waiters:2/${N}]>`);
      // The first task out sees the barrier draining.
      const seen: string[] = [];
      for (let i = 0; i < barrier.parties - barrier.nWaiting; i++) {
        waiters.push(
          createTask(async () => {
            await barrier.wait();
            seen.push(String(barrier));
          }),
        );
      }
      await settle();
      expect(seen[0]).toBe('<Barrier [draining, waiters:0/5]>');
      for (let i = 0; i < 2; i++) waiters.push(createTask(() => barrier.wait()));
      await settle();
      barrier.reset();
      expect(String(barrier)).toBe('<Barrier [resetting, waiters:0/5]>');
      await settle();
      for (let i = 0; i < 2; i++) waiters.push(createTask(() => barrier.wait()));
      await settle();
      barrier.abort();
      expect(String(barrier)).toBe('<Barrier [broken]>');
      expect(barrier.broken).toBe(true);
      await gather(waiters, { returnExceptions: true });
    }),
  );

  test('test_barrier_parties: Barrier(0) and Barrier(-4) are RangeErrors', () => {
    expect(() => new Barrier(0)).toThrow(RangeError);
    expect(() => new Barrier(0)).toThrow(
      'Barrier expected `parties` to be an integer from 1 and up, got 0',
    );
    expect(() => new Barrier(-4)).toThrow(RangeError);
    expect(() => new Barrier(2.5)).toThrow(RangeError);
    expect(() => new Barrier(Number.NaN)).toThrow(
      'Barrier expected `parties` to be an integer from 1 and up, got NaN',
    );
    expect(() => new Barrier(undefined as never)).toThrow(TypeError);
    expect(new Barrier(N)).toBeInstanceOf(Barrier);
  });

  test(
    'test_context_manager analogue: every task gets a distinct index',
    virtualTest(async () => {
      const barrier = new Barrier(3);
      const results = await gatherTasks(3, () => barrier.wait());
      expect([...results].sort()).toEqual([0, 1, 2]);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    }),
  );

  test(
    'test_filling_one_task',
    virtualTest(async () => {
      const barrier = new Barrier(1);
      expect(await barrier.wait()).toBe(0);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    }),
  );

  test(
    'test_filling_one_task_twice',
    virtualTest(async () => {
      const barrier = new Barrier(1);
      const t1 = createTask(() => barrier.wait());
      await settle();
      expect(barrier.nWaiting).toBe(0);
      const t2 = createTask(() => barrier.wait());
      await settle();
      expect(t1.result()).toBe(t2.result());
      expect(t1.done()).toBe(t2.done());
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    }),
  );

  test(
    'test_filling_task_by_task: nWaiting counts arrivals; the last one releases all',
    virtualTest(async () => {
      const barrier = new Barrier(3);
      const t1 = createTask(() => barrier.wait());
      await settle();
      expect(barrier.nWaiting).toBe(1);
      expect(String(barrier)).toContain('filling');
      const t2 = createTask(() => barrier.wait());
      await settle();
      expect(barrier.nWaiting).toBe(2);
      const t3 = createTask(() => barrier.wait());
      await wait([t1, t2, t3]);
      expect(new Set([t1.result(), t2.result(), t3.result()])).toEqual(new Set([0, 1, 2]));
      expect(t3.result()).toBe(2); // the last to arrive gets parties - 1
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    }),
  );

  test(
    'test_filling_tasks_wait_twice',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      const results: boolean[] = [];
      await gatherTasks(N, async () => {
        await barrier.wait();
        results.push(true);
        await barrier.wait();
        results.push(false);
      });
      expect(results.length).toBe(N * 2);
      expect(results.filter((x) => x).length).toBe(N);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    }),
  );

  test(
    'test_filling_tasks_check_return_value',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      const res = await gatherTasks(N, async () => {
        await barrier.wait();
        return await barrier.wait();
      });
      expect([...res].sort()).toEqual([0, 1, 2, 3, 4]);
      expect(barrier.nWaiting).toBe(0);
    }),
  );

  test(
    'test_draining_state: tasks see draining until the last one is out',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      const results: boolean[] = [];
      await gatherTasks(N, async () => {
        await barrier.wait();
        results.push(String(barrier).includes('draining'));
      });
      expect(results.length).toBe(N);
      // The last task out switches the barrier back to filling.
      expect(results[N - 1]).toBe(false);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    }),
  );

  test(
    'test_blocking_tasks_while_draining: arrivals during draining wait for the next round',
    virtualTest(async () => {
      const rewait = 2;
      const barrier = new Barrier(N);
      const barrierNoWaiting = new Barrier(N - rewait);
      let rewaitN = rewait;
      await gatherTasks(N, async () => {
        await barrier.wait();
        if (rewaitN > 0) {
          rewaitN--;
          await barrier.wait();
        } else {
          await barrierNoWaiting.wait();
          await barrier.wait();
        }
      });
      expect(barrier.nWaiting).toBe(0);
    }),
  );

  test(
    'test_filling_tasks_cancel_one: a cancelled waiter leaves; others still pass',
    virtualTest(async () => {
      const barrier = new Barrier(3);
      const results: boolean[] = [];
      const coro = async () => {
        await barrier.wait();
        results.push(true);
      };
      const t1 = createTask(coro);
      await settle();
      expect(barrier.nWaiting).toBe(1);
      const t2 = createTask(coro);
      await settle();
      expect(barrier.nWaiting).toBe(2);
      t1.cancel();
      await settle();
      expect(barrier.nWaiting).toBe(1);
      await expect(t1).rejects.toSatisfy(CancelledError.is);
      expect(t1.cancelled()).toBe(true);
      const t3 = createTask(coro);
      await settle();
      expect(barrier.nWaiting).toBe(2);
      const t4 = createTask(coro);
      await gather([t2, t3, t4]);
      expect(results).toEqual([true, true, true]);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    }),
  );

  test('test_reset_barrier: reset() on an empty barrier', () => {
    const barrier = new Barrier(1);
    barrier.reset();
    expect(barrier.nWaiting).toBe(0);
    expect(barrier.broken).toBe(false);
  });

  test(
    'test_reset_barrier_while_tasks_waiting: waiters get BrokenBarrierError',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      const results: boolean[] = [];
      const tasks = makeTasks(N - 1, async () => {
        try {
          await barrier.wait();
        } catch (e) {
          if (BrokenBarrierError.is(e)) results.push(true);
          else throw e;
        }
      });
      await settle();
      createTask(async () => barrier.reset());
      await gather(tasks);
      expect(results).toEqual([true, true, true, true]);
      expect(barrier.nWaiting).toBe(0);
      expect(String(barrier)).not.toContain('resetting');
      expect(barrier.broken).toBe(false);
    }),
  );

  test(
    'test_reset_barrier_when_tasks_half_draining',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const restOfTasks = Math.floor(N / 2);
      let passed = 0;
      await gatherTasks(N, async () => {
        try {
          await barrier.wait();
        } catch (e) {
          if (!BrokenBarrierError.is(e)) throw e;
          results1.push(true);
          return;
        }
        // asyncio reads barrier._count (tasks still inside): N minus those already out.
        passed++;
        if (restOfTasks === N - passed) barrier.reset();
      });
      // The tasks still draining when the barrier is reset see it resetting and break.
      expect(results1).toEqual(Array(restOfTasks).fill(true));
      expect(barrier.nWaiting).toBe(0);
      expect(String(barrier)).not.toContain('resetting');
      expect(barrier.broken).toBe(false);
    }),
  );

  test(
    'test_reset_barrier_when_tasks_half_draining_half_blocking',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const blockingTasks = Math.floor(N / 2);
      let count = 0;
      await gatherTasks(N, async () => {
        try {
          await barrier.wait();
        } catch (e) {
          if (!BrokenBarrierError.is(e)) throw e;
          results1.push(true);
          await barrier.wait();
          return;
        }
        count++;
        if (count > blockingTasks) {
          barrier.reset();
          await barrier.wait();
        } else {
          try {
            await barrier.wait();
          } catch (e) {
            if (!BrokenBarrierError.is(e)) throw e;
            results2.push(true);
          }
        }
      });
      // The tasks still draining when the barrier is reset see it resetting and break.
      expect(results1).toEqual(Array(blockingTasks).fill(true));
      expect(results2).toEqual([]);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    }),
  );

  test(
    'test_reset_barrier_while_tasks_waiting_and_waiting_again',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const tasks = makeTasks(N - 1, async () => {
        try {
          await barrier.wait();
        } catch (e) {
          if (!BrokenBarrierError.is(e)) throw e;
          results1.push(true);
        } finally {
          await barrier.wait();
          results2.push(true);
        }
      });
      await settle();
      barrier.reset();
      await settle();
      createTask(async () => {
        await barrier.wait();
        results2.push(true);
      });
      await gather(tasks);
      await settle();
      expect(barrier.broken).toBe(false);
      expect(results1.length).toBe(N - 1);
      expect(results2.length).toBe(N);
      expect(barrier.nWaiting).toBe(0);
    }),
  );

  test(
    'test_reset_barrier_while_tasks_draining',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      let count = 0;
      await gatherTasks(N, async () => {
        await barrier.wait();
        count++;
        if (count === N) {
          barrier.reset();
          await barrier.wait();
        } else {
          try {
            await barrier.wait();
            results1.push(true);
          } catch {
            results2.push(true);
          }
        }
        await barrier.wait();
        results3.push(true);
      });
      expect(barrier.broken).toBe(false);
      expect(results1.length).toBe(N - 1);
      expect(results2.length).toBe(0);
      expect(results3.length).toBe(N);
      expect(barrier.nWaiting).toBe(0);
    }),
  );

  test('test_abort_barrier: abort() breaks it for good', async () => {
    const barrier = new Barrier(1);
    barrier.abort();
    expect(barrier.nWaiting).toBe(0);
    expect(barrier.broken).toBe(true);
    await expect(barrier.wait()).rejects.toThrow(new BrokenBarrierError('Barrier aborted'));
  });

  test(
    'test_abort_barrier_when_tasks_half_draining_half_blocking',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const blockingTasks = Math.floor(N / 2);
      let count = 0;
      await gatherTasks(N, async () => {
        try {
          await barrier.wait();
        } catch (e) {
          if (!BrokenBarrierError.is(e)) throw e;
          results1.push(true);
          return;
        }
        count++;
        if (count > blockingTasks) {
          barrier.abort();
        } else {
          try {
            await barrier.wait();
          } catch (e) {
            if (!BrokenBarrierError.is(e)) throw e;
            results2.push(true);
          }
        }
      });
      expect(barrier.broken).toBe(true);
      expect(results1).toEqual(Array(blockingTasks).fill(true));
      expect(results2).toEqual(Array(N - blockingTasks - 1).fill(true));
      expect(barrier.nWaiting).toBe(0);
      expect(String(barrier)).not.toContain('resetting');
    }),
  );

  test(
    'test_abort_barrier_when_exception: a failing party aborts; the others are released',
    virtualTest(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      await gatherTasks(N, async () => {
        try {
          const i = await barrier.wait();
          if (i === Math.floor(N / 2)) throw new RangeError('party failed');
          await barrier.wait();
          results1.push(true);
        } catch (e) {
          if (BrokenBarrierError.is(e)) results2.push(true);
          else if (e instanceof RangeError) barrier.abort();
          else throw e;
        }
      });
      expect(barrier.broken).toBe(true);
      expect(results1.length).toBe(0);
      expect(results2.length).toBe(N - 1);
      expect(barrier.nWaiting).toBe(0);
    }),
  );

  test(
    'test_abort_barrier_when_exception_then_resetting',
    virtualTest(async () => {
      const barrier1 = new Barrier(N);
      const barrier2 = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      await gatherTasks(N, async () => {
        try {
          const i = await barrier1.wait();
          if (i === Math.floor(N / 2)) throw new RangeError('party failed');
          await barrier1.wait();
          results1.push(true);
        } catch (e) {
          if (BrokenBarrierError.is(e)) results2.push(true);
          else if (e instanceof RangeError) barrier1.abort();
          else throw e;
        }
        const i = await barrier2.wait();
        if (i === Math.floor(N / 2)) barrier1.reset();
        await barrier2.wait();
        await barrier1.wait();
        results3.push(true);
      });
      expect(barrier1.broken).toBe(false);
      expect(results1.length).toBe(0);
      expect(results2.length).toBe(N - 1);
      expect(results3.length).toBe(N);
      expect(barrier1.nWaiting).toBe(0);
    }),
  );
});

describe('Barrier: stats() and signals', () => {
  test(
    'stats() reports parties, waiting, state and broken',
    virtualTest(async () => {
      const barrier = new Barrier(2);
      expect(barrier.stats()).toEqual({ parties: 2, waiting: 0, state: 'filling', broken: false });
      const t = createTask(() => barrier.wait());
      await settle();
      expect(barrier.stats()).toEqual({ parties: 2, waiting: 1, state: 'filling', broken: false });
      expect(Object.isFrozen(barrier.stats())).toBe(true);
      barrier.abort();
      await expect(t).rejects.toThrow(new BrokenBarrierError('Abort or reset of barrier'));
      expect(barrier.stats()).toEqual({ parties: 2, waiting: 0, state: 'broken', broken: true });
    }),
  );

  test(
    'an abort while filling leaves the barrier, like a cancel',
    virtualTest(async () => {
      const barrier = new Barrier(2);
      const ac = new AbortController();
      const p = barrier.wait({ signal: ac.signal });
      await settle();
      expect(barrier.nWaiting).toBe(1);
      ac.abort('leave');
      await expect(p).rejects.toBe('leave');
      expect(barrier.nWaiting).toBe(0);
      const [a, b] = await gather([
        createTask(() => barrier.wait()),
        createTask(() => barrier.wait()),
      ]);
      expect(new Set([a, b])).toEqual(new Set([0, 1]));
    }),
  );
});

describe('Barrier: a cancelled party', () => {
  // CPython 3.13: Barrier(3); t1, t2 wait; t1.cancel(); t3 waits -> after the loop runs,
  // n_waiting is 2 and neither t2 nor t3 has passed; a fourth party lets them through.
  test(
    'leaves before a new party arrives, so the barrier does not pass one short (CPython 3.13)',
    virtualTest(async () => {
      const barrier = new Barrier(3);
      const t1 = createTask(() => barrier.wait());
      const t2 = createTask(() => barrier.wait());
      await tick();
      expect(barrier.nWaiting).toBe(2);
      t1.cancel();
      const t3 = createTask(() => barrier.wait());
      await tick();
      expect(t1.cancelled()).toBe(true);
      expect(barrier.nWaiting).toBe(2);
      expect(t2.done() || t3.done()).toBe(false);
      const t4 = createTask(() => barrier.wait());
      const indexes = await gather([t2, t3, t4]);
      expect(indexes.length).toBe(3);
      expect(barrier.stats()).toEqual({ parties: 3, waiting: 0, state: 'filling', broken: false });
    }),
  );
});

describe('Barrier: parties left behind by a run() that ended', () => {
  test('the next run() fills the barrier afresh', async () => {
    const barrier = new Barrier(2);
    await run(() => Promise.race([barrier.wait(), sleep(5)]), { clock: new VirtualClock() });
    const got = await run(
      async () => {
        const a = createTask(() => barrier.wait());
        const b = createTask(() => barrier.wait());
        return waitFor(gather([a, b]), 100);
      },
      { clock: new VirtualClock() },
    );
    expect([...got].sort()).toEqual([0, 1]);
    expect(barrier.stats()).toEqual({ parties: 2, waiting: 0, state: 'filling', broken: false });
  });
});

describe('Barrier: methods passed as callbacks', () => {
  test(
    'unbound abort and reset work as callbacks',
    virtualTest(async () => {
      const barrier = new Barrier(2);
      const { abort, reset } = barrier;
      const waiter = createTask(() => barrier.wait());
      await tick();
      getRunningLoop().callSoon(abort);
      await expect(waiter).rejects.toBeInstanceOf(BrokenBarrierError);
      expect(barrier.broken).toBe(true);
      getRunningLoop().callSoon(reset);
      await tick();
      expect(barrier.broken).toBe(false);
    }),
  );
});
