/**
 * Condition: the CPython cases of asyncio-semantics.md section 4.H (131), from test_locks.py
 * `ConditionTests` (3.13: gh-111693, gh-112202), plus stats() and signals.
 */
import {
  CancelledError,
  createTask,
  getRunningLoop,
  InvalidStateError,
  run,
  sleep,
  TimeoutError,
  timeout,
  VirtualClock,
  waitFor,
} from '@aiots/loop';
import { virtualTest } from '@aiots/loop/testing';
import { Condition, Lock } from '@aiots/sync';
import { describe, expect, test } from 'vitest';
import { settle, tick } from './helpers.ts';

describe('Condition: CPython ConditionTests', () => {
  test(
    'test_wait: notify wakes waiters in order, each returning with the lock held',
    virtualTest(async () => {
      const cond = new Condition();
      const result: number[] = [];
      const c = (n: number) => async () => {
        await cond.acquire();
        if (await cond.wait()) result.push(n);
        return true;
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      const t3 = createTask(c(3));
      await tick();
      expect(result).toEqual([]);
      expect(cond.locked()).toBe(false);

      expect(await cond.acquire()).toBe(true);
      cond.notify();
      await tick();
      expect(result).toEqual([]);
      expect(cond.locked()).toBe(true);

      cond.release();
      await tick();
      expect(result).toEqual([1]);
      expect(cond.locked()).toBe(true);

      cond.notify(2);
      await tick();
      expect(result).toEqual([1]);
      expect(cond.locked()).toBe(true);

      cond.release();
      await tick();
      expect(result).toEqual([1, 2]);
      expect(cond.locked()).toBe(true);

      cond.release();
      await tick();
      expect(result).toEqual([1, 2, 3]);
      expect(cond.locked()).toBe(true);
      for (const t of [t1, t2, t3]) expect(t.result()).toBe(true);
    }),
  );

  test(
    'test_wait_cancel: a cancelled wait re-holds the lock and leaves no waiter',
    virtualTest(async () => {
      const cond = new Condition();
      await cond.acquire();
      const wait = createTask(() => cond.wait());
      getRunningLoop().callSoon(() => wait.cancel());
      await expect(wait).rejects.toSatisfy(CancelledError.is);
      expect(cond.stats().waiting).toBe(0);
      expect(cond.locked()).toBe(true);
    }),
  );

  test(
    'test_wait_cancel_contested (bpo-22970): notify, then a contested cancel: lock held',
    virtualTest(async () => {
      const cond = new Condition();
      await cond.acquire();
      expect(cond.locked()).toBe(true);
      const waitTask = createTask(() => cond.wait());
      await tick();
      expect(cond.locked()).toBe(false);
      await cond.acquire();
      expect(cond.locked()).toBe(true);
      cond.notify();
      getRunningLoop().callSoon(() => waitTask.cancel());
      getRunningLoop().callSoon(() => cond.release());
      try {
        await waitTask;
      } catch (e) {
        expect(CancelledError.is(e)).toBe(true);
      }
      expect(cond.locked()).toBe(true);
    }),
  );

  test(
    'test_wait_cancel_after_notify (bpo-32841): cancel while re-acquiring cancels the task',
    virtualTest(async () => {
      let waited = false;
      const cond = new Condition();
      const waiter = createTask(async () => {
        await using _ = await cond.hold();
        waited = true;
        await cond.wait();
      });
      await tick();
      await cond.acquire();
      cond.notify();
      await tick(); // the waiter is now re-acquiring
      waiter.cancel();
      await tick();
      cond.release();
      await settle();
      expect(waiter.cancelled()).toBe(true);
      expect(waited).toBe(true);
      expect(cond.locked()).toBe(false);
    }),
  );

  test('test_wait_unacquired: wait() without the lock rejects with InvalidStateError', async () => {
    const cond = new Condition();
    await expect(cond.wait()).rejects.toBeInstanceOf(InvalidStateError);
    await expect(cond.wait()).rejects.toThrow('cannot wait on un-acquired lock');
  });

  test(
    'test_wait_for: waits until the predicate holds',
    virtualTest(async () => {
      const cond = new Condition();
      let presult = false;
      const result: number[] = [];
      const t = createTask(async () => {
        await cond.acquire();
        if (await cond.waitFor(() => presult)) {
          result.push(1);
          cond.release();
        }
        return true;
      });
      await tick();
      expect(result).toEqual([]);
      await cond.acquire();
      cond.notify();
      cond.release();
      await tick();
      expect(result).toEqual([]);
      presult = true;
      await cond.acquire();
      cond.notify();
      cond.release();
      await tick();
      expect(result).toEqual([1]);
      expect(t.result()).toBe(true);
    }),
  );

  test('test_wait_for_unacquired: a true predicate needs no lock; a false one does', async () => {
    const cond = new Condition();
    expect(await cond.waitFor(() => [1, 2, 3])).toEqual([1, 2, 3]);
    await expect(cond.waitFor(() => false)).rejects.toBeInstanceOf(InvalidStateError);
  });

  test(
    'test_notify: notify(1) wakes one; notify(1) + notify(2048) wakes the rest',
    virtualTest(async () => {
      const cond = new Condition();
      const result: number[] = [];
      const c = (n: number) => async () => {
        await cond.acquire();
        if (await cond.wait()) {
          result.push(n);
          cond.release();
        }
        return true;
      };
      const tasks = [createTask(c(1)), createTask(c(2)), createTask(c(3))];
      await tick();
      expect(result).toEqual([]);
      await cond.acquire();
      cond.notify(1);
      cond.release();
      await tick();
      expect(result).toEqual([1]);
      await cond.acquire();
      cond.notify(1);
      cond.notify(2048);
      cond.release();
      await tick();
      expect(result).toEqual([1, 2, 3]);
      for (const t of tasks) expect(t.result()).toBe(true);
    }),
  );

  test(
    'test_notify_all: wakes every waiter',
    virtualTest(async () => {
      const cond = new Condition();
      const result: number[] = [];
      const c = (n: number) => async () => {
        await cond.acquire();
        if (await cond.wait()) {
          result.push(n);
          cond.release();
        }
        return true;
      };
      const tasks = [createTask(c(1)), createTask(c(2))];
      await tick();
      expect(result).toEqual([]);
      await cond.acquire();
      cond.notifyAll();
      cond.release();
      await tick();
      expect(result).toEqual([1, 2]);
      for (const t of tasks) expect(t.result()).toBe(true);
    }),
  );

  test('test_notify_unacquired / test_notify_all_unacquired: InvalidStateError', () => {
    const cond = new Condition();
    expect(() => cond.notify()).toThrow(InvalidStateError);
    expect(() => cond.notifyAll()).toThrow('cannot notify on un-acquired lock');
  });

  test('test_repr: toString shows the lock state', async () => {
    const cond = new Condition();
    expect(String(cond)).toBe('<Condition [unlocked]>');
    await cond.acquire();
    expect(String(cond)).toBe('<Condition [locked]>');
  });

  test(
    'test_context_manager: hold() with await using',
    virtualTest(async () => {
      const cond = new Condition();
      expect(cond.locked()).toBe(false);
      {
        await using _ = await cond.hold();
        expect(cond.locked()).toBe(true);
      }
      expect(cond.locked()).toBe(false);
    }),
  );

  test(
    'test_explicit_lock: a Condition over a given Lock shares its state',
    virtualTest(async () => {
      const f = async (lock?: Lock, cond?: Condition) => {
        const l = lock ?? new Lock();
        const c = cond ?? new Condition(l);
        expect(l.locked()).toBe(false);
        expect(c.locked()).toBe(false);
        {
          await using _ = await c.hold();
          expect(l.locked()).toBe(true);
          expect(c.locked()).toBe(true);
        }
        expect(l.locked()).toBe(false);
        {
          await using _ = await l.hold();
          expect(c.locked()).toBe(true);
        }
        expect(c.locked()).toBe(false);
      };
      await f();
      await f(new Lock());
      const lock = new Lock();
      await f(lock, new Condition(lock));
    }),
  );

  test('a Condition refuses a lock that is not a Lock', () => {
    expect(() => new Condition({} as Lock)).toThrow(
      'Condition expected `lock` to be a Lock, got an instance of Object',
    );
  });

  test(
    'test_timeout_in_block (bpo-32751): waitFor(cond.wait()) times out with the lock held',
    virtualTest(async () => {
      const cond = new Condition();
      await cond.acquire();
      await expect(waitFor(cond.wait(), 500)).rejects.toBeInstanceOf(TimeoutError);
      expect(cond.locked()).toBe(true);
      cond.release();
    }),
  );

  test(
    'test_cancelled_error_wakeup (gh-111693): the same CancelledError instance propagates',
    virtualTest(async () => {
      const cond = new Condition();
      let raised: unknown;
      const task = createTask(async () => {
        await using _ = await cond.hold();
        try {
          await cond.waitFor(() => false);
        } catch (e) {
          raised = e;
          throw e;
        }
      });
      await tick();
      task.cancel('foo');
      const err = await task.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(CancelledError.is(err)).toBe(true);
      expect((err as Error).message).toBe('foo');
      expect(err).toBe(raised);
    }),
  );

  test(
    'test_cancelled_error_re_aquire (gh-111693): cancelled while re-acquiring, same instance',
    virtualTest(async () => {
      const cond = new Condition();
      let wake = false;
      let raised: unknown;
      const task = createTask(async () => {
        await using _ = await cond.hold();
        try {
          await cond.waitFor(() => wake);
        } catch (e) {
          raised = e;
          throw e;
        }
      });
      await tick();
      await cond.acquire();
      wake = true;
      cond.notify();
      await tick(); // the task is re-acquiring the lock now
      task.cancel('foo');
      cond.release();
      const err = await task.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(CancelledError.is(err)).toBe(true);
      expect((err as Error).message).toBe('foo');
      expect(err).toBe(raised);
    }),
  );

  const consumerRace = (relock: boolean) =>
    virtualTest(async () => {
      const condition = new Condition();
      let state = 0;
      const consumer = async () => {
        await using _ = await condition.hold();
        for (;;) {
          await condition.waitFor(() => state !== 0);
          if (state < 0) return;
          state -= 1;
        }
      };
      const c = [createTask(consumer), createTask(consumer)];
      await tick();
      {
        await using _ = await condition.hold();
        state += 1;
        condition.notify(1);
        if (relock) await sleep(0); // let the target settle on re-acquiring the lock
        (c[0] as (typeof c)[0]).cancel();
        try {
          await timeout(10, () => condition.waitFor(() => state === 0));
        } catch (e) {
          if (!(e instanceof TimeoutError)) throw e;
        }
        expect(state).toBe(0);
        state = -1;
        condition.notifyAll();
      }
      await c[1];
    });

  test(
    'test_cancelled_wakeup (gh-112202): a notify racing a cancel is not lost',
    consumerRace(false),
  );
  test(
    'test_cancelled_wakeup_relock (gh-112202): cancelled while re-locking, notify not lost',
    consumerRace(true),
  );

  test('a Condition is not a thenable', async () => {
    const cond = new Condition();
    expect('then' in cond).toBe(false);
    expect(await cond).toBe(cond);
  });
});

describe('Condition: stats(), signals, bad input', () => {
  test(
    'stats() counts tasks waiting for a notify',
    virtualTest(async () => {
      const cond = new Condition();
      const t = createTask(async () => {
        await using _ = await cond.hold();
        await cond.wait();
      });
      await tick();
      expect(cond.stats()).toEqual({ locked: false, waiting: 1 });
      expect(Object.isFrozen(cond.stats())).toBe(true);
      await cond.acquire();
      cond.notifyAll();
      expect(cond.stats()).toEqual({ locked: true, waiting: 0 });
      cond.release();
      await t;
    }),
  );

  test(
    'an abort while waiting rejects with signal.reason, with the lock held again',
    virtualTest(async () => {
      const cond = new Condition();
      const ac = new AbortController();
      const t = createTask(async () => {
        await cond.acquire();
        try {
          await cond.wait({ signal: ac.signal });
        } catch (e) {
          return { error: e, locked: cond.locked() };
        } finally {
          cond.release();
        }
        return undefined;
      });
      await tick();
      ac.abort('enough');
      expect(await t).toEqual({ error: 'enough', locked: true });
      expect(cond.locked()).toBe(false);
    }),
  );

  test(
    'an abort after the notify passes the notification to another waiter',
    virtualTest(async () => {
      const cond = new Condition();
      const ac = new AbortController();
      const woken: string[] = [];
      const waiter = (name: string, signal?: AbortSignal) => async () => {
        await using _ = await cond.hold();
        await cond.wait({ signal });
        woken.push(name);
      };
      const a = createTask(waiter('a', ac.signal));
      const b = createTask(waiter('b'));
      await tick();
      await cond.acquire();
      cond.notify(1); // notifies a
      ac.abort('gone'); // a gives up before resuming
      cond.release();
      await expect(a).rejects.toBe('gone');
      await b;
      expect(woken).toEqual(['b']);
    }),
  );

  test('notify() with a bad count throws', async () => {
    const cond = new Condition();
    await cond.acquire();
    expect(() => cond.notify(-1)).toThrow(RangeError);
    expect(() => cond.notify('2' as never)).toThrow(TypeError);
    expect(() => cond.notify(Number.NaN)).toThrow(
      'Condition.notify() expected `n` to be a number from 0 and up, got NaN',
    );
    await expect(cond.waitFor(42 as never)).rejects.toThrow(
      'Condition.waitFor() expected a predicate function, got number 42',
    );
  });
});

describe('Condition: hold() under cancellation', () => {
  // CPython 3.13 (`async with cond` in a task, cond.release(), call_soon(task.cancel)):
  // the condition's lock ends free.
  test(
    'release, then a cancel one callback later: the lock ends free (CPython 3.13 async with)',
    virtualTest(async () => {
      const cond = new Condition();
      await cond.acquire();
      const t = createTask(async () => {
        await using _ = await cond.hold();
        await sleep(1000);
      });
      await tick();
      cond.release();
      getRunningLoop().callSoon(() => t.cancel());
      await expect(t).rejects.toSatisfy(CancelledError.is);
      expect(cond.stats()).toEqual({ locked: false, waiting: 0 });
    }),
  );
});

describe('Condition: waiters counted', () => {
  test(
    'a waiter cancelled in wait() stops counting at once (CPython 3.13 counts only live waiters)',
    virtualTest(async () => {
      const cond = new Condition();
      const t = createTask(async () => {
        await using _ = await cond.hold();
        await cond.wait();
      });
      await tick();
      expect(cond.stats()).toEqual({ locked: false, waiting: 1 });
      t.cancel();
      expect(cond.stats().waiting).toBe(0);
      await expect(t).rejects.toSatisfy(CancelledError.is);
      expect(cond.stats()).toEqual({ locked: false, waiting: 0 });
    }),
  );
});

describe('Condition: a wait left behind by a run() that ended', () => {
  test('notify() skips the dead waiter and wakes a live one in the next run()', async () => {
    const cond = new Condition();
    await run(
      async () => {
        await cond.acquire();
        await Promise.race([cond.wait(), sleep(5)]); // wait() released the lock
      },
      { clock: new VirtualClock() },
    );
    const got = await run(
      async () => {
        const waiter = createTask(async () => {
          await using _ = await cond.hold();
          return await cond.wait();
        });
        await sleep(1);
        {
          await using _ = await cond.hold();
          cond.notify();
        }
        return waitFor(waiter, 100);
      },
      { clock: new VirtualClock() },
    );
    expect(got).toBe(true);
    expect(cond.stats()).toEqual({ locked: false, waiting: 0 });
  });

  test('an abort after the run() ended leaves the abandoned wait alone', async () => {
    const cond = new Condition();
    const ac = new AbortController();
    await run(
      async () => {
        await cond.acquire();
        await Promise.race([cond.wait({ signal: ac.signal }), sleep(5)]);
      },
      { clock: new VirtualClock() },
    );
    ac.abort();
    await new Promise((resolve) => setImmediate(resolve));
    expect(cond.stats()).toEqual({ locked: false, waiting: 0 });
  });
});

describe('Condition: methods passed as callbacks', () => {
  test(
    'unbound notify, notifyAll and release work as callbacks',
    virtualTest(async () => {
      const cond = new Condition();
      const waiters = [1, 2].map(() =>
        createTask(async () => {
          await using _ = await cond.hold();
          return await cond.wait();
        }),
      );
      await tick();
      await cond.acquire();
      const { notify, notifyAll, release } = cond;
      notify();
      notifyAll();
      getRunningLoop().callSoon(release);
      expect(await waitFor(Promise.all(waiters), 100)).toEqual([true, true]);
      expect(cond.locked()).toBe(false);
    }),
  );
});
