/**
 * Bad input: every entry point rejects it with a named error, a TypeError or a RangeError
 * whose message says what was expected and what came (shared/STYLE.md, "Errors name
 * themselves").
 */
import {
  asCompleted,
  createTask,
  currentTask,
  gather,
  getRunningLoop,
  InvalidStateError,
  run,
  shield,
  sleep,
  TaskGroup,
  taskGroup,
  timeout,
  timeoutAt,
  VirtualClock,
  wait,
  waitFor,
} from '@aiots/loop';
import { runVirtual } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';

/** The error `fn` throws synchronously, or the rejection of the promise it returns. */
async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

/** Asserts the error's class and that its message matches `message`. */
async function expectFailure(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => Error,
  message: RegExp,
): Promise<void> {
  const e = await failure(fn);
  expect(e).toBeInstanceOf(cls);
  expect((e as Error).message).toMatch(message);
}

describe('delays and deadlines', () => {
  test('sleep(NaN) throws RangeError', async () => {
    await expectFailure(
      () => sleep(Number.NaN),
      RangeError,
      /expected `ms` to be a number.*got NaN/,
    );
  });

  test("sleep('1') throws TypeError naming the string", async () => {
    await expectFailure(
      () => sleep('1' as never),
      TypeError,
      /expected `ms` to be a number.*got string "1"/,
    );
  });

  test('sleep(undefined) throws TypeError', async () => {
    await expectFailure(() => sleep(undefined as never), TypeError, /expected `ms`.*got undefined/);
  });

  test('loop.callLater(NaN) throws RangeError; callAt with a string throws TypeError', async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      await expectFailure(
        () => loop.callLater(Number.NaN, () => {}),
        RangeError,
        /`delayMs`.*got NaN/,
      );
      await expectFailure(
        () => loop.callAt('soon' as never, () => {}),
        TypeError,
        /callAt\(\) expected `whenMs` to be a number of milliseconds, got string "soon"/,
      );
    });
  });

  test('timeout(NaN, body) throws RangeError before running the body', async () => {
    let ran = false;
    await expectFailure(
      () =>
        timeout(Number.NaN, async () => {
          ran = true;
        }),
      RangeError,
      /timeout\(\) expected `ms` to be a number.*got NaN/,
    );
    expect(ran).toBe(false);
  });

  test('timeout(ms, notAFunction) throws TypeError naming what came', async () => {
    await expectFailure(
      () => timeout(10, 'body' as never),
      TypeError,
      /timeout\(\) expected a body function.*got string "body"/,
    );
  });

  test("timeoutAt('later', body) throws TypeError", async () => {
    await expectFailure(
      () => timeoutAt('later' as never, async () => {}),
      TypeError,
      /timeoutAt\(\) expected `whenMs`.*got string "later"/,
    );
  });

  test('waitFor(x, NaN) rejects with RangeError', async () => {
    await runVirtual(async () => {
      await expectFailure(
        () => waitFor(sleep(1), Number.NaN),
        RangeError,
        /waitFor\(\) expected `timeoutMs`.*got NaN/,
      );
    });
  });

  test('waitFor(42, ms) rejects with TypeError: 42 is not awaitable', async () => {
    await runVirtual(async () => {
      await expectFailure(
        () => waitFor(42 as never, 10),
        TypeError,
        /waitFor\(\) expected a Task, Future or promise, got number 42/,
      );
    });
  });

  test('new VirtualClock({ autojumpThresholdMs: -1 }) throws RangeError', async () => {
    await expectFailure(
      () => new VirtualClock({ autojumpThresholdMs: -1 }),
      RangeError,
      /`autojumpThresholdMs` to be a finite number >= 0, got -1/,
    );
    await expectFailure(
      () => new VirtualClock({ autojumpThresholdMs: Number.POSITIVE_INFINITY }),
      RangeError,
      /got Infinity/,
    );
  });
});

describe('tasks and combinators', () => {
  test('createTask(non-function) throws TypeError naming what came', async () => {
    await expectFailure(
      () => createTask(42 as never),
      TypeError,
      /createTask\(\) expected a function.*got number 42/,
    );
    await expectFailure(() => createTask(null as never), TypeError, /got null/);
  });

  test('gather([1]) throws TypeError naming index 0', async () => {
    await expectFailure(
      () => gather([1]),
      TypeError,
      /gather\(\) at index 0 expected a Task, Future or promise, got number 1/,
    );
  });

  test('gather([ok, {}]) names the index of the bad member', async () => {
    await runVirtual(async () => {
      await expectFailure(
        () => gather([sleep(1), {}]),
        TypeError,
        /at index 1 .*got an instance of Object/,
      );
    });
  });

  test('gather(5) throws TypeError: not an array', async () => {
    await expectFailure(
      () => gather(5 as never),
      TypeError,
      /gather\(\) expected an array of awaitables, got number 5/,
    );
  });

  test('wait([]) rejects with RangeError: the set is empty', async () => {
    await expectFailure(
      () => wait([]),
      RangeError,
      /wait\(\) expected a non-empty set of Tasks or Futures, got an empty one/,
    );
  });

  test('wait(future) rejects with TypeError: a Future is not an iterable of futures', async () => {
    await runVirtual(async () => {
      const fut = getRunningLoop().createFuture();
      await expectFailure(
        () => wait(fut as never),
        TypeError,
        /wait\(\) expected an iterable of Tasks or Futures, got an instance of Future/,
      );
    });
  });

  test('wait([promise]) rejects with TypeError: promises must be wrapped in tasks', async () => {
    await expectFailure(
      () => wait([Promise.resolve(1)] as never),
      TypeError,
      /wait\(\) takes Tasks or Futures, got an instance of Promise; wrap a promise with createTask/,
    );
  });

  test('wait(tasks, { returnWhen: bad }) rejects with RangeError listing the valid values', async () => {
    await runVirtual(async () => {
      const t = createTask(() => sleep(1));
      await expectFailure(
        () => wait([t], { returnWhen: 'WHENEVER' as never }),
        RangeError,
        /FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got string "WHENEVER"/,
      );
      await expectFailure(
        () => wait([t], { timeoutMs: Number.NaN }),
        RangeError,
        /wait\(\) expected `timeoutMs`.*got NaN/,
      );
      await t;
    });
  });

  test('asCompleted(5) throws TypeError', async () => {
    await expectFailure(
      () => asCompleted(5 as never),
      TypeError,
      /asCompleted\(\) expected an iterable of awaitables, got number 5/,
    );
  });

  test('shield(42) throws TypeError', async () => {
    await expectFailure(
      () => shield(42 as never),
      TypeError,
      /shield\(\) expected a Task, Future or promise, got number 42/,
    );
  });
});

describe('task groups', () => {
  test('entering a TaskGroup twice throws InvalidStateError', async () => {
    await runVirtual(async () => {
      const task = currentTask();
      if (task === undefined) throw new Error('expected to run in a task');
      const tg = new TaskGroup();
      tg._enter(task);
      await expectFailure(
        () => tg._enter(task),
        InvalidStateError,
        /TaskGroup has already been entered/,
      );
    });
  });

  test('taskGroup(body, { limit: 0 }) rejects with RangeError', async () => {
    await expectFailure(
      () => taskGroup(async () => {}, { limit: 0 }),
      RangeError,
      /Expected `limit` to be an integer from 1 and up, got number 0/,
    );
    await expectFailure(() => new TaskGroup({ limit: 1.5 }), RangeError, /got number 1.5/);
    await expectFailure(
      () => new TaskGroup({ limit: '5' as never }),
      TypeError,
      /`limit` to be a number, got string "5"/,
    );
  });

  test('taskGroup(notAFunction) rejects with TypeError', async () => {
    await expectFailure(
      () => taskGroup('body' as never),
      TypeError,
      /taskGroup\(\) expected a body function.*got string "body"/,
    );
  });

  test('tg.createTask(non-function) throws TypeError', async () => {
    await runVirtual(async () => {
      await taskGroup(async (tg) => {
        await expectFailure(
          () => tg.createTask(7 as never),
          TypeError,
          /TaskGroup.createTask\(\) expected a function.*got number 7/,
        );
      });
    });
  });
});

describe('run()', () => {
  test('run() inside a running loop rejects with InvalidStateError', async () => {
    await runVirtual(async () => {
      await expectFailure(
        () => run(async () => {}),
        InvalidStateError,
        /run\(\) cannot be called from a running event loop/,
      );
    });
  });

  test('run(42) rejects with TypeError naming what came', async () => {
    await expectFailure(
      () => run(42 as never),
      TypeError,
      /run\(\) expected an async function, got number 42/,
    );
  });

  test('setDefaultExecutor({}) throws TypeError describing the expected shape', async () => {
    await runVirtual(async () => {
      await expectFailure(
        () => getRunningLoop().setDefaultExecutor({} as never),
        TypeError,
        /Expected an executor with submit\(\) and shutdown\(\), got an instance of Object/,
      );
    });
  });
});
