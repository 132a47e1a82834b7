/**
 * waitFor() and shield(): the CPython cases of asyncio-semantics.md section 4.E, 80-93
 * (test_waitfor.py, test_tasks.py `test_shield*`, `test_gather_shield`, probes p4/p11).
 *
 * asyncio's "coroutine passed to wait_for" is, in aiots, a promise from an async function
 * called in the current task: it runs inline in that task, so the cancel of the deadline
 * reaches the aiots awaits inside it, as it reaches the coroutine's awaits in asyncio.
 */
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  type ExceptionContext,
  type Future,
  gather,
  getRunningLoop,
  shield,
  sleep,
  type Task,
  TimeoutError,
  taskGroup,
  waitFor,
} from '@aiots/loop';
import { runVirtual, virtualTest } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';
import { rejectionOf, runBriefly } from './helpers.ts';

class FooError extends Error {
  override name = 'FooError';
}

describe('waitFor', () => {
  test(
    'test_wait_for: on timeout the inner task is cancelled, its finally ran, and TimeoutError is thrown',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let fooRunning: boolean | undefined;
      const fut = createTask(async () => {
        fooRunning = true;
        try {
          await sleep(10_000);
        } finally {
          fooRunning = false;
        }
        return 'done';
      });
      const err = await rejectionOf(waitFor(fut, 100));
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as TimeoutError).cause).toBeInstanceOf(CancelledError);
      expect(loop.time()).toBe(100);
      expect(fut.done()).toBe(true);
      expect(fut.cancelled()).toBe(true);
      expect(fooRunning).toBe(false);
      expect(currentTask()?.cancelling()).toBe(0);
    }),
  );

  test(
    'waitFor returns the value when the awaitable finishes in time, and leaves no timer',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const t = createTask(() => sleep(10, 'quick'));
      expect(await waitFor(t, 100)).toBe('quick');
      expect(loop.time()).toBe(10);
      expect(loop._timerCount()).toBe(0);
      expect(await waitFor(sleep(5, 'no limit'), null)).toBe('no limit');
    }),
  );

  for (const timeoutMs of [1, 0]) {
    test(
      `test_wait_for_waits_for_task_cancellation${timeoutMs === 0 ? '_w_timeout_0' : ''}: TimeoutError comes only after the inner task finished its cleanup`,
      virtualTest(async () => {
        const loop = getRunningLoop();
        let taskDone = false;
        let cleanupEndedAt = -1;
        const innerTask = createTask(async () => {
          try {
            await sleep(10_000);
          } catch (e) {
            await sleep(5);
            cleanupEndedAt = loop.time();
            throw e;
          } finally {
            taskDone = true;
          }
        });
        await sleep(1);
        const err = await rejectionOf(waitFor(innerTask, timeoutMs));
        expect(taskDone).toBe(true);
        expect(err).toBeInstanceOf(TimeoutError);
        expect((err as TimeoutError).cause).toBeInstanceOf(CancelledError);
        expect(cleanupEndedAt).toBe(1 + timeoutMs + 5);
        expect(loop.time()).toBe(cleanupEndedAt);
        expect(innerTask.cancelled()).toBe(true);
      }),
    );
  }

  test(
    'test_wait_for_timeout_less_then_0_or_0_future_done: a done future with timeout 0 gives its result',
    virtualTest(async () => {
      const fut = getRunningLoop().createFuture<string>();
      fut.setResult('done');
      expect(await waitFor(fut, 0)).toBe('done');
      expect(getRunningLoop().time()).toBe(0);
    }),
  );

  test(
    'test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started (aiots: a task not started yet, since calling an async function starts it)',
    virtualTest(async () => {
      let fooStarted = false;
      const t = createTask(async () => {
        fooStarted = true;
      });
      const err = await rejectionOf(waitFor(t, 0));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(t.cancelled()).toBe(true);
      expect(fooStarted).toBe(false);
    }),
  );

  for (const timeoutMs of [0, -1]) {
    test(
      `test_wait_for_timeout_less_then_0_or_0: a running task with timeout ${timeoutMs} is cancelled and TimeoutError thrown`,
      virtualTest(async () => {
        let fooRunning: boolean | undefined;
        const fut = createTask(async () => {
          fooRunning = true;
          try {
            await sleep(200);
          } finally {
            fooRunning = false;
          }
          return 'done';
        });
        await sleep(0);
        expect(fooRunning).toBe(true);
        const err = await rejectionOf(waitFor(fut, timeoutMs));
        expect(err).toBeInstanceOf(TimeoutError);
        expect(fut.cancelled()).toBe(true);
        expect(fooRunning).toBe(false);
        expect(getRunningLoop().time()).toBe(0);
      }),
    );
  }

  test(
    'test_wait_for_cancel_suppressed (inline promise, as in CPython): the body swallows the cancel and its value is returned',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const return42 = async (): Promise<number> => {
        try {
          await sleep(10_000);
        } catch {
          return 42;
        }
        return 0;
      };
      expect(await waitFor(return42(), 100)).toBe(42);
      expect(loop.time()).toBe(100);
      expect(currentTask()?.cancelling()).toBe(0);
      expect(loop._timerCount()).toBe(0);
    }),
  );

  test(
    'test_wait_for_cancel_suppressed (task): the inner task swallows the cancel and its value is returned',
    virtualTest(async () => {
      const t = createTask(async () => {
        try {
          await sleep(10_000);
        } catch {
          return 42;
        }
        return 0;
      });
      expect(await waitFor(t, 100)).toBe(42);
      expect(t.cancelled()).toBe(false);
      expect(getRunningLoop().time()).toBe(100);
      expect(currentTask()?.cancelling()).toBe(0);
    }),
  );

  test(
    'test_wait_for_reraises_exception_during_cancellation (bpo-40607, inline promise): an error raised while cancelling propagates',
    virtualTest(async () => {
      const foo = async (): Promise<void> => {
        try {
          await sleep(200);
        } finally {
          // biome-ignore lint/correctness/noUnsafeFinally: the point of bpo-40607.
          throw new FooError();
        }
      };
      const err = await rejectionOf(waitFor(foo(), 10));
      expect(err).toBeInstanceOf(FooError);
      expect(getRunningLoop().time()).toBe(10);
      expect(currentTask()?.cancelling()).toBe(0);
    }),
  );

  test(
    'test_wait_for_reraises_exception_during_cancellation (bpo-40607, task): an error raised while cancelling propagates',
    virtualTest(async () => {
      const t = createTask(async () => {
        try {
          await sleep(200);
        } finally {
          // biome-ignore lint/correctness/noUnsafeFinally: the point of bpo-40607.
          throw new FooError();
        }
      });
      const err = await rejectionOf(waitFor(t, 10));
      expect(err).toBeInstanceOf(FooError);
      expect(t.exception()).toBe(err);
    }),
  );

  for (const timeoutMs of [60_000, null]) {
    test(
      `${timeoutMs === null ? 'test_cancel_blocking_wait_for' : 'test_cancel_wait_for'} (bpo-23219): cancelling the task in waitFor(task, ${timeoutMs}) cancels the inner task`,
      virtualTest(async () => {
        const loop = getRunningLoop();
        const task = createTask(async () => {
          // Block: the result is never set.
          await loop.createFuture<void>();
        });
        const wait = createTask(() => waitFor(task, timeoutMs));
        loop.callSoon(() => wait.cancel());
        const err = await rejectionOf(wait);
        expect(err).toBeInstanceOf(CancelledError);
        expect(wait.cancelled()).toBe(true);
        expect(task.cancelled()).toBe(true);
      }),
    );
  }

  test(
    'cancelling the task in waitFor later on (it is suspended) cancels the inner task too',
    virtualTest(async () => {
      const task = createTask(() => sleep(10_000));
      const wait = createTask(() => waitFor(task, 60_000));
      await sleep(10);
      wait.cancel();
      expect(await rejectionOf(wait)).toBeInstanceOf(CancelledError);
      expect(task.cancelled()).toBe(true);
      expect(getRunningLoop().time()).toBe(10);
    }),
  );

  test(
    'test_wait_for_issue86296 (gh-86296): an outer cancel right after the inner task finished is not lost',
    virtualTest(async () => {
      const innerTask = createTask(async () => 'done');
      let reachedEnd = false;
      const task = createTask(async () => {
        await waitFor(innerTask, 100_000);
        await sleep(1000);
        reachedEnd = true;
      });
      expect(task.done()).toBe(false);
      await sleep(0);
      task.cancel();
      expect(await rejectionOf(task)).toBeInstanceOf(CancelledError);
      expect(task.cancelled()).toBe(true);
      expect(innerTask.done()).toBe(true);
      expect(await innerTask).toBe('done');
      expect(reachedEnd).toBe(false);
    }),
  );

  test(
    'wait_for_coroutine_inline (probe p11): an inline promise runs in the calling task, no new task is made',
    virtualTest(async () => {
      const caller = currentTask();
      const before = allTasks().size;
      let during = -1;
      const inner = async (): Promise<boolean> => {
        await sleep(1);
        during = allTasks().size;
        return currentTask() === caller;
      };
      expect(await waitFor(inner(), 1000)).toBe(true);
      expect(during).toBe(before);
    }),
  );

  test(
    'wait_for_coroutine_inline: the deadline cancel reaches the aiots awaits inside the inline promise',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const log: string[] = [];
      const inner = async (): Promise<string> => {
        try {
          await sleep(10_000);
          return 'late';
        } catch (e) {
          log.push(`caught ${(e as Error).name} at ${loop.time()}`);
          throw e;
        } finally {
          log.push('finally');
        }
      };
      const err = await rejectionOf(waitFor(inner(), 100));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(log).toEqual(['caught CancelledError at 100', 'finally']);
      expect(loop.time()).toBe(100);
      expect(loop._timerCount()).toBe(0);
      expect(currentTask()?.cancelling()).toBe(0);
    }),
  );

  test(
    'wait_for_coroutine_inline: waitFor waits for the cleanup of the inline promise before throwing TimeoutError',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let cleanupEndedAt = -1;
      const inner = async (): Promise<void> => {
        try {
          await sleep(10_000);
        } catch (e) {
          await sleep(5);
          cleanupEndedAt = loop.time();
          throw e;
        }
      };
      const err = await rejectionOf(waitFor(inner(), 100));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(cleanupEndedAt).toBe(105);
      expect(loop.time()).toBe(105);
    }),
  );

  test(
    'waitFor over a foreign promise settles with TimeoutError at the deadline (the foreign work goes on unobserved)',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let resolveForeign: (v: string) => void = () => {};
      const foreign = new Promise<string>((resolve) => {
        resolveForeign = resolve;
      });
      const err = await rejectionOf(waitFor(foreign, 50));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(50);
      expect(currentTask()?.cancelling()).toBe(0);
      resolveForeign('late');
      // The task is not left with a stray cancel: it can sleep again.
      await sleep(10);
      expect(loop.time()).toBe(60);
    }),
  );
});

describe('waitFor over an inline promise at timeout 0 (aiots: the promise has already started)', () => {
  test(
    'the inline body gets the cancel at its own await and is waited for',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const log: string[] = [];
      const inner = async (): Promise<void> => {
        try {
          await sleep(1000);
        } catch (e) {
          await sleep(5);
          log.push(`cleanup done at ${loop.time()}`);
          throw e;
        }
      };
      const err = await rejectionOf(waitFor(inner(), 0));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(log).toEqual(['cleanup done at 5']);
      expect(currentTask()?.cancelling()).toBe(0);
      expect(loop._timerCount()).toBe(0);
    }),
  );

  test(
    'an inline task group is cancelled and its children are done before TimeoutError (found by properties.test.ts)',
    virtualTest(async () => {
      let kids: Task<void>[] = [];
      const work = async (): Promise<void> => {
        await taskGroup(async (tg) => {
          kids = [tg.createTask(() => sleep(10)), tg.createTask(() => sleep(20))];
        });
      };
      const err = await rejectionOf(waitFor(work(), 0));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(kids.length).toBe(2);
      expect(kids.every((k) => k.cancelled())).toBe(true);
      expect(getRunningLoop().time()).toBe(0);
    }),
  );

  test(
    'the same with a deadline: the cancel comes in the turn the inline body reaches its first await',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let kids: Task<void>[] = [];
      await sleep(1);
      const work = async (): Promise<void> => {
        await taskGroup(async (tg) => {
          kids = [tg.createTask(() => sleep(10))];
        });
      };
      // A sibling cancels this task in the very turn waitFor starts (bpo-23219's race).
      const me = currentTask() as Task<unknown>;
      loop.callSoon(() => me.cancel());
      const err = await rejectionOf(waitFor(work(), 50));
      expect(err).toBeInstanceOf(CancelledError);
      expect(kids.every((k) => k.cancelled())).toBe(true);
      expect(me.uncancel()).toBe(0);
    }),
  );

  test(
    'a cancel of the caller pending on entry ends the caller cancelled, as wait_for(coro, 0) does (found by properties.test.ts)',
    virtualTest(async () => {
      const log: string[] = [];
      const node = createTask(async () => {
        await sleep(26);
        // The cancel arrives while the task runs (pending, not delivered yet).
        (currentTask() as Task<unknown>).cancel();
        try {
          await waitFor((async () => undefined)(), 0);
        } catch (e) {
          log.push(`${(e as Error).name}, cancelling ${currentTask()?.cancelling()}`);
          throw e;
        }
        return 'went on';
      });
      await rejectionOf(node);
      // asyncio 3.13: the task ends cancelled ("wait_for: node1b ended cancelled"), where
      // asyncio.timeout(0) would raise TimeoutError and let it go on with cancelling() at 1.
      expect(log).toEqual(['CancelledError, cancelling 1']);
      expect(node.cancelled()).toBe(true);
    }),
  );

  test(
    'a pending foreign promise times out at once and leaves no cancel behind',
    virtualTest(async () => {
      const never = new Promise<string>(() => {});
      expect(await rejectionOf(waitFor(never, 0))).toBeInstanceOf(TimeoutError);
      expect(await rejectionOf(waitFor(never, -5))).toBeInstanceOf(TimeoutError);
      expect(getRunningLoop().time()).toBe(0);
      expect(currentTask()?.cancelling()).toBe(0);
    }),
  );
});

describe('shield', () => {
  test(
    'test_shield_result: the outer mirrors the inner result',
    virtualTest(async () => {
      const inner = getRunningLoop().createFuture<number>();
      const outer = shield(inner);
      inner.setResult(42);
      expect(await outer).toBe(42);
    }),
  );

  test(
    'test_shield_exception: the outer mirrors the inner exception',
    virtualTest(async () => {
      const inner = getRunningLoop().createFuture<number>();
      const outer = shield(inner) as Future<number>;
      await runBriefly();
      const exc = new Error('expected');
      inner.setException(exc);
      await runBriefly();
      expect(outer.exception()).toBe(exc);
    }),
  );

  test(
    'test_shield_shortcut (probe p4): shield of a done future returns it unchanged',
    virtualTest(async () => {
      const fut = getRunningLoop().createFuture<number>();
      fut.setResult(42);
      const s = shield(fut);
      expect(s).toBe(fut);
      expect(await s).toBe(42);
    }),
  );

  test(
    'test_shield_cancel_inner: cancelling the inner future cancels the outer',
    virtualTest(async () => {
      const inner = getRunningLoop().createFuture<number>();
      const outer = shield(inner) as Future<number>;
      await runBriefly();
      inner.cancel();
      await runBriefly();
      expect(outer.cancelled()).toBe(true);
    }),
  );

  test('test_shield_cancel_outer: cancelling the outer leaves the inner alone and nothing is reported', async () => {
    const reports: ExceptionContext[] = [];
    await runVirtual(async () => {
      getRunningLoop().setExceptionHandler((ctx) => {
        reports.push(ctx);
      });
      const inner = getRunningLoop().createFuture<number>();
      const outer = shield(inner) as Future<number>;
      await runBriefly();
      expect(outer.cancel()).toBe(true);
      await runBriefly();
      expect(outer.cancelled()).toBe(true);
      expect(inner.done()).toBe(false);
      inner.setResult(1);
      await runBriefly();
      expect(outer.cancelled()).toBe(true);
      expect(inner.result()).toBe(1);
    });
    expect(reports).toEqual([]);
  });

  test(
    'test_shield_effect (probe p4): the awaiting task is cancelled, the shielded work completes',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let proof = 0;
      const waiter = loop.createFuture<void>();
      const inner = createTask(async () => {
        await waiter;
        proof += 1;
        return 7;
      });
      const f = createTask(async () => {
        await shield(inner);
        proof += 100;
      });
      await runBriefly();
      expect(f.cancel()).toBe(true);
      expect(await rejectionOf(f)).toBeInstanceOf(CancelledError);
      expect(waiter.cancelled()).toBe(false);
      waiter.setResult();
      expect(await inner).toBe(7);
      expect(inner.cancelled()).toBe(false);
      expect(proof).toBe(1);
    }),
  );

  test(
    'shield of an inline promise: the caller is cancelled, the promise still settles',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let finished = false;
      const work = createTask(async () => {
        await sleep(50);
        finished = true;
        return 'saved';
      });
      const caller = createTask(async () => await shield(work));
      await sleep(10);
      caller.cancel();
      expect(await rejectionOf(caller)).toBeInstanceOf(CancelledError);
      expect(loop.time()).toBe(10);
      expect(await work).toBe('saved');
      expect(finished).toBe(true);
      expect(loop.time()).toBe(50);
    }),
  );

  test(
    'test_shield_gather: cancelling shield(gather(...)) leaves the gather running; its result is [1, 2]',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const child1 = loop.createFuture<number>();
      const child2 = loop.createFuture<number>();
      const parent = gather([child1, child2]);
      const outer = shield(parent) as unknown as Future<[number, number]>;
      await runBriefly();
      outer.cancel();
      await runBriefly();
      expect(outer.cancelled()).toBe(true);
      child1.setResult(1);
      child2.setResult(2);
      await runBriefly();
      expect(parent.result()).toEqual([1, 2]);
    }),
  );

  test(
    'test_gather_shield: cancelling gather(shield(c1), shield(c2)) cancels the wrappers, not c1 and c2',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const child1 = loop.createFuture<number>();
      const child2 = loop.createFuture<number>();
      const inner1 = shield(child1) as Future<number>;
      const inner2 = shield(child2) as Future<number>;
      const parent = gather([inner1, inner2]);
      await runBriefly();
      expect(parent.cancel()).toBe(true);
      await runBriefly();
      expect(parent.exception()).toBeInstanceOf(CancelledError);
      expect(inner1.cancelled()).toBe(true);
      expect(inner2.cancelled()).toBe(true);
      expect(child1.cancelled() || child2.cancelled()).toBe(false);
      child1.setResult(1);
      child2.setResult(2);
      await runBriefly();
      expect([child1.result(), child2.result()]).toEqual([1, 2]);
    }),
  );

  test(
    'WaitForShieldTests.test_shielded_timeout: waitFor(shield(task)) times out, the task is not cancelled and finishes',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const task = createTask(async () => {
        await sleep(100);
        return 'done';
      });
      expect(await rejectionOf(waitFor(shield(task), 10))).toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(10);
      expect(task.done()).toBe(false);
      expect(task.cancelled()).toBe(false);
      expect(await task).toBe('done');
      expect(loop.time()).toBe(100);
    }),
  );

  test(
    'WaitForShieldTests.test_zero_timeout: with timeout 0 the shield wrapper is cancelled, the task runs on',
    virtualTest(async () => {
      const task = createTask(async () => {
        await sleep(10);
        return 'done';
      });
      const shielded = shield(task) as Future<string>;
      expect(await rejectionOf(waitFor(shielded, 0))).toBeInstanceOf(TimeoutError);
      expect(task.done()).toBe(false);
      expect(task.cancelled()).toBe(false);
      expect(shielded.cancelled()).toBe(true);
      await sleep(100);
      expect(task.done()).toBe(true);
      expect(task.result()).toBe('done');
    }),
  );

  test(
    'WaitForShieldTests.test_none_timeout: with timeout null waitFor(shield(task)) runs to completion',
    virtualTest(async () => {
      const task = createTask(async () => {
        await sleep(100);
        return 'done';
      });
      expect(await waitFor(shield(task), null)).toBe('done');
      expect(task.done()).toBe(true);
    }),
  );
});
