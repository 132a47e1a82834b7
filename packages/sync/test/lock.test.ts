/**
 * Lock: the CPython cases of asyncio-semantics.md section 4.H (127-129), from test_locks.py
 * `LockTests` and probe p4, plus hold(), stats(), signals and bad input.
 */
import {
  CancelledError,
  createTask,
  currentTask,
  formatTaskTree,
  getRunningLoop,
  InvalidStateError,
  run,
  sleep,
  TimeoutError,
  VirtualClock,
  waitFor,
} from '@aiots/loop';
import { virtualTest } from '@aiots/loop/testing';
import { Lock } from '@aiots/sync';
import { describe, expect, test } from 'vitest';
import { settle, tick } from './helpers.ts';

describe('Lock: CPython LockTests', () => {
  test(
    'test_acquire (lock_fifo): waiters get the lock in FIFO order, one release each',
    virtualTest(async () => {
      const lock = new Lock();
      const result: number[] = [];
      expect(await lock.acquire()).toBe(true);
      const c = (n: number) => async () => {
        if (await lock.acquire()) result.push(n);
        return true;
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      await tick();
      expect(result).toEqual([]);
      lock.release();
      await tick();
      expect(result).toEqual([1]);
      await tick();
      expect(result).toEqual([1]);
      const t3 = createTask(c(3));
      lock.release();
      await tick();
      expect(result).toEqual([1, 2]);
      lock.release();
      await tick();
      expect(result).toEqual([1, 2, 3]);
      for (const t of [t1, t2, t3]) {
        expect(t.done()).toBe(true);
        expect(t.result()).toBe(true);
      }
    }),
  );

  test(
    'test_acquire_cancel: a cancelled waiter leaves no waiter behind',
    virtualTest(async () => {
      const lock = new Lock();
      expect(await lock.acquire()).toBe(true);
      const task = createTask(() => lock.acquire());
      getRunningLoop().callSoon(() => task.cancel());
      await expect(task).rejects.toSatisfy(CancelledError.is);
      expect(lock.stats().waiting).toBe(0);
      expect(lock.locked()).toBe(true);
    }),
  );

  test(
    'test_cancel_race (bpo-27585): release racing a cancelled waiter wakes the next one',
    virtualTest(async () => {
      const lock = new Lock();
      const lockit = async (blocker?: PromiseLike<unknown>) => {
        await lock.acquire();
        try {
          if (blocker !== undefined) await blocker;
        } finally {
          lock.release();
        }
      };
      const fa = getRunningLoop().createFuture<void>();
      const ta = createTask(() => lockit(fa));
      await tick();
      expect(lock.locked()).toBe(true);
      const tb = createTask(() => lockit());
      await tick();
      expect(lock.stats().waiting).toBe(1);
      const tc = createTask(() => lockit());
      await tick();
      expect(lock.stats().waiting).toBe(2);
      fa.setResult();
      tb.cancel();
      await settle();
      expect(lock.locked()).toBe(false);
      expect(ta.done()).toBe(true);
      expect(tb.cancelled()).toBe(true);
      await tc;
    }),
  );

  test(
    'test_cancel_release_race (bpo-32734): cancel + release never makes two holders',
    virtualTest(async () => {
      const lock = new Lock();
      let lockCount = 0;
      let callCount = 0;
      const lockit = async () => {
        callCount++;
        await lock.acquire();
        lockCount++;
      };
      await lock.acquire();
      const t1 = createTask(lockit);
      const t2 = createTask(lockit);
      const t3 = createTask(lockit);
      await tick();
      getRunningLoop().callSoon(() => {
        t1.cancel();
        lock.release();
      });
      await expect(t1).rejects.toSatisfy(CancelledError.is);
      await settle();
      expect(lockCount).toBe(1);
      expect(callCount).toBe(3);
      expect(t1.cancelled() && t2.done()).toBe(true);
      t3.cancel();
      await settle();
      expect(t3.cancelled()).toBe(true);
      expect(lock.locked()).toBe(true); // still held by t2, which never released
    }),
  );

  test(
    'test_finished_waiter_cancelled: a woken-then-cancelled waiter hands the lock on',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      expect(lock.locked()).toBe(true);
      const tb = createTask(() => lock.acquire());
      await tick();
      expect(lock.stats().waiting).toBe(1);
      const tc = createTask(() => lock.acquire());
      tb.cancel();
      lock.release();
      await tick();
      expect(lock.locked()).toBe(true);
      expect(tb.cancelled()).toBe(true);
      expect(await tc).toBe(true);
    }),
  );

  test(
    'handed the lock, then cancelled before resuming: the lock goes to the next waiter',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      const order: string[] = [];
      const tb = createTask(async () => {
        await lock.acquire();
        order.push('b');
      });
      const tc = createTask(async () => {
        await lock.acquire();
        order.push('c');
        lock.release();
      });
      await tick();
      lock.release(); // hands the lock to b
      tb.cancel(); // b's Future has its result; b gets CancelledError instead
      await expect(tb).rejects.toSatisfy(CancelledError.is);
      await tc;
      expect(order).toEqual(['c']);
      expect(lock.locked()).toBe(false);
    }),
  );

  test(
    'no barging (probe p4): release then re-acquire queues behind the woken waiter',
    virtualTest(async () => {
      const lock = new Lock();
      const log: string[] = [];
      const a = createTask(async () => {
        await lock.acquire();
        await tick();
        lock.release();
        await lock.acquire();
        log.push('A reacquired');
        lock.release();
      });
      const b = createTask(async () => {
        await sleep(0);
        await lock.acquire();
        log.push('B acquired');
        lock.release();
      });
      await Promise.all([a, b]);
      expect(log).toEqual(['B acquired', 'A reacquired']);
    }),
  );

  test('test_release_not_acquired: releasing an unlocked lock throws InvalidStateError', () => {
    const lock = new Lock();
    expect(() => lock.release()).toThrow(InvalidStateError);
    expect(() => lock.release()).toThrow(
      'Lock.release() expected the lock to be held, but it is not acquired',
    );
  });

  test(
    'test_release_no_waiters: release unlocks',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      expect(lock.locked()).toBe(true);
      lock.release();
      expect(lock.locked()).toBe(false);
    }),
  );

  test(
    'test_context_manager: hold() with await using',
    virtualTest(async () => {
      const lock = new Lock();
      expect(lock.locked()).toBe(false);
      {
        await using _ = await lock.hold();
        expect(lock.locked()).toBe(true);
      }
      expect(lock.locked()).toBe(false);
    }),
  );

  test('test_lock: a Lock is not a thenable (await lock does not acquire)', async () => {
    const lock = new Lock();
    expect('then' in lock).toBe(false);
    expect(await lock).toBe(lock);
    expect(lock.locked()).toBe(false);
  });

  test('test_repr: toString shows the state and waiters', async () => {
    const lock = new Lock();
    expect(String(lock)).toBe('<Lock [unlocked]>');
    await lock.acquire();
    expect(String(lock)).toBe('<Lock [locked]>');
  });

  test(
    'test_timeout_in_block analogue: waitFor on a held lock times out and leaves no waiter',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      await expect(waitFor(lock.acquire(), 100)).rejects.toBeInstanceOf(TimeoutError);
      expect(lock.stats()).toEqual({ locked: true, waiting: 0 });
      lock.release();
      expect(lock.locked()).toBe(false);
    }),
  );
});

describe('Lock: uncontended acquire does not yield', () => {
  test(
    'acquire on a free lock is settled at once; the lock is taken synchronously',
    virtualTest(async () => {
      const lock = new Lock();
      const p = lock.acquire();
      expect(lock.locked()).toBe(true);
      let settled = false;
      void p.then(() => {
        settled = true;
      });
      await Promise.resolve();
      expect(settled).toBe(true);
      lock.release();
    }),
  );

  test(
    'a pending cancel is not delivered by an uncontended acquire (as in asyncio)',
    virtualTest(async () => {
      const lock = new Lock();
      const t = createTask(async () => {
        currentTask()?.cancel();
        await lock.acquire();
        try {
          await sleep(0);
        } finally {
          lock.release();
        }
      });
      await expect(t).rejects.toSatisfy(CancelledError.is);
      expect(lock.locked()).toBe(false);
    }),
  );
});

describe('Lock: a waiter that does not simply await acquire()', () => {
  test(
    'a task awaiting acquire().then(cb) is cancelled after the lock was handed to it: cb does not run and the lock passes on',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      let cbRan = false;
      const waiter = createTask(async () => {
        await lock.acquire().then(() => {
          cbRan = true;
        });
      });
      const next = createTask(async () => {
        await lock.acquire();
        lock.release();
        return 'next got it';
      });
      await tick();
      lock.release(); // handed to `waiter`, which has not resumed yet
      waiter.cancel();
      await expect(waiter).rejects.toBeInstanceOf(CancelledError);
      expect(await waitFor(next, 1000)).toBe('next got it');
      expect(cbRan).toBe(false);
      expect(lock.locked()).toBe(false);
    }),
  );

  test(
    'acquire() called and never awaited: once handed the lock, it is held (nothing hangs)',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      void lock.acquire(); // a mistake, but not a corrupt lock
      expect(lock.stats()).toEqual({ locked: true, waiting: 1 });
      lock.release();
      await tick();
      expect(lock.stats()).toEqual({ locked: true, waiting: 0 });
      lock.release();
      expect(await waitFor(lock.acquire(), 1000)).toBe(true);
    }),
  );
});

describe('Lock: hold(), stats(), signals', () => {
  test(
    'hold() waits its turn and disposing twice releases once',
    virtualTest(async () => {
      const lock = new Lock();
      const first = await lock.hold();
      const second = createTask(async () => {
        const h = await lock.hold();
        h[Symbol.dispose]();
        return 'second';
      });
      await tick();
      expect(lock.stats()).toEqual({ locked: true, waiting: 1 });
      first[Symbol.dispose]();
      first[Symbol.dispose](); // no effect: does not release second's hold
      expect(await second).toBe('second');
      expect(lock.locked()).toBe(false);
      await first[Symbol.asyncDispose]();
      expect(lock.locked()).toBe(false);
    }),
  );

  test(
    'hold() with using (synchronous dispose) releases at block end, even on throw',
    virtualTest(async () => {
      const lock = new Lock();
      await expect(
        (async () => {
          using _ = await lock.hold();
          throw new Error('boom');
        })(),
      ).rejects.toThrow('boom');
      expect(lock.locked()).toBe(false);
    }),
  );

  test(
    'a waiting task shows what it waits on in formatTaskTree()',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      const t = createTask(() => lock.acquire(), { name: 'blocked' });
      await tick();
      expect(formatTaskTree()).toMatch(/blocked .*waiting on Lock\.acquire/);
      lock.release();
      await t;
    }),
  );

  test('stats() is frozen', () => {
    const stats = new Lock().stats();
    expect(Object.isFrozen(stats)).toBe(true);
    expect(stats).toEqual({ locked: false, waiting: 0 });
  });

  test(
    'an abort while waiting rejects with signal.reason and leaves no waiter',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      const ac = new AbortController();
      const p = lock.acquire({ signal: ac.signal });
      await tick();
      expect(lock.stats().waiting).toBe(1);
      const reason = new Error('give up');
      ac.abort(reason);
      await expect(p).rejects.toBe(reason);
      expect(lock.stats()).toEqual({ locked: true, waiting: 0 });
      lock.release();
      expect(lock.locked()).toBe(false);
    }),
  );

  test(
    'an abort after the lock was handed over, before resuming, hands it on',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      const ac = new AbortController();
      const p = lock.acquire({ signal: ac.signal });
      const other = createTask(async () => {
        await lock.acquire();
        return 'other';
      });
      await tick();
      lock.release(); // handed to p's waiter
      ac.abort('late');
      await expect(p).rejects.toBe('late');
      expect(await other).toBe('other');
      expect(lock.locked()).toBe(true);
    }),
  );

  test(
    'an already aborted signal rejects at once, even on a free lock, without taking it',
    virtualTest(async () => {
      const lock = new Lock();
      await expect(lock.acquire({ signal: AbortSignal.abort('no') })).rejects.toBe('no');
      expect(lock.locked()).toBe(false);
      await expect(lock.hold({ signal: AbortSignal.abort('no') })).rejects.toBe('no');
      expect(lock.locked()).toBe(false);
    }),
  );

  test('a signal that is not an AbortSignal is a TypeError', async () => {
    const lock = new Lock();
    await expect(lock.acquire({ signal: 'nope' as never })).rejects.toThrow(
      'Lock.acquire() expected `signal` to be an AbortSignal, got string "nope"',
    );
    await expect(lock.acquire(42 as never)).rejects.toBeInstanceOf(TypeError);
    expect(lock.locked()).toBe(false);
  });

  test('outside any task, a wait works with a signal', async () => {
    const lock = new Lock();
    await lock.acquire();
    const ac = new AbortController();
    const p = lock.acquire({ signal: ac.signal });
    setTimeout(() => ac.abort(new Error('timeout')), 1);
    await expect(p).rejects.toThrow('timeout');
    lock.release();
    const q = lock.acquire();
    expect(lock.locked()).toBe(true);
    await q;
    lock.release();
  });

  test(
    'many cancelled waiters do not accumulate (the ring is compacted)',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      for (let i = 0; i < 1000; i++) {
        const t = createTask(() => lock.acquire());
        await sleep(0);
        t.cancel();
        await sleep(0);
      }
      expect(lock.stats().waiting).toBe(0);
      const last = createTask(() => lock.acquire());
      await tick();
      lock.release();
      expect(await last).toBe(true);
    }),
  );
});

describe('Lock: hold() under cancellation', () => {
  // CPython 3.13 (`async with lock` in a task, lock.release(), call_soon(task.cancel)): the
  // task enters the block, the cancel lands in it, and `async with` leaves the lock free.
  test(
    'release, then a cancel one callback later: the holder releases, the lock ends free (CPython 3.13 async with)',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      const t = createTask(async () => {
        await using _ = await lock.hold();
        await sleep(1000);
      });
      await tick();
      lock.release(); // ownership passes to t, which has not resumed yet
      getRunningLoop().callSoon(() => t.cancel());
      await expect(t).rejects.toSatisfy(CancelledError.is);
      expect(lock.stats()).toEqual({ locked: false, waiting: 0 });
    }),
  );

  test(
    'release, then a cancel in the same turn: the hold never reaches the task and the lock passes to the next waiter',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      let entered = false;
      const t = createTask(async () => {
        await using _ = await lock.hold();
        entered = true;
      });
      const next = createTask(async () => {
        await using _ = await lock.hold();
        return 'next';
      });
      await tick();
      lock.release();
      t.cancel();
      await expect(t).rejects.toSatisfy(CancelledError.is);
      expect(await next).toBe('next');
      expect(entered).toBe(false);
      expect(lock.stats()).toEqual({ locked: false, waiting: 0 });
    }),
  );

  test(
    'hold({ signal }) cancelled after the hand-over: released once, the lock ends free',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      const signal = new AbortController().signal;
      const t = createTask(async () => {
        await using _ = await lock.hold({ signal });
        await sleep(1000);
      });
      await tick();
      lock.release();
      getRunningLoop().callSoon(() => t.cancel());
      await expect(t).rejects.toSatisfy(CancelledError.is);
      expect(lock.stats()).toEqual({ locked: false, waiting: 0 });
    }),
  );
});

describe('Lock: waiters counted', () => {
  test(
    'a cancelled waiter stops counting at once (CPython 3.13: a cancelled waiter is not counted)',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      const t = createTask(() => lock.acquire());
      await tick();
      expect(lock.stats().waiting).toBe(1);
      t.cancel();
      expect(lock.stats().waiting).toBe(0);
      expect(String(lock)).toBe('<Lock [locked]>');
      lock.release();
      expect(lock.locked()).toBe(false);
      await expect(t).rejects.toSatisfy(CancelledError.is);
      expect(lock.stats()).toEqual({ locked: false, waiting: 0 });
    }),
  );
});

describe('Lock: a wait left behind by a run() that ended', () => {
  test('release() skips the dead waiter, and the lock works in the next run()', async () => {
    const lock = new Lock();
    await run(
      async () => {
        await lock.acquire();
        // A waiter left pending when main returns: its loop closes with it.
        await Promise.race([lock.acquire(), sleep(5)]);
      },
      { clock: new VirtualClock() },
    );
    expect(lock.stats()).toEqual({ locked: true, waiting: 0 }); // the dead waiter is not counted
    expect(() => lock.release()).not.toThrow();
    expect(lock.stats()).toEqual({ locked: false, waiting: 0 });
    const got = await run(
      async () => {
        await using _ = await lock.hold();
        const other = createTask(() => lock.acquire());
        await sleep(1);
        return [lock.stats().waiting, other.done()];
      },
      { clock: new VirtualClock() },
    );
    expect(got).toEqual([1, false]);
  });

  // The signal outlives the run: aborting it must not throw 'Event loop is closed' out of
  // its listener (an uncaught exception), and the lock keeps working.
  test('an abort after the run() ended leaves the abandoned wait alone', async () => {
    const lock = new Lock();
    const ac = new AbortController();
    await run(
      async () => {
        await lock.acquire();
        await Promise.race([lock.acquire({ signal: ac.signal }), sleep(5)]);
      },
      { clock: new VirtualClock() },
    );
    ac.abort();
    await new Promise((resolve) => setImmediate(resolve)); // a listener's error surfaces here
    lock.release();
    expect(lock.stats()).toEqual({ locked: false, waiting: 0 });
  });
});

describe('Lock: methods passed as callbacks', () => {
  test(
    'an unbound release works as a callback',
    virtualTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      getRunningLoop().callLater(10, lock.release);
      await sleep(20);
      expect(lock.locked()).toBe(false);
      const { release } = lock;
      await lock.acquire();
      release();
      expect(lock.locked()).toBe(false);
    }),
  );
});
