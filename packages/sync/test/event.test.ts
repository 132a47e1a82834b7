/**
 * Event: the CPython cases of asyncio-semantics.md section 4.H (130), from test_locks.py
 * `EventTests`, plus stats() and signals.
 */
import {
  CancelledError,
  createTask,
  getRunningLoop,
  run,
  sleep,
  VirtualClock,
  waitFor,
} from '@aiots/loop';
import { virtualTest } from '@aiots/loop/testing';
import { Event } from '@aiots/sync';
import { describe, expect, test } from 'vitest';
import { tick } from './helpers.ts';

describe('Event: CPython EventTests', () => {
  test('test_repr: toString shows the flag', () => {
    const ev = new Event();
    expect(String(ev)).toBe('<Event [unset]>');
    ev.set();
    expect(String(ev)).toBe('<Event [set]>');
  });

  test(
    'test_wait: set() wakes every waiter; a waiter that starts after set() does not wait',
    virtualTest(async () => {
      const ev = new Event();
      expect(ev.isSet()).toBe(false);
      const result: number[] = [];
      const c = (n: number) => async () => {
        if (await ev.wait()) result.push(n);
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      await tick();
      expect(result).toEqual([]);
      const t3 = createTask(c(3));
      ev.set();
      await tick();
      // asyncio gives [3, 1, 2] (t3 never suspends); the exact interleaving is not part of
      // the contract, the set of woken waiters and the FIFO order of the queued ones are.
      expect(result.sort()).toEqual([1, 2, 3]);
      expect(result.indexOf(1)).toBeLessThan(result.indexOf(2));
      for (const t of [t1, t2, t3]) {
        expect(t.done()).toBe(true);
        expect(t.result()).toBeUndefined();
      }
    }),
  );

  test(
    'test_wait_on_set: wait() on a set event returns true at once',
    virtualTest(async () => {
      const ev = new Event();
      ev.set();
      expect(await ev.wait()).toBe(true);
    }),
  );

  test(
    'test_wait_cancel: a cancelled wait leaves no waiter',
    virtualTest(async () => {
      const ev = new Event();
      const wait = createTask(() => ev.wait());
      getRunningLoop().callSoon(() => wait.cancel());
      await expect(wait).rejects.toSatisfy(CancelledError.is);
      expect(ev.stats().waiting).toBe(0);
    }),
  );

  test('test_clear: clear() resets the flag', () => {
    const ev = new Event();
    expect(ev.isSet()).toBe(false);
    ev.set();
    expect(ev.isSet()).toBe(true);
    ev.clear();
    expect(ev.isSet()).toBe(false);
  });

  test(
    'test_clear_with_waiters: set(); clear() still wakes the waiters already queued',
    virtualTest(async () => {
      const ev = new Event();
      const result: number[] = [];
      const t = createTask(async () => {
        if (await ev.wait()) result.push(1);
        return true;
      });
      await tick();
      expect(result).toEqual([]);
      ev.set();
      ev.clear();
      expect(ev.isSet()).toBe(false);
      ev.set();
      ev.set();
      await tick();
      expect(result).toEqual([1]);
      expect(ev.stats().waiting).toBe(0);
      expect(t.done()).toBe(true);
      expect(t.result()).toBe(true);
    }),
  );

  test('an Event is not a thenable', async () => {
    const ev = new Event();
    expect('then' in ev).toBe(false);
    expect(await ev).toBe(ev);
  });
});

describe('Event: stats() and signals', () => {
  test(
    'stats() counts live waiters and is frozen',
    virtualTest(async () => {
      const ev = new Event();
      const a = createTask(() => ev.wait());
      const b = createTask(() => ev.wait());
      await tick();
      expect(ev.stats()).toEqual({ set: false, waiting: 2 });
      expect(String(ev)).toBe('<Event [unset, waiters:2]>');
      a.cancel();
      await tick();
      expect(ev.stats().waiting).toBe(1);
      ev.set();
      await b;
      expect(Object.isFrozen(ev.stats())).toBe(true);
      expect(ev.stats()).toEqual({ set: true, waiting: 0 });
    }),
  );

  test(
    'an abort rejects with signal.reason; other waiters are still woken',
    virtualTest(async () => {
      const ev = new Event();
      const ac = new AbortController();
      const aborted = ev.wait({ signal: ac.signal });
      const other = createTask(() => ev.wait());
      await tick();
      ac.abort('stop');
      await expect(aborted).rejects.toBe('stop');
      ev.set();
      expect(await other).toBe(true);
      await expect(ev.wait({ signal: AbortSignal.abort('already') })).rejects.toBe('already');
    }),
  );

  test(
    'a signal that never aborts does not disturb the wait',
    virtualTest(async () => {
      const ev = new Event();
      const ac = new AbortController();
      const t = createTask(() => ev.wait({ signal: ac.signal }));
      await sleep(10);
      ev.set();
      expect(await t).toBe(true);
      ac.abort(); // after the fact: nothing happens
    }),
  );

  test(
    'many cancelled waits do not accumulate',
    virtualTest(async () => {
      const ev = new Event();
      for (let i = 0; i < 500; i++) {
        const t = createTask(() => ev.wait());
        await sleep(0);
        t.cancel();
        await sleep(0);
      }
      expect(ev.stats().waiting).toBe(0);
    }),
  );
});

describe('Event: a wait left behind by a run() that ended', () => {
  test('set() skips the dead waiter, and the event works in the next run()', async () => {
    const ev = new Event();
    await run(() => Promise.race([ev.wait(), sleep(5)]), { clock: new VirtualClock() });
    expect(ev.stats()).toEqual({ set: false, waiting: 0 });
    expect(() => ev.set()).not.toThrow();
    expect(ev.isSet()).toBe(true);
    ev.clear();
    const got = await run(
      async () => {
        const waiter = createTask(() => ev.wait());
        await sleep(1);
        ev.set();
        return waitFor(waiter, 100);
      },
      { clock: new VirtualClock() },
    );
    expect(got).toBe(true);
  });

  test('an abort after the run() ended leaves the abandoned wait alone', async () => {
    const ev = new Event();
    const ac = new AbortController();
    await run(() => Promise.race([ev.wait({ signal: ac.signal }), sleep(5)]), {
      clock: new VirtualClock(),
    });
    ac.abort();
    await new Promise((resolve) => setImmediate(resolve));
    ev.set();
    expect(ev.stats()).toEqual({ set: true, waiting: 0 });
  });
});

describe('Event: methods passed as callbacks', () => {
  test(
    'unbound set and clear work as callbacks (loop.callLater(10, ev.set))',
    virtualTest(async () => {
      const ev = new Event();
      getRunningLoop().callLater(10, ev.set);
      expect(await waitFor(ev.wait(), 100)).toBe(true);
      getRunningLoop().callSoon(ev.clear);
      await sleep(1);
      expect(ev.isSet()).toBe(false);
    }),
  );
});
