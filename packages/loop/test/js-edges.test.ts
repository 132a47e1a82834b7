/**
 * The JavaScript-specific edges of the cancellation model (shared/DESIGN.md, "Core model"):
 * JavaScript cannot tell `await x` from `x.then(cb)` or `Promise.all([x])`, so every aiots
 * awaitable a task chains on is tied to it; callbacks scheduled from inside a task (timers,
 * listeners) inherit its context but must not capture its cancellation; `waitFor` and
 * `timeout` keep their deadline over foreign promises.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitterAsyncResource } from 'node:events';
import {
  CancelledError,
  createTask,
  currentTask,
  type Future,
  gather,
  getRunningLoop,
  run,
  sleep,
  type Task,
  TimeoutError,
  taskGroup,
  timeout,
  waitFor,
} from '@aiots/loop';
import { runVirtual } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';
import { busyWait, deferred, future, macrotask, rejection, runBriefly } from './helpers.ts';

describe('every aiots awaitable a task chains on is tied to it', () => {
  test('Promise.all([t1, t2]) inside a task: cancelling the task cancels both', async () => {
    await runVirtual(async () => {
      const t1 = createTask(() => sleep(10_000, 'one'));
      const t2 = createTask(() => sleep(20_000, 'two'));
      const outer = createTask(async () => await Promise.all([t1, t2]));
      await runBriefly();
      outer.cancel();
      expect(await rejection(outer)).toBeInstanceOf(CancelledError);
      expect(t1.cancelled()).toBe(true);
      expect(t2.cancelled()).toBe(true);
      expect(outer.cancelled()).toBe(true);
    });
  });

  test('Promise.race over aiots awaitables inside a task: cancelling the task cancels the pending ones', async () => {
    await runVirtual(async () => {
      const slow = createTask(() => sleep(10_000, 'slow'));
      const fut = future<string>('fut');
      let raced: Promise<string> | undefined;
      const outer = createTask(async () => {
        raced = sleep(20_000, 'sleep');
        return await Promise.race([slow, fut, raced]);
      });
      await runBriefly();
      expect(outer.waitingOn().length).toBe(3);
      outer.cancel();
      expect(await rejection(outer)).toBeInstanceOf(CancelledError);
      expect(slow.cancelled()).toBe(true);
      expect(fut.cancelled()).toBe(true);
      expect((raced as unknown as Future<string>).cancelled()).toBe(true);
      expect(getRunningLoop()._timerCount()).toBe(0);
    });
  });

  test('Promise.race won by one awaitable: the task goes on with the winner', async () => {
    await runVirtual(async () => {
      const slow = createTask(() => sleep(10_000, 'slow'));
      const outer = createTask(() => Promise.race([slow, sleep(10, 'fast')]));
      expect(await outer).toBe('fast');
      expect(slow.done()).toBe(false);
      slow.cancel();
    });
  });

  test('.then(cb) on a Future inside a task ties it (a cancel reaches it); addDoneCallback(cb) does not', async () => {
    await runVirtual(async () => {
      const tied = future<string>('tied');
      const observed = future<string>('observed');
      const calls: string[] = [];
      const t = createTask(async () => {
        tied.then(
          () => calls.push('then fulfilled'),
          (e: unknown) => calls.push(`then rejected: ${(e as Error).name}`),
        );
        observed.addDoneCallback(() => calls.push('done callback'));
        await sleep(10_000);
      });
      await runBriefly();
      expect(t.waitingOn().sort()).toEqual(['sleep(10000ms)', 'tied']);
      t.cancel();
      expect(await rejection(t)).toBeInstanceOf(CancelledError);
      expect(tied.cancelled()).toBe(true);
      expect(observed.done()).toBe(false);
      observed.setResult('still mine');
      await runBriefly();
      expect(calls).toEqual(['then rejected: CancelledError', 'done callback']);
    });
  });

  test('createTask, sleep and gather work from plain code with no run() (the default loop)', async () => {
    expect(currentTask()).toBeUndefined();
    const t = createTask(
      async () => {
        await sleep(1);
        return currentTask()?.getName();
      },
      { name: 'plain' },
    );
    expect(await t).toBe('plain');
    const results = await gather([
      sleep(2, 'a'),
      createTask(async () => 'b'),
      Promise.resolve('c'),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    const slow = createTask(() => sleep(60_000));
    await sleep(0);
    slow.cancel();
    expect(await rejection(slow)).toBeInstanceOf(CancelledError);
  });
});

describe('a task runs in the AsyncLocalStorage context it was created in', () => {
  const requestId = new AsyncLocalStorage<string>();

  test("createTask, an eager task and a task group child see the creator's store", async () => {
    await runVirtual(async () => {
      const seen = await requestId.run('req-1', async () => {
        const plain = createTask(async () => requestId.getStore());
        const eager = createTask(async () => requestId.getStore(), { eager: true });
        const fromGroup: Array<string | undefined> = [];
        await taskGroup(
          async (tg) => {
            for (let i = 0; i < 3; i++) {
              tg.createTask(async () => {
                await sleep(1);
                fromGroup.push(requestId.getStore());
              });
            }
          },
          { limit: 1 },
        );
        return [await plain, await eager, ...fromGroup];
      });
      expect(seen).toEqual(['req-1', 'req-1', 'req-1', 'req-1', 'req-1']);
    });
  });

  test('the store at createTask() counts, not the one when the body starts; the task is current inside', async () => {
    await runVirtual(async () => {
      const tasks = ['a', 'b'].map((id) =>
        requestId.run(id, () =>
          createTask(async () => [requestId.getStore(), currentTask()?.getName()], { name: id }),
        ),
      );
      requestId.enterWith('changed later');
      expect(await gather(tasks)).toEqual([
        ['a', 'a'],
        ['b', 'b'],
      ]);
    });
  });

  test('run(main) inside a context: main and its children see it; nothing leaks out of a task', async () => {
    const seen = await requestId.run('outer', () =>
      run(async () => {
        const child = createTask(async () => {
          requestId.enterWith('inside child');
          await sleep(0);
          return requestId.getStore();
        });
        const fromChild = await child;
        return [requestId.getStore(), fromChild, requestId.getStore()];
      }),
    );
    expect(seen).toEqual(['outer', 'inside child', 'outer']);
    expect(requestId.getStore()).toBeUndefined();
  });
});

describe('callbacks started inside a task do not capture its cancellation', () => {
  test('a setTimeout callback set inside a task: its sleep is not cancelled with the task', async () => {
    await run(async () => {
      const registered = deferred();
      let callbackSleep: Future<string> | undefined;
      let callbackTask: Task<unknown> | undefined;
      const t = createTask(async () => {
        setTimeout(() => {
          callbackTask = currentTask();
          // Chained right here, in the callback, so the tie exists before we cancel.
          callbackSleep = (sleep(5, 'slept') as Future<string>).then(
            (v) => v,
            (e: unknown) => `callback got ${(e as Error).name}`,
          );
          registered.resolve();
        }, 0);
        await sleep(10_000);
      });
      await registered.promise;
      // The callback runs in the task's async context: it looks like the task's code.
      expect(callbackTask).toBe(t);
      t.cancel();
      expect(await rejection(t)).toBeInstanceOf(CancelledError);
      expect(await callbackSleep).toBe('slept');
    });
  });

  test('a setTimeout callback set in a task turn that ran in the check phase is not tied either', async () => {
    await run(async () => {
      // Start the task from inside an immediate, so its first turn runs in Node's check
      // phase, and block long enough that the 0 ms timer is due before the next check phase.
      await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
      const registered = deferred();
      let callbackSleep: Future<string> | undefined;
      const t = createTask(
        async () => {
          setTimeout(() => {
            callbackSleep = (sleep(5, 'slept') as Future<string>).then(
              (v) => v,
              (e: unknown) => `callback got ${(e as Error).name}`,
            );
            registered.resolve();
          }, 0);
          const s = sleep(10_000);
          busyWait(3);
          await s;
        },
        { eager: true },
      );
      await registered.promise;
      expect(t.waitingOn()).toEqual(['sleep(10000ms)']);
      t.cancel();
      expect(await rejection(t)).toBeInstanceOf(CancelledError);
      expect(await callbackSleep).toBe('slept');
    });
  });

  test('an EventEmitter listener registered inside a task: its sleep is not cancelled with the task', async () => {
    await run(async () => {
      const registered = deferred();
      let emitter: EventEmitterAsyncResource | undefined;
      let listenerSleep: Future<string> | undefined;
      let listenerTask: Task<unknown> | undefined;
      const t = createTask(async () => {
        // Listeners of an EventEmitterAsyncResource run in the async context it was made
        // in, as I/O listeners do: here, the task's.
        emitter = new EventEmitterAsyncResource({ name: 'edge' });
        emitter.on('go', () => {
          listenerTask = currentTask();
          listenerSleep = (sleep(5, 'slept') as Future<string>).then(
            (v) => v,
            (e: unknown) => `listener got ${(e as Error).name}`,
          );
          registered.resolve();
        });
        await sleep(10_000);
      });
      await runBriefly();
      // Events arrive on a later turn than the one the task registered in (as I/O does).
      await macrotask();
      emitter?.emit('go');
      await registered.promise;
      expect(listenerTask).toBe(t);
      t.cancel();
      expect(await rejection(t)).toBeInstanceOf(CancelledError);
      expect(await listenerSleep).toBe('slept');
      emitter?.emitDestroy();
    });
  });

  test('loop.callSoon, loop.callLater and done callbacks run outside any task', async () => {
    const seen = await runVirtual(async () => {
      const loop = getRunningLoop();
      const seen: Record<string, Task<unknown> | undefined | 'not run'> = {
        callSoon: 'not run',
        callLater: 'not run',
        doneCallback: 'not run',
      };
      const fut = future<void>('fut');
      await createTask(async () => {
        expect(currentTask()).toBeDefined();
        loop.callSoon(() => {
          seen.callSoon = currentTask();
        });
        loop.callLater(5, () => {
          seen.callLater = currentTask();
        });
        fut.addDoneCallback(() => {
          seen.doneCallback = currentTask();
        });
        fut.setResult();
        await sleep(10);
      });
      return seen;
    });
    expect(seen).toEqual({ callSoon: undefined, callLater: undefined, doneCallback: undefined });
  });
});

describe('deadlines over foreign promises', () => {
  test('waitFor(foreignPromise, ms) settles with TimeoutError at its deadline; the promise stays pending', async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const foreign = deferred<string>();
      let settled = false;
      foreign.promise.then(() => {
        settled = true;
      });
      const e = await rejection(waitFor(foreign.promise, 50));
      expect(e).toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(50);
      expect(settled).toBe(false);
      expect(currentTask()?.cancelling()).toBe(0);
      // The foreign work goes on unobserved and may still finish.
      foreign.resolve('late');
      expect(await foreign.promise).toBe('late');
    });
  });

  test('timeout(ms, body) whose body awaits a foreign promise resolving after the deadline throws TimeoutError, not the late value', async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const foreign = deferred<string>();
      loop.callAt(20, () => foreign.resolve('late'));
      let bodyFinished = false;
      const e = await rejection(
        timeout(10, async (scope) => {
          const v = await foreign.promise;
          bodyFinished = true;
          expect(scope.expired()).toBe(true);
          return v;
        }),
      );
      expect(e).toBeInstanceOf(TimeoutError);
      expect(bodyFinished).toBe(true);
      expect(loop.time()).toBe(20);
      // The undelivered cancel was withdrawn: the task goes on normally.
      expect(currentTask()?.cancelling()).toBe(0);
      expect(await sleep(1, 'after')).toBe('after');
    });
  });

  test('timeout(ms, body) over a foreign promise that resolves in time returns its value', async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const foreign = deferred<string>();
      loop.callAt(5, () => foreign.resolve('in time'));
      expect(await timeout(10, () => foreign.promise)).toBe('in time');
      expect(currentTask()?.cancelling()).toBe(0);
    });
  });

  test('after a handled timeout the task has a fresh, unaborted signal', async () => {
    await runVirtual(async () => {
      const me = currentTask() as Task<unknown>;
      const before = me.signal;
      let during: AbortSignal | undefined;
      const e = await rejection(
        timeout(5, async () => {
          try {
            await sleep(100);
          } finally {
            during = me.signal;
          }
        }),
      );
      expect(e).toBeInstanceOf(TimeoutError);
      expect(during?.aborted).toBe(true);
      expect(before.aborted).toBe(true);
      const after = me.signal;
      expect(after).not.toBe(before);
      expect(after.aborted).toBe(false);
      expect(me.cancelling()).toBe(0);
    });
  });
});

describe('the hard case: a cancel absorbed by an awaitable the task left behind', () => {
  test('after Promise.race([sleep, foreign]), a cancel while on another foreign promise aborts the signal at once and arrives at the next aiots await', async () => {
    const absorbed: Error[] = [];
    const warned = deferred();
    const onWarning = (w: Error): void => {
      if (w.name === 'AiotsCancelAbsorbedWarning') {
        absorbed.push(w);
        warned.resolve();
      }
    };
    process.on('warning', onWarning);
    const log: string[] = [];
    try {
      await run(
        async () => {
          const foreign1 = deferred<string>();
          const foreign2 = deferred<string>();
          const atForeign2 = deferred();
          const t = createTask(
            async () => {
              log.push(await Promise.race([sleep(1000, 'slept'), foreign1.promise]));
              atForeign2.resolve();
              log.push(await foreign2.promise);
              try {
                await sleep(0);
                log.push('not cancelled');
              } catch (e) {
                log.push('cancelled at the next aiots await');
                throw e;
              }
            },
            { name: 'racer' },
          );
          foreign1.resolve('foreign1');
          await atForeign2.promise;
          t.cancel('late cancel');
          // Foreign APIs handed the signal stop at once.
          expect(t.signal.aborted).toBe(true);
          // The stale sleep took the cancel; debug mode notices and re-arms it.
          await warned.promise;
          foreign2.resolve('foreign2');
          const e = await rejection(t);
          expect(e).toBeInstanceOf(CancelledError);
          expect((e as Error).message).toBe('late cancel');
          expect(t.cancelled()).toBe(true);
        },
        { debug: true },
      );
    } finally {
      process.off('warning', onWarning);
    }
    expect(log).toEqual(['foreign1', 'foreign2', 'cancelled at the next aiots await']);
    expect(absorbed).toHaveLength(1);
    expect(absorbed[0]?.message).toMatch(/racer.*Promise\.race/);
  });
});
