/**
 * Semaphore and BoundedSemaphore: the CPython cases of asyncio-semantics.md section 4.H
 * (132), from test_locks.py `SemaphoreTests` (gh-90155 and 3.13's fifo_4), plus weighted
 * permits, hold(), stats(), signals and bad input.
 */
import {
  CancelledError,
  createTask,
  gather,
  getRunningLoop,
  InvalidStateError,
  run,
  sleep,
  type Task,
  taskGroup,
  VirtualClock,
  waitFor,
} from '@aiots/loop';
import { virtualTest } from '@aiots/loop/testing';
import { BoundedSemaphore, Semaphore } from '@aiots/sync';
import { describe, expect, test } from 'vitest';
import { settle, tick } from './helpers.ts';

describe('Semaphore: CPython SemaphoreTests', () => {
  test('test_initial_value_zero: Semaphore(0) is locked', () => {
    expect(new Semaphore(0).locked()).toBe(true);
  });

  test('test_repr: toString shows the state', async () => {
    const sem = new Semaphore();
    expect(String(sem)).toBe('<Semaphore [unlocked, value:1]>');
    await sem.acquire();
    expect(String(sem)).toBe('<Semaphore [locked]>');
  });

  test('test_semaphore: not a thenable, value 1 by default', async () => {
    const sem = new Semaphore();
    expect(sem.stats().value).toBe(1);
    expect('then' in sem).toBe(false);
    expect(await sem).toBe(sem);
    expect(sem.locked()).toBe(false);
    expect(sem.stats().value).toBe(1);
  });

  test('test_semaphore_value: Semaphore(-1) is a RangeError', () => {
    expect(() => new Semaphore(-1)).toThrow(RangeError);
    expect(() => new Semaphore(-1)).toThrow(
      'Semaphore expected `value` to be an integer from 0 and up, got -1',
    );
    // A number out of range (not an integer) is a RangeError; another type, a TypeError.
    expect(() => new Semaphore(1.5)).toThrow(RangeError);
    expect(() => new Semaphore(Number.NaN)).toThrow(
      'Semaphore expected `value` to be an integer from 0 and up, got NaN',
    );
    expect(() => new Semaphore('2' as never)).toThrow(
      'Semaphore expected `value` to be an integer, got string "2"',
    );
    expect(() => new BoundedSemaphore(-3)).toThrow('BoundedSemaphore expected `value`');
  });

  test(
    'test_acquire: released permits go to the queued waiters first',
    virtualTest(async () => {
      const sem = new Semaphore(3);
      const result: number[] = [];
      expect(await sem.acquire()).toBe(true);
      expect(await sem.acquire()).toBe(true);
      expect(sem.locked()).toBe(false);
      const c = (n: number) => async () => {
        await sem.acquire();
        result.push(n);
        return true;
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      const t3 = createTask(c(3));
      await tick();
      expect(result).toEqual([1]);
      expect(sem.locked()).toBe(true);
      expect(sem.stats().waiting).toBe(2);
      expect(sem.stats().value).toBe(0);
      const t4 = createTask(c(4));
      sem.release();
      sem.release();
      expect(sem.stats().value).toBe(0);
      await tick();
      expect(sem.stats().value).toBe(0);
      expect(result.length).toBe(3);
      expect(sem.locked()).toBe(true);
      expect(sem.stats().waiting).toBe(1);
      expect(t1.result()).toBe(true);
      const race = [t2, t3, t4];
      expect(race.filter((t) => t.done() && t.result()).length).toBe(2);
      sem.release();
      await gather(race);
    }),
  );

  test(
    'test_acquire_cancel: a cancelled acquire leaves no live waiter',
    virtualTest(async () => {
      const sem = new Semaphore();
      await sem.acquire();
      const acquire = createTask(() => sem.acquire());
      getRunningLoop().callSoon(() => acquire.cancel());
      await expect(acquire).rejects.toSatisfy(CancelledError.is);
      expect(sem.stats().waiting).toBe(0);
    }),
  );

  test(
    'test_acquire_cancel_before_awoken: cancelled waiters do not swallow the permit',
    virtualTest(async () => {
      const sem = new Semaphore(0);
      const [t1, t2, t3, t4] = [1, 2, 3, 4].map(() =>
        createTask(() => sem.acquire()),
      ) as Task<true>[];
      await tick();
      t1?.cancel();
      t2?.cancel();
      sem.release();
      await tick();
      expect((t3 as Task<true>).done()).toBe(true);
      expect((t4 as Task<true>).done()).toBe(false);
      t3?.cancel();
      t4?.cancel();
      await tick();
    }),
  );

  test(
    'test_acquire_hang: the permit goes past a cancelled waiter',
    virtualTest(async () => {
      const sem = new Semaphore(0);
      const t1 = createTask(() => sem.acquire());
      const t2 = createTask(() => sem.acquire());
      await tick();
      t1.cancel();
      sem.release();
      await tick();
      expect(sem.locked()).toBe(true);
      expect(t2.done()).toBe(true);
    }),
  );

  test(
    'test_acquire_no_hang: a waiter cancelled after its wakeup gives the permit back',
    virtualTest(async () => {
      const sem = new Semaphore(1);
      let t2: Task<void> | undefined;
      // `using`, not `await using`: asyncio's __aexit__ does not yield, and neither does a
      // synchronous dispose, so t2 is cancelled before it resumes, as in the original.
      const c1 = async () => {
        {
          using _ = await sem.hold();
          await sleep(0);
        }
        t2?.cancel();
      };
      const c2 = async () => {
        using _ = await sem.hold();
        throw new Error('c2 must not get the permit');
      };
      const t1 = createTask(c1);
      t2 = createTask(c2);
      const [r1, r2] = await gather([t1, t2], { returnExceptions: true });
      expect(r1).toBeUndefined();
      expect(CancelledError.is(r2)).toBe(true);
      await waitFor(sem.acquire(), 1000);
    }),
  );

  test('test_release_not_acquired: BoundedSemaphore().release() throws', () => {
    const sem = new BoundedSemaphore();
    expect(() => sem.release()).toThrow(InvalidStateError);
    expect(() => sem.release()).toThrow(/^BoundedSemaphore released too many times/);
  });

  test(
    'test_release_no_waiters: release unlocks',
    virtualTest(async () => {
      const sem = new Semaphore();
      await sem.acquire();
      expect(sem.locked()).toBe(true);
      sem.release();
      expect(sem.locked()).toBe(false);
    }),
  );

  test(
    'test_acquire_fifo_order: release then re-acquire queues behind the others',
    virtualTest(async () => {
      const sem = new Semaphore(1);
      const result: string[] = [];
      const coro = (tag: string) => async () => {
        await sem.acquire();
        result.push(`${tag}_1`);
        await sleep(10);
        sem.release();
        await sem.acquire();
        result.push(`${tag}_2`);
        await sleep(10);
        sem.release();
      };
      await taskGroup(async (tg) => {
        tg.createTask(coro('c1'));
        tg.createTask(coro('c2'));
        tg.createTask(coro('c3'));
      });
      expect(result).toEqual(['c1_1', 'c2_1', 'c3_1', 'c1_2', 'c2_2', 'c3_2']);
    }),
  );

  test(
    'test_acquire_fifo_order_2',
    virtualTest(async () => {
      const sem = new Semaphore(1);
      const result: number[] = [];
      const t1 = createTask(async () => {
        await sem.acquire();
        result.push(1);
        return true;
      });
      const t2 = createTask(async () => {
        await sem.acquire();
        result.push(2);
        sem.release();
        await sem.acquire();
        result.push(4);
        return true;
      });
      const t3 = createTask(async () => {
        await sem.acquire();
        result.push(3);
        return true;
      });
      await tick();
      sem.release();
      sem.release();
      await gather([t1, t2, t3]);
      expect(result).toEqual([1, 2, 3, 4]);
    }),
  );

  test(
    'test_acquire_fifo_order_3: a cancelled waiter is skipped',
    virtualTest(async () => {
      const sem = new Semaphore(0);
      const result: number[] = [];
      const c = (n: number) => async () => {
        await sem.acquire();
        result.push(n);
        return true;
      };
      const tasks = [createTask(c(1)), createTask(c(2)), createTask(c(3))];
      await tick();
      tasks[0]?.cancel();
      await tick();
      sem.release();
      sem.release();
      await gather(tasks, { returnExceptions: true });
      expect(result).toEqual([2, 3]);
    }),
  );

  test(
    'test_acquire_fifo_order_4 (3.13): a woken waiter wakes those queued behind it',
    virtualTest(async () => {
      const sem = new Semaphore(0);
      const result: number[] = [];
      let t4: Task<boolean> | undefined;
      const checks: boolean[] = [];
      const c4 = async () => {
        result.push(4);
        return true;
      };
      const t1 = createTask(async () => {
        checks.push(sem.stats().value === 0);
        await sem.acquire();
        // Every queued task has been woken by now.
        checks.push(sem.stats().value === 0);
        t4 = createTask(c4);
        result.push(1);
        return true;
      });
      const t2 = createTask(async () => {
        sem.release();
        sem.release();
        sem.release();
        checks.push(sem.stats().value === 2);
        // Locked: t1 was woken but has not run yet, so t2 must queue behind it.
        checks.push(sem.locked());
        await sem.acquire();
        result.push(2);
        return true;
      });
      const t3 = createTask(async () => {
        await sem.acquire();
        checks.push(sem.locked());
        result.push(3);
        return true;
      });
      await sleep(0);
      await settle();
      await gather([t1, t2, t3, t4 as Task<boolean>]);
      // asyncio gives [1, 2, 3, 4]. Here t4's body may start before t2 and t3 resume (a task
      // start runs in the loop's batch, a resumption in the microtasks after it): that
      // interleaving is outside the contract; the FIFO order of the woken waiters is not.
      expect(result[0]).toBe(1);
      expect(result.filter((n) => n !== 4)).toEqual([1, 2, 3]);
      expect(result.length).toBe(4);
      expect(checks).toEqual([true, true, true, true, true]);
    }),
  );
});

describe('Semaphore: weighted permits', () => {
  test(
    'acquire(weight) takes that many permits; release(weight) gives them back',
    virtualTest(async () => {
      const sem = new Semaphore(10);
      await sem.acquire(7);
      expect(sem.stats().value).toBe(3);
      expect(sem.locked()).toBe(false);
      await sem.acquire(3);
      expect(sem.locked()).toBe(true);
      sem.release(10);
      expect(sem.stats().value).toBe(10);
    }),
  );

  test(
    'a heavy waiter at the head is not starved by light ones behind it',
    virtualTest(async () => {
      const sem = new Semaphore(4);
      const order: string[] = [];
      await sem.acquire(3); // 1 free
      const heavy = createTask(async () => {
        await sem.acquire(4);
        order.push('heavy');
        sem.release(4);
      });
      await tick();
      const light = [1, 2, 3].map((n) =>
        createTask(async () => {
          await sem.acquire(1);
          order.push(`light${n}`);
          sem.release(1);
        }),
      );
      await tick();
      // One permit is free, but the light waiters queue behind the heavy head.
      expect(order).toEqual([]);
      expect(sem.stats()).toEqual({ value: 1, locked: true, waiting: 4 });
      sem.release(3);
      await gather([heavy, ...light]);
      expect(order).toEqual(['heavy', 'light1', 'light2', 'light3']);
      expect(sem.stats().value).toBe(4);
    }),
  );

  test(
    'cancelling the heavy head lets the light waiters behind it through',
    virtualTest(async () => {
      const sem = new Semaphore(2);
      await sem.acquire(1);
      const heavy = createTask(() => sem.acquire(2));
      await tick();
      const light = createTask(() => sem.acquire(1));
      await tick();
      expect(light.done()).toBe(false);
      heavy.cancel();
      expect(await light).toBe(true);
      expect(sem.stats().value).toBe(0);
    }),
  );

  test(
    'permits handed to a waiter cancelled before it resumes are given back and passed on',
    virtualTest(async () => {
      const sem = new Semaphore(0);
      const a = createTask(() => sem.acquire(2));
      const b = createTask(() => sem.acquire(2));
      await tick();
      sem.release(2); // handed to a
      a.cancel();
      await expect(a).rejects.toSatisfy(CancelledError.is);
      expect(await b).toBe(true);
      expect(sem.stats().value).toBe(0);
      sem.release(2);
      expect(sem.stats().value).toBe(2);
    }),
  );

  test(
    'one release can wake several light waiters at once',
    virtualTest(async () => {
      const sem = new Semaphore(0);
      const waiters = [1, 2, 3].map(() => createTask(() => sem.acquire()));
      await tick();
      sem.release(3);
      await gather(waiters);
      expect(sem.stats().value).toBe(0);
    }),
  );

  test('bad weights are TypeErrors or RangeErrors, as rejected promises', async () => {
    const sem = new Semaphore(2);
    await expect(sem.acquire(0)).rejects.toThrow(
      'Semaphore.acquire() expected `weight` to be an integer from 1 and up, got 0',
    );
    await expect(sem.acquire(1.5)).rejects.toBeInstanceOf(RangeError);
    await expect(sem.acquire(Number.POSITIVE_INFINITY)).rejects.toBeInstanceOf(RangeError);
    await expect(sem.acquire('2' as never)).rejects.toBeInstanceOf(TypeError);
    await expect(sem.hold(0)).rejects.toThrow(
      'Semaphore.hold() expected `weight` to be an integer from 1 and up, got 0',
    );
    expect(() => sem.release('2' as never)).toThrow(TypeError);
    expect(() => sem.release(Number.NaN)).toThrow(RangeError);
    expect(() => sem.release(0)).toThrow(RangeError);
    expect(() => sem.release(-2)).toThrow(RangeError);
    expect(sem.stats().value).toBe(2);
    const bounded = new BoundedSemaphore(3);
    await expect(bounded.acquire(4)).rejects.toThrow(
      'BoundedSemaphore.acquire() expected `weight` to be an integer from 1 to 3, got 4',
    );
    await bounded.acquire(2);
    expect(() => bounded.release(3)).toThrow(
      'BoundedSemaphore released too many times: expected at most 3 permits in total, but releasing 3 would make 4',
    );
    bounded.release(2);
    expect(bounded.stats().value).toBe(3);
  });
});

describe('Semaphore: a waiter that does not simply await acquire()', () => {
  test(
    'a task that acquires in the turn a waiter was woken queues behind it, however many hops the waiter takes to resume',
    virtualTest(async () => {
      const sem = new Semaphore(3);
      const order: string[] = [];
      await sem.acquire(3);
      // With a signal the wait resumes through an async wrapper: more microtask hops.
      const signal = new AbortController().signal;
      const woken = createTask(async () => {
        await sem.acquire({ signal });
        order.push('woken');
      });
      await tick();
      sem.release(3);
      const late = createTask(async () => {
        await sem.acquire();
        order.push('late');
      });
      await gather([woken, late]);
      expect(order).toEqual(['woken', 'late']);
      expect(sem.stats()).toEqual({ value: 1, locked: false, waiting: 0 });
    }),
  );

  test(
    'a task awaiting acquire(2).then(cb) is cancelled after the permits were handed to it: cb does not run and they pass on',
    virtualTest(async () => {
      const sem = new Semaphore(2);
      await sem.acquire(2);
      let cbRan = false;
      const waiter = createTask(async () => {
        await sem.acquire(2).then(() => {
          cbRan = true;
        });
      });
      const next = createTask(async () => {
        await sem.acquire(2);
        sem.release(2);
        return 'next got them';
      });
      await tick();
      sem.release(2); // handed to `waiter`, which has not resumed yet
      waiter.cancel();
      await expect(waiter).rejects.toBeInstanceOf(CancelledError);
      expect(await waitFor(next, 1000)).toBe('next got them');
      expect(cbRan).toBe(false);
      expect(sem.stats()).toEqual({ value: 2, locked: false, waiting: 0 });
    }),
  );

  test(
    'acquire() called and never awaited: once handed the permit, it is held and later callers still queue and wake',
    virtualTest(async () => {
      const sem = new Semaphore(1);
      await sem.acquire();
      void sem.acquire(); // a mistake, but not a corrupt semaphore
      sem.release();
      await tick();
      expect(sem.stats()).toEqual({ value: 0, locked: true, waiting: 0 });
      const later = createTask(() => sem.acquire());
      await tick();
      expect(sem.stats().waiting).toBe(1);
      sem.release();
      expect(await waitFor(later, 1000)).toBe(true);
      sem.release();
      expect(sem.stats()).toEqual({ value: 1, locked: false, waiting: 0 });
      // The fast path is back: a free permit is taken without queueing.
      const fast = sem.acquire();
      expect(sem.stats()).toEqual({ value: 0, locked: true, waiting: 0 });
      expect(await fast).toBe(true);
    }),
  );
});

describe('Semaphore: hold(), stats(), signals', () => {
  test(
    'hold(weight) releases that weight once, even if disposed twice',
    virtualTest(async () => {
      const sem = new Semaphore(3);
      const h = await sem.hold(2);
      expect(sem.stats().value).toBe(1);
      h[Symbol.dispose]();
      await h[Symbol.asyncDispose]();
      expect(sem.stats().value).toBe(3);
      {
        await using _ = await sem.hold();
        expect(sem.stats().value).toBe(2);
      }
      expect(sem.stats().value).toBe(3);
      {
        await using _ = await sem.hold({ signal: new AbortController().signal });
        expect(sem.stats().value).toBe(2);
      }
    }),
  );

  test('stats() is frozen', () => {
    const stats = new BoundedSemaphore(2).stats();
    expect(stats).toEqual({ value: 2, locked: false, waiting: 0 });
    expect(Object.isFrozen(stats)).toBe(true);
  });

  test(
    'an abort while waiting rejects with signal.reason; an abort after the wakeup passes the permits on',
    virtualTest(async () => {
      const sem = new Semaphore(0);
      const ac1 = new AbortController();
      const p1 = sem.acquire({ signal: ac1.signal });
      await tick();
      ac1.abort('one');
      await expect(p1).rejects.toBe('one');
      expect(sem.stats().waiting).toBe(0);

      const ac2 = new AbortController();
      const p2 = sem.acquire(2, { signal: ac2.signal });
      const other = createTask(() => sem.acquire(2));
      await tick();
      sem.release(2); // handed to p2's waiter
      ac2.abort('two');
      await expect(p2).rejects.toBe('two');
      expect(await other).toBe(true);
      expect(sem.stats().value).toBe(0);
      await expect(sem.acquire({ signal: AbortSignal.abort('three') })).rejects.toBe('three');
    }),
  );
});

describe('Semaphore: hold() under cancellation', () => {
  // CPython 3.13 (`async with sem` in a task, sem.release(), call_soon(task.cancel)): the
  // permit comes back, the semaphore ends with value 1 and unlocked.
  test(
    'release, then a cancel one callback later: the permits come back (CPython 3.13 async with)',
    virtualTest(async () => {
      const sem = new Semaphore(2);
      await sem.acquire(2);
      const t = createTask(async () => {
        await using _ = await sem.hold(2);
        await sleep(1000);
      });
      await tick();
      sem.release(2);
      getRunningLoop().callSoon(() => t.cancel());
      await expect(t).rejects.toSatisfy(CancelledError.is);
      expect(sem.stats()).toEqual({ value: 2, locked: false, waiting: 0 });
    }),
  );

  test(
    'release, then a cancel in the same turn: the permits pass to the next waiter',
    virtualTest(async () => {
      const sem = new BoundedSemaphore(1);
      await sem.acquire();
      const t = createTask(async () => {
        await using _ = await sem.hold();
      });
      const next = createTask(async () => {
        await using _ = await sem.hold();
        return sem.stats().value;
      });
      await tick();
      sem.release();
      t.cancel();
      await expect(t).rejects.toSatisfy(CancelledError.is);
      expect(await next).toBe(0);
      expect(sem.stats()).toEqual({ value: 1, locked: false, waiting: 0 });
    }),
  );
});

describe('Semaphore: waiters counted', () => {
  // CPython 3.13: acquire; a task waits in acquire(); task.cancel(); release() -> locked()
  // is False at once and a new acquire() does not wait.
  test(
    'a cancelled waiter stops counting at once: locked() is false after the release and a new acquire() does not queue (CPython 3.13)',
    virtualTest(async () => {
      const sem = new Semaphore(1);
      await sem.acquire();
      const t = createTask(() => sem.acquire());
      await tick();
      t.cancel();
      expect(sem.stats().waiting).toBe(0);
      sem.release();
      expect(sem.locked()).toBe(false);
      const again = sem.acquire(); // taken at once, not queued behind the cancelled waiter
      expect(sem.stats()).toEqual({ value: 0, locked: true, waiting: 0 });
      expect(await again).toBe(true);
      await expect(t).rejects.toSatisfy(CancelledError.is);
      sem.release();
      expect(sem.stats()).toEqual({ value: 1, locked: false, waiting: 0 });
    }),
  );

  test(
    'a cancelled heavy head lets the lighter waiters behind it through',
    virtualTest(async () => {
      const sem = new Semaphore(1);
      await sem.acquire();
      const heavy = createTask(() => sem.acquire(2));
      const light = createTask(() => sem.acquire());
      await tick();
      sem.release(); // 1 free: not enough for the head
      expect(sem.stats()).toEqual({ value: 1, locked: true, waiting: 2 });
      heavy.cancel();
      expect(sem.stats().waiting).toBe(1);
      await expect(heavy).rejects.toSatisfy(CancelledError.is);
      expect(await light).toBe(true);
      expect(sem.stats()).toEqual({ value: 0, locked: true, waiting: 0 });
    }),
  );
});

describe('Semaphore: a wait left behind by a run() that ended', () => {
  test('release() skips the dead waiter, keeps the permit, and the semaphore works in the next run()', async () => {
    const sem = new Semaphore(1);
    await run(
      async () => {
        await sem.acquire();
        await Promise.race([sem.acquire(), sleep(5)]);
      },
      { clock: new VirtualClock() },
    );
    expect(() => sem.release()).not.toThrow();
    expect(sem.stats()).toEqual({ value: 1, locked: false, waiting: 0 });
    const got = await run(
      async () => {
        await using _ = await sem.hold();
        const other = createTask(() => sem.acquire());
        await sleep(1);
        return [sem.stats(), other.done()];
      },
      { clock: new VirtualClock() },
    );
    expect(got).toEqual([{ value: 0, locked: true, waiting: 1 }, false]);
  });

  test('an abort after the run() ended leaves the abandoned wait alone', async () => {
    const sem = new Semaphore(1);
    const ac = new AbortController();
    await run(
      async () => {
        await sem.acquire();
        await Promise.race([sem.hold({ signal: ac.signal }), sleep(5)]);
      },
      { clock: new VirtualClock() },
    );
    ac.abort();
    await new Promise((resolve) => setImmediate(resolve));
    sem.release();
    expect(sem.stats()).toEqual({ value: 1, locked: false, waiting: 0 });
  });

  test('a dead waiter at the head does not block a new acquire() while permits are free', async () => {
    const sem = new Semaphore(1);
    // A weight of 2 waits (1 free); the race leaves it queued when the run ends.
    await run(() => Promise.race([sem.acquire(2), sleep(5)]), { clock: new VirtualClock() });
    expect(sem.locked()).toBe(false);
    expect(sem.stats()).toEqual({ value: 1, locked: false, waiting: 0 });
    const got = await run(() => waitFor(sem.acquire(), 100), { clock: new VirtualClock() });
    expect(got).toBe(true);
    expect(sem.stats()).toEqual({ value: 0, locked: true, waiting: 0 });
  });
});

describe('Semaphore: methods passed as callbacks', () => {
  test(
    'an unbound release works as a callback',
    virtualTest(async () => {
      const sem = new Semaphore(0);
      getRunningLoop().callLater(10, sem.release);
      expect(await waitFor(sem.acquire(), 100)).toBe(true);
      const { release } = sem;
      release();
      expect(sem.stats().value).toBe(1);
    }),
  );
});
