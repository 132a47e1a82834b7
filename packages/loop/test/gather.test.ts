/**
 * gather(): the CPython cases of asyncio-semantics.md section 4.D (61-72), from
 * test_tasks.py `GatherTestsBase`, `FutureGatherTests`, `CoroutineGatherTests` and probes.
 */
import {
  CancelledError,
  createTask,
  type ExceptionContext,
  type Future,
  GatheringFuture,
  gather,
  getRunningLoop,
  sleep,
} from '@aiots/loop';
import { runVirtual, virtualTest } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';
import { runBriefly } from './helpers.ts';

function futures<T = unknown>(n: number): Future<T>[] {
  const loop = getRunningLoop();
  return Array.from({ length: n }, () => loop.createFuture<T>());
}

/** Runs `main` on a virtual clock and returns what reached the loop's exception handler. */
async function runCollectingReports(main: () => Promise<void>): Promise<ExceptionContext[]> {
  const reports: ExceptionContext[] = [];
  await runVirtual(async () => {
    getRunningLoop().setExceptionHandler((ctx) => {
      reports.push(ctx);
    });
    await main();
  });
  return reports;
}

describe('gather: results and first failure', () => {
  test(
    'test_success: results are in argument order and the done callback fires once, after the last child',
    virtualTest(async () => {
      const [a, b, c] = futures<number>(3) as [Future<number>, Future<number>, Future<number>];
      const fut = gather([a, b, c]);
      let calls = 0;
      fut.addDoneCallback(() => calls++);
      b.setResult(1);
      a.setResult(2);
      await runBriefly();
      expect(fut.done()).toBe(false);
      expect(calls).toBe(0);
      c.setResult(3);
      await runBriefly();
      expect(calls).toBe(1);
      expect(fut.result()).toEqual([2, 1, 3]);
    }),
  );

  test('test_one_exception: the first exception is the outcome; later completions change nothing and log nothing', async () => {
    const exc = new Error('first');
    const reports = await runCollectingReports(async () => {
      const [a, b, c, d, e] = futures<number>(5) as Future<number>[] as [
        Future<number>,
        Future<number>,
        Future<number>,
        Future<number>,
        Future<number>,
      ];
      const fut = gather([a, b, c, d, e]);
      let calls = 0;
      fut.addDoneCallback(() => calls++);
      a.setResult(1);
      b.setException(exc);
      await runBriefly();
      expect(fut.done()).toBe(true);
      expect(calls).toBe(1);
      expect(fut.exception()).toBe(exc);
      c.setResult(3);
      d.cancel();
      // test_exception_marking: a child failing after the gather is done is marked retrieved.
      e.setException(new Error('later'));
      await runBriefly();
      expect(calls).toBe(1);
      expect(fut.exception()).toBe(exc);
    });
    expect(reports).toEqual([]);
  });

  test('the exception handler does report an unretrieved failure (control for the "log nothing" cases)', async () => {
    const reports = await runCollectingReports(async () => {
      const f = getRunningLoop().createFuture<number>();
      f.setException(new Error('nobody looked'));
      await runBriefly();
    });
    expect(reports.map((r) => r.message)).toEqual(['Future exception was never retrieved']);
  });

  test(
    'gather_siblings_keep_running (probe p1): a failing child does not cancel its siblings',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const log: string[] = [];
      const bad = createTask(async () => {
        await sleep(10);
        throw new RangeError('bad');
      });
      const good = createTask(async () => {
        await sleep(50);
        log.push(`good done at ${loop.time()}`);
        return 'good';
      });
      const g = gather([bad, good]);
      await expect(g).rejects.toThrow(RangeError);
      expect(loop.time()).toBe(10);
      expect(g.cancel()).toBe(false);
      expect(good.done()).toBe(false);
      expect(await good).toBe('good');
      expect(good.cancelled()).toBe(false);
      expect(log).toEqual(['good done at 50']);
    }),
  );

  test(
    'test_return_exceptions: errors are returned in place, and only once every child finished',
    virtualTest(async () => {
      const [a, b, c, d] = futures<number>(4) as [
        Future<number>,
        Future<number>,
        Future<number>,
        Future<number>,
      ];
      const fut = gather([a, b, c, d], { returnExceptions: true });
      let calls = 0;
      fut.addDoneCallback(() => calls++);
      const exc = new Error('zde');
      const exc2 = new Error('rte');
      b.setResult(1);
      c.setException(exc);
      a.setResult(3);
      await runBriefly();
      expect(fut.done()).toBe(false);
      d.setException(exc2);
      await runBriefly();
      expect(fut.done()).toBe(true);
      expect(calls).toBe(1);
      const res = fut.result();
      expect(res).toEqual([3, 1, exc, exc2]);
      expect(res[2]).toBe(exc);
      expect(res[3]).toBe(exc2);
    }),
  );
});

describe('gather: cancelled children', () => {
  test('test_one_cancellation: a cancelled child fails the gather with CancelledError, but the gather is not cancelled', async () => {
    const reports = await runCollectingReports(async () => {
      const [a, b, c, d, e] = futures<number>(5) as [
        Future<number>,
        Future<number>,
        Future<number>,
        Future<number>,
        Future<number>,
      ];
      const fut = gather([a, b, c, d, e]);
      let calls = 0;
      fut.addDoneCallback(() => calls++);
      a.setResult(1);
      b.cancel();
      await runBriefly();
      expect(fut.done()).toBe(true);
      expect(calls).toBe(1);
      expect(fut.cancelled()).toBe(false);
      expect(fut.exception()).toBeInstanceOf(CancelledError);
      // Does nothing.
      c.setResult(3);
      d.cancel();
      e.setException(new Error('late'));
      await runBriefly();
      expect(calls).toBe(1);
      expect(fut.exception()).toBeInstanceOf(CancelledError);
    });
    expect(reports).toEqual([]);
  });

  test(
    'test_result_exception_one_cancellation (probe p7): with returnExceptions a cancelled child gives a CancelledError in its slot',
    virtualTest(async () => {
      const [a, b, c, d, e, f] = futures<number>(6) as [
        Future<number>,
        Future<number>,
        Future<number>,
        Future<number>,
        Future<number>,
        Future<number>,
      ];
      const fut = gather([a, b, c, d, e, f], { returnExceptions: true });
      const zde = new Error('zde');
      const rte = new Error('rte');
      a.setResult(1);
      b.setException(zde);
      c.cancel();
      d.setResult(3);
      e.cancel('with a message');
      f.setException(rte);
      const res = await fut;
      expect(fut.cancelled()).toBe(false);
      expect(res[0]).toBe(1);
      expect(res[1]).toBe(zde);
      expect(res[2]).toBeInstanceOf(CancelledError);
      expect((res[2] as CancelledError).message).toBe('');
      expect(res[3]).toBe(3);
      expect(res[4]).toBeInstanceOf(CancelledError);
      expect((res[4] as CancelledError).message).toBe('with a message');
      expect(res[5]).toBe(rte);
    }),
  );

  test(
    'test_cancellation_broadcast: cancelling the task that awaits a gather cancels every child',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let proof = 0;
      const waiter = loop.createFuture<void>();
      const inner = async (): Promise<void> => {
        await waiter;
        proof += 1;
      };
      const child1 = createTask(inner);
      const child2 = createTask(inner);
      let gatherer: GatheringFuture<unknown> | undefined;
      const f = createTask(async () => {
        gatherer = gather([child1, child2]);
        await gatherer;
        proof += 100;
      });
      await runBriefly();
      expect(f.cancel()).toBe(true);
      await expect(f).rejects.toBeInstanceOf(CancelledError);
      expect(f.cancelled()).toBe(true);
      expect(gatherer?.cancel()).toBe(false);
      expect(waiter.cancelled()).toBe(true);
      expect(child1.cancelled()).toBe(true);
      expect(child2.cancelled()).toBe(true);
      await runBriefly();
      expect(proof).toBe(0);
    }),
  );

  for (const returnExceptions of [false, true]) {
    test(
      `gather_direct_cancel (probe p1${returnExceptions ? ', bpo-32684' : ''}): g.cancel() cancels the children and await g throws CancelledError (returnExceptions: ${returnExceptions})`,
      virtualTest(async () => {
        const log: string[] = [];
        const child = (name: string) =>
          createTask(async () => {
            try {
              await sleep(1000);
            } catch (e) {
              log.push(`${name} cancelled`);
              throw e;
            }
          });
        const child1 = child('child1');
        const child2 = child('child2');
        await runBriefly();
        const g = gather([child1, child2], { returnExceptions });
        expect(g.cancel('stop')).toBe(true);
        const err = await g.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(CancelledError);
        expect((err as CancelledError).message).toBe('stop');
        expect(g.cancelled()).toBe(false);
        expect(log.sort()).toEqual(['child1 cancelled', 'child2 cancelled']);
        expect(child1.cancelled() && child2.cancelled()).toBe(true);
        expect(getRunningLoop().time()).toBe(0);
      }),
    );
  }

  test(
    'test_cancel_gather_1 (bpo-26923): cancel after the last child finished returns false and keeps the result',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const fut = loop.createFuture<number>();
      const child = createTask(async () => await fut);
      let cancelResult: boolean | undefined;
      let gatherDoneThen: boolean | undefined;
      // Registered before gather's own callback, so it runs when the child is done but the
      // gather is not yet: the window bpo-26923 is about.
      child.addDoneCallback(() => {
        gatherDoneThen = g.done();
        cancelResult = g.cancel();
      });
      const g = gather([child]);
      await runBriefly();
      fut.setResult(42);
      expect(await g).toEqual([42]);
      expect(gatherDoneThen).toBe(false);
      expect(cancelResult).toBe(false);
    }),
  );

  // The messages of case 51 (test_task_cancel_message_getter); a message becomes the
  // CancelledError's `message` as a string.
  const messages: [string, unknown[], string][] = [
    ['cancel()', [], ''],
    ['cancel(null)', [null], ''],
    ["cancel('my message')", ['my message'], 'my message'],
    ['cancel(5)', [5], '5'],
  ];
  for (const [label, args, expected] of messages) {
    test(
      `test_cancel_gather_2: ${label} of a task looping on gather(sleep, returnExceptions) reaches the caller with its message`,
      virtualTest(async () => {
        const qwe = createTask(async () => {
          let time = 0;
          for (;;) {
            time += 50;
            await gather([sleep(50)], { returnExceptions: true });
            if (time > 1000) return;
          }
        });
        await sleep(200);
        expect(qwe.cancel(...(args as [unknown]))).toBe(true);
        const err = await qwe.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(CancelledError);
        expect((err as CancelledError).message).toBe(expected);
        expect(qwe.cancelled()).toBe(true);
        expect(getRunningLoop().time()).toBe(200);
      }),
    );
  }

  test(
    'gather_child_suppresses (probe p7): g.cancel() still ends in CancelledError when a child swallows the cancel',
    virtualTest(async () => {
      const child = createTask(async () => {
        try {
          await sleep(1000);
        } catch {
          return 'suppressed';
        }
        return 'finished';
      });
      await runBriefly();
      const g = gather([child]);
      expect(g.cancel()).toBe(true);
      await expect(g).rejects.toBeInstanceOf(CancelledError);
      expect(g.cancelled()).toBe(false);
      expect(child.cancelled()).toBe(false);
      expect(child.result()).toBe('suppressed');
    }),
  );
});

describe('gather: misc', () => {
  test(
    'test_constructor_empty_sequence_use_running_loop: gather([]) is already done with []',
    virtualTest(async () => {
      const g = gather([]);
      expect(g).toBeInstanceOf(GatheringFuture);
      expect(g.done()).toBe(true);
      expect(g.result()).toEqual([]);
      expect(g.cancel()).toBe(false);
      expect(await g).toEqual([]);
    }),
  );

  test(
    "test_duplicate_coroutines: the same awaitable twice gives its result in each place (['abc','abc','def','abc'])",
    virtualTest(async () => {
      let runs = 0;
      const coro = (s: string) =>
        createTask(async () => {
          runs++;
          await sleep(0);
          return s;
        });
      const c = coro('abc');
      const res = await gather([c, c, coro('def'), c]);
      expect(res).toEqual(['abc', 'abc', 'def', 'abc']);
      expect(runs).toBe(2);
    }),
  );

  test(
    'gather of promises from async functions (asyncio wraps coroutines): results in argument order',
    virtualTest(async () => {
      const later = async (ms: number, v: string) => {
        await sleep(ms);
        return v;
      };
      const res = await gather([later(30, 'a'), later(10, 'b'), Promise.resolve('c')]);
      expect(res).toEqual(['a', 'b', 'c']);
      expect(getRunningLoop().time()).toBe(30);
    }),
  );
});
