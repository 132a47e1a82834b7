/**
 * Future and Task basics: ports of section 4.B of the asyncio reference
 * (shared/reference/asyncio-semantics.md).
 *
 * Differences from asyncio, by design:
 * - asyncio raises RuntimeError for `task.set_result()`; aiots throws InvalidStateError (the
 *   error for "not allowed in this state"), with the same message.
 * - 37 log_destroyed_pending is not ported: a loop keeps every pending task (allTasks()), so
 *   a pending task is never collected while its loop lives; run() cancels leftovers instead.
 * - The "never retrieved" report cannot match CPython's GC timing; it comes from a
 *   FinalizationRegistry when the task is collected and at the latest when its loop closes.
 *   The tests check the handler context, not the timing.
 */
import {
  CancelledError,
  createTask,
  currentTask,
  type ExceptionContext,
  Future,
  getRunningLoop,
  InvalidStateError,
  run,
  sleep,
  type Task,
} from '@aiots/loop';
import { runVirtual } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';
import { captureHandler, runGcFixture } from './helpers.ts';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('4.B Future', () => {
  test('future_state_errors: result/exception of a pending Future throw InvalidStateError', () => {
    const f = new Future<number>();
    expect(f.done()).toBe(false);
    const e1 = thrown(() => f.result());
    expect(e1).toBeInstanceOf(InvalidStateError);
    expect((e1 as Error).message).toBe('Result is not set.');
    const e2 = thrown(() => f.exception());
    expect(e2).toBeInstanceOf(InvalidStateError);
    expect((e2 as Error).message).toBe('Exception is not set.');
  });

  test('future_state_errors: a cancelled Future throws CancelledError from result() and exception()', () => {
    const f = new Future<number>();
    expect(f.cancel()).toBe(true);
    expect(f.cancelled()).toBe(true);
    expect(f.done()).toBe(true);
    expect(thrown(() => f.exception())).toBeInstanceOf(CancelledError);
    expect(thrown(() => f.result())).toBeInstanceOf(CancelledError);
    expect(thrown(() => f.setResult(1))).toBeInstanceOf(InvalidStateError);
    expect(thrown(() => f.setException(new Error('x')))).toBeInstanceOf(InvalidStateError);
    expect(f.cancel()).toBe(false);
  });

  test('future_state_errors: a Future is set once', () => {
    const f = new Future<string>();
    f.setResult('first');
    expect(f.result()).toBe('first');
    expect(f.exception()).toBeUndefined();
    const e = thrown(() => f.setResult('second'));
    expect(e).toBeInstanceOf(InvalidStateError);
    expect((e as Error).message).toMatch(/already done/);
    expect(f.cancel()).toBe(false);
    expect(f.result()).toBe('first');

    const g = new Future<string>();
    const err = new RangeError('bad');
    g.setException(err);
    expect(g.exception()).toBe(err);
    expect(thrown(() => g.result())).toBe(err);
  });

  test('done_callbacks_async_and_ordered: callbacks run on a later batch, in registration order', async () => {
    const ev = await runVirtual(async () => {
      const ev: string[] = [];
      const f = getRunningLoop().createFuture<number>();
      f.addDoneCallback((fut) => ev.push(`cb1 ${fut.result()}`));
      f.addDoneCallback(() => ev.push('cb2'));
      f.setResult(7);
      ev.push('after setResult');
      f.addDoneCallback(() => ev.push('cb3 added after done'));
      ev.push('after adding cb3');
      await sleep(0);
      await sleep(0);
      return ev;
    });
    expect(ev).toEqual([
      'after setResult',
      'after adding cb3',
      'cb1 7',
      'cb2',
      'cb3 added after done',
    ]);
  });

  test('removeDoneCallback removes every registration and returns how many', async () => {
    const ev = await runVirtual(async () => {
      const ev: string[] = [];
      const f = getRunningLoop().createFuture<void>();
      const cb = (): void => {
        ev.push('cb');
      };
      f.addDoneCallback(cb);
      f.addDoneCallback(() => ev.push('other'));
      f.addDoneCallback(cb);
      expect(f.removeDoneCallback(cb)).toBe(2);
      expect(f.removeDoneCallback(cb)).toBe(0);
      f.setResult();
      await sleep(0);
      return ev;
    });
    expect(ev).toEqual(['other']);
  });

  test('addDoneCallback rejects a non-function with a TypeError naming what came', () => {
    const f = new Future<void>();
    expect(() => f.addDoneCallback('nope' as never)).toThrow(TypeError);
    expect(() => f.addDoneCallback('nope' as never)).toThrow(
      /expected a function, got string "nope"/,
    );
  });
});

describe('4.B Task', () => {
  test('test_task_set_methods: setResult/setException on a task are forbidden; it still completes', async () => {
    await runVirtual(async () => {
      const task = createTask(async () => 'ko');
      const e1 = thrown(() => task.setResult('ok'));
      expect(e1).toBeInstanceOf(InvalidStateError);
      expect((e1 as Error).message).toMatch(/not support setResult/);
      const e2 = thrown(() => task.setException(new Error('x')));
      expect(e2).toBeInstanceOf(InvalidStateError);
      expect((e2 as Error).message).toMatch(/not support setException/);
      expect(await task).toBe('ko');
    });
  });

  test('test_create_task_with_noncoroutine: createTask(123) throws a TypeError naming what came', async () => {
    await runVirtual(async () => {
      const e = thrown(() => createTask(123 as never));
      expect(e).toBeInstanceOf(TypeError);
      expect((e as Error).message).toMatch(/expected a function.*got number 123/);
      const e2 = thrown(() => createTask(Promise.resolve(1) as never));
      expect((e2 as Error).message).toMatch(/got an instance of Promise/);
    });
  });

  test('test_task_awaits_on_itself: a task awaiting itself gets InvalidStateError', async () => {
    await runVirtual(async () => {
      let task: Task<unknown> | undefined;
      task = createTask(async () => {
        await task;
      });
      const e = await task.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(InvalidStateError);
      expect((e as Error).message).toMatch(/Task cannot await on itself/);
      expect(task.done()).toBe(true);
      expect(task.exception()).toBe(e);
    });
  });

  test('test_sleep_zero: sleep(0) yields exactly one batch and returns its value', async () => {
    const result = await runVirtual(async () => {
      let result = 0;
      const inc = (n: number): void => {
        result += n;
      };
      getRunningLoop().callSoon(inc, 1);
      expect(result).toBe(0);
      const num = await sleep(0, 10);
      expect(result).toBe(1);
      inc(num);
      return result;
    });
    expect(result).toBe(11);
  });

  test('test_sleep: sleep returns its value after exactly that much loop time', async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      await sleep(50);
      const res = await sleep(50, 'yeah');
      expect(res).toBe('yeah');
      expect(loop.time()).toBe(100);
      expect(await sleep(-1, 'neg')).toBe('neg');
      expect(loop.time()).toBe(100);
    });
  });

  test('test_sleep_when_delay_is_nan: sleep(NaN) throws RangeError', async () => {
    await runVirtual(async () => {
      expect(() => sleep(Number.NaN)).toThrow(RangeError);
      expect(() => sleep(Number.NaN)).toThrow(
        /expected `ms` to be a number of milliseconds, got NaN/,
      );
    });
  });

  test('test_sleep_cancel: cancelling a sleeping task cancels its timer', async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const t = createTask(() => sleep(10_000, 'yeah'));
      await sleep(0);
      expect(loop._timerCount()).toBe(1);
      expect(t.cancel()).toBe(true);
      await expect(t).rejects.toBeInstanceOf(CancelledError);
      expect(loop._timerCount()).toBe(0);
      expect(t.cancelled()).toBe(true);
      // The cancelled timer never advanced virtual time.
      expect(loop.time()).toBe(0);
    });
  });

  test('a task name defaults to Task-<n> and can be changed', async () => {
    await runVirtual(async () => {
      const t = createTask(async () => currentTask()?.getName());
      expect(t.getName()).toMatch(/^Task-\d+$/);
      t.setName('renamed');
      expect(await t).toBe('renamed');
      expect(String(t)).toBe('<Task finished name="renamed">');
    });
  });
});

describe('4.B exceptions nobody retrieved', () => {
  test('log_never_retrieved: a failed task nobody awaited is reported when run() closes the loop', async () => {
    let seen: ExceptionContext[] = [];
    let failing: Task<unknown> | undefined;
    const boom = new RangeError('never retrieved');
    await run(async () => {
      seen = captureHandler();
      failing = createTask(async () => {
        throw boom;
      });
      await sleep(0);
      await sleep(0);
      expect(failing.done()).toBe(true);
      // Not reported while the task is referenced and the loop runs.
      expect(seen).toEqual([]);
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      message: 'Task exception was never retrieved',
      exception: boom,
      task: failing,
    });
  });

  test('log_never_retrieved: a failed Future nobody asked is reported as a Future', async () => {
    let seen: ExceptionContext[] = [];
    const err = new Error('future failure');
    let fut: Future<unknown> | undefined;
    await run(async () => {
      seen = captureHandler();
      fut = getRunningLoop().createFuture();
      fut.setException(err);
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      message: 'Future exception was never retrieved',
      exception: err,
      future: fut,
    });
    expect(seen[0]?.task).toBeUndefined();
  });

  test('log_never_retrieved: nothing is reported once exception() or a rejection handler saw it', async () => {
    let seen: ExceptionContext[] = [];
    await run(async () => {
      seen = captureHandler();
      const a = createTask(async () => {
        throw new Error('a');
      });
      const b = createTask(async () => {
        throw new Error('b');
      });
      const f = getRunningLoop().createFuture();
      f.setException(new Error('f'));
      await sleep(0);
      await sleep(0);
      expect((a.exception() as Error).message).toBe('a');
      b.then(undefined, () => 'handled');
      expect(() => f.result()).toThrow('f');
    });
    expect(seen).toEqual([]);
  });

  test('log_never_retrieved: a dropped failed task is reported after a real garbage collection', async () => {
    const { code, stdout, stderr } = await runGcFixture('never-retrieved-gc.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // Reported once, by the finalizer while the loop was running, not again at close.
    expect(JSON.parse(stdout)).toEqual([
      {
        message: 'Task exception was never retrieved',
        error: 'dropped failure',
        phase: 'running',
        hasDescription: true,
      },
    ]);
  }, 20_000);

  test('test_tb_logger_not_called_after_cancel: cancel() of a failed task counts as retrieving it', async () => {
    let seen: ExceptionContext[] = [];
    await runVirtual(async () => {
      seen = captureHandler();
      const task = createTask(async () => {
        throw new TypeError('failed early');
      });
      await sleep(50);
      expect(task.done()).toBe(true);
      expect(task.cancel()).toBe(false);
      expect(task.cancelled()).toBe(false);
    });
    expect(seen).toEqual([]);
  });

  test('a failed task nobody awaited never causes an unhandledRejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => {
      rejections.push(reason);
    };
    process.on('unhandledRejection', onRejection);
    let seen: ExceptionContext[] = [];
    try {
      await run(async () => {
        seen = captureHandler();
        createTask(async () => {
          throw new Error('nobody listens');
        });
        const f = getRunningLoop().createFuture();
        f.then((v) => v);
        f.setException(new Error('chained, never handled'));
        await sleep(0);
        await sleep(0);
      });
      // Node reports unhandled rejections after the microtask queue drains.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    expect(rejections).toEqual([]);
    // The failures went to the exception handler instead: the chain `f.then(...)` is one
    // failure, reported at its end (`f` passed its error down), as Node reports a chain.
    expect(seen.map((c) => c.message).sort()).toEqual([
      'Future exception was never retrieved',
      'Task exception was never retrieved',
    ]);
  });
});
