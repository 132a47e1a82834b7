/**
 * `@aiots/loop/lowlevel`: ParkingLot (FIFO, cancel-safe hand-off, live size), bridge()
 * (foreign operations as cancellation points), currentStepTask() (callbacks are not steps),
 * and the AbortError-from-task.signal rule.
 */
import { EventEmitter, once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CancelledError,
  checkpoint,
  createTask,
  currentTask,
  getRunningLoop,
  run,
  sleep,
  TaskGroupError,
  TimeoutError,
  taskGroup,
  timeout,
  waitFor,
} from '@aiots/loop';
import { bridge, currentStepTask, HandOffFuture, ParkingLot } from '@aiots/loop/lowlevel';
import { runVirtual } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';
import { deferred, me, rejection, runBriefly } from './helpers.ts';

describe('ParkingLot', () => {
  test('wakes waiters in FIFO order; unpark reports whether anyone waited', async () => {
    await runVirtual(async () => {
      const lot = new ParkingLot<number>();
      const got: string[] = [];
      const ts = ['a', 'b', 'c'].map((n) =>
        createTask(async () => {
          got.push(`${n}=${await lot.park()}`);
        }),
      );
      await runBriefly();
      expect(lot.size).toBe(3);
      expect(lot.unpark(1)).toBe(true);
      expect(lot.unpark(2)).toBe(true);
      expect(lot.size).toBe(1);
      expect(lot.unparkAll(3)).toBe(1);
      expect(lot.unpark(4)).toBe(false);
      await Promise.all(ts);
      expect(got).toEqual(['a=1', 'b=2', 'c=3']);
      expect(lot.stats()).toEqual({ waiting: 0 });
    });
  });

  test('a cancelled waiter stops counting at once and is skipped', async () => {
    await runVirtual(async () => {
      const lot = new ParkingLot<string>();
      const a = createTask(() => lot.park());
      const b = createTask(() => lot.park());
      await runBriefly();
      a.cancel();
      // Before the cancel is even delivered, `a` is no longer a waiter.
      expect(lot.size).toBe(1);
      expect(lot.unpark('x')).toBe(true);
      expect(await b).toBe('x');
      expect(await rejection(a)).toBeInstanceOf(CancelledError);
      expect(lot.size).toBe(0);
    });
  });

  test('a value handed to a waiter cancelled before it resumes goes on to the next waiter', async () => {
    await runVirtual(async () => {
      const lot = new ParkingLot<string>();
      const a = createTask(() => lot.park());
      const b = createTask(() => lot.park());
      await runBriefly();
      lot.unpark('token');
      a.cancel();
      expect(await rejection(a)).toBeInstanceOf(CancelledError);
      expect(await b).toBe('token');
    });
  });

  test('onReturned receives a value nobody received, and nothing is handed on by itself', async () => {
    await runVirtual(async () => {
      const returned: string[] = [];
      const lot = new ParkingLot<string>({ onReturned: (v) => returned.push(v) });
      const a = createTask(() => lot.park());
      const b = createTask(() => lot.park());
      await runBriefly();
      lot.unpark('token');
      a.cancel();
      await rejection(a);
      await runBriefly();
      expect(returned).toEqual(['token']);
      expect(lot.size).toBe(1);
      b.cancel();
      await rejection(b);
    });
  });

  test('with no waiter left, a returned value is dropped by default (onReturned keeps it)', async () => {
    await runVirtual(async () => {
      const lot = new ParkingLot<number>();
      const a = createTask(() => lot.park());
      await runBriefly();
      lot.unpark(7);
      a.cancel();
      await rejection(a);
      await runBriefly();
      expect(lot.size).toBe(0);
      expect(lot.unpark(8)).toBe(false);
    });
  });

  test('a signal abandons the wait with its reason; a value already handed is still returned', async () => {
    await runVirtual(async () => {
      const lot = new ParkingLot<string>();
      const ac = new AbortController();
      const a = createTask(() => lot.park({ signal: ac.signal }));
      await runBriefly();
      const reason = new Error('stop');
      ac.abort(reason);
      expect(await rejection(a)).toBe(reason);
      expect(lot.size).toBe(0);

      const ac2 = new AbortController();
      const b = createTask(() => lot.park({ signal: ac2.signal }));
      await runBriefly();
      lot.unpark('mine');
      ac2.abort(new Error('too late'));
      expect(await b).toBe('mine');

      const aborted = AbortSignal.abort(new Error('already'));
      expect(((await rejection(lot.park({ signal: aborted }))) as Error).message).toBe('already');
      expect(lot.size).toBe(0);
    });
  });

  test('many cancelled waiters are compacted away without breaking FIFO order', async () => {
    await runVirtual(async () => {
      const lot = new ParkingLot<number>();
      const live: Promise<number>[] = [];
      for (let round = 0; round < 5; round++) {
        const dead = Array.from({ length: 40 }, () => createTask(() => lot.park()));
        live.push(createTask(() => lot.park()));
        await runBriefly();
        for (const t of dead) t.cancel();
        await Promise.allSettled(dead);
      }
      // New parks trigger the compaction; then the live ones are served in order.
      const last = createTask(() => lot.park());
      await runBriefly();
      expect(lot.size).toBe(6);
      for (let i = 0; i < 6; i++) lot.unpark(i);
      expect(await Promise.all(live)).toEqual([0, 1, 2, 3, 4]);
      expect(await last).toBe(5);
    });
  });

  test('a waiter left behind by a run() that ended is skipped: the value reaches a live one', async () => {
    const lot = new ParkingLot<string>();
    const ac = new AbortController();
    await run(() => Promise.race([lot.park(), lot.park({ signal: ac.signal }), sleep(5)]));
    // Aborting a wait of a closed loop is a no-op, not an uncaught "Event loop is closed".
    ac.abort();
    const got = await run(async () => {
      const t = createTask(() => lot.park());
      await sleep(1);
      expect(lot.unpark('for the live one')).toBe(true);
      return t;
    });
    expect(got).toBe('for the live one');
    expect(lot.size).toBe(0);
    expect(lot.unpark('nobody')).toBe(false);
  });

  test('bad options are TypeErrors that say what came', () => {
    expect(() => new ParkingLot(5 as never)).toThrow(/options object, got number 5/);
    expect(() => new ParkingLot({ label: 1 as never })).toThrow(TypeError);
    expect(() => new ParkingLot({ onReturned: 'x' as never })).toThrow(
      /`onReturned` to be a function, got string "x"/,
    );
    return expect(new ParkingLot().park({ signal: 'x' as never })).rejects.toThrow(TypeError);
  });
});

describe('HandOffFuture', () => {
  test('reports taken only when asked to, and not-taken always', async () => {
    await runVirtual(async () => {
      const heard: string[] = [];
      const quiet = new HandOffFuture<number>((_f, taken) => heard.push(`quiet ${taken}`));
      const loud = new HandOffFuture<number>((_f, taken) => heard.push(`loud ${taken}`), {
        reportTaken: true,
      });
      const t1 = createTask(() => quiet);
      const t2 = createTask(() => loud);
      await runBriefly();
      quiet.setResult(1);
      loud.setResult(2);
      expect([await t1, await t2]).toEqual([1, 2]);
      await runBriefly();
      expect(heard).toEqual(['loud true']);
      expect(() => new HandOffFuture(null as never)).toThrow(TypeError);
    });
  });
});

describe('bridge()', () => {
  test('a cancel aborts the operation, waits for it to stop, and ends the task cancelled', async () => {
    const events: string[] = [];
    const t = createTask(() =>
      bridge(async (signal) => {
        try {
          return await delay(10_000, 'late', { signal });
        } finally {
          events.push(`stopped, aborted=${signal.aborted}`);
        }
      }),
    );
    await sleep(5);
    t.cancel('enough');
    const err = await rejection(t);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).message).toBe('enough');
    expect(t.cancelled()).toBe(true);
    expect(events).toEqual(['stopped, aborted=true']);
  });

  test('a timeout around a bridged operation raises TimeoutError', async () => {
    const err = await rejection(
      timeout(10, () => bridge((signal) => delay(10_000, undefined, { signal }))),
    );
    expect(err).toBeInstanceOf(TimeoutError);
  });

  test('results and foreign errors pass through; a throwing start rejects', async () => {
    expect(await bridge(async () => 42)).toBe(42);
    expect(await bridge(() => 'plain')).toBe('plain');
    const boom = new Error('boom');
    expect(
      await rejection(
        bridge(async () => {
          throw boom;
        }),
      ),
    ).toBe(boom);
    expect(
      await rejection(
        bridge(() => {
          throw boom;
        }),
      ),
    ).toBe(boom);
    expect(() => bridge(5 as never)).toThrow(
      /expected a function \(signal\) => Promise, got number 5/,
    );
  });

  test('a result that arrives despite the abort is delivered, and the cancel comes at the next await', async () => {
    const gate = deferred<string>();
    const seen: string[] = [];
    const t = createTask(async () => {
      // An operation that ignores its signal.
      seen.push(await bridge(() => gate.promise));
      await checkpoint();
      seen.push('not reached');
    });
    await sleep(1);
    t.cancel();
    await sleep(1);
    gate.resolve('data');
    expect(await rejection(t)).toBeInstanceOf(CancelledError);
    expect(seen).toEqual(['data']);
  });

  test('under waitFor() of an inline promise, a result that arrives despite the abort does not spend the cancel', async () => {
    // A poll loop, as a bounded put does: a command already sent answers "not yet", then a
    // nap, then again. The timeout's cancel reached the command; it answered anyway, and the
    // cancel used to be lost there: the loop polled on and waitFor waited for it forever.
    let polls = 0;
    let ended = '';
    const poll = async (): Promise<void> => {
      try {
        for (;;) {
          polls++;
          const gate = deferred<number>();
          setTimeout(() => gate.resolve(0), 20);
          if ((await bridge(() => gate.promise)) !== 0) return;
          await sleep(2);
        }
      } catch (e) {
        ended = (e as Error).name;
        throw e;
      }
    };
    const err = await run(() => rejection(timeout(1_000, () => waitFor(poll(), 5))));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(ended).toBe('CancelledError');
    // With the cancel lost, only the 1 s guard would stop it, after about 40 polls.
    expect(polls).toBe(1);
  });
});

describe('an AbortError caused by the task’s own cancel', () => {
  test('from timers/promises and events.once ends the task cancelled, not failed', async () => {
    const sleeper = createTask(async () => {
      await delay(10_000, undefined, { signal: me().signal });
    });
    const listener = createTask(async () => {
      await once(new EventEmitter(), 'never', { signal: me().signal });
    });
    await sleep(5);
    sleeper.cancel();
    listener.cancel();
    expect(await rejection(sleeper)).toBeInstanceOf(CancelledError);
    expect(await rejection(listener)).toBeInstanceOf(CancelledError);
    expect(sleeper.cancelled() && listener.cancelled()).toBe(true);
  });

  test('a task group reports only the real failure, not the siblings it stopped', async () => {
    const err = await rejection(
      taskGroup(async (tg) => {
        for (let i = 0; i < 3; i++) {
          tg.createTask(() => delay(10_000, undefined, { signal: me().signal }));
        }
        tg.createTask(async () => {
          await sleep(5);
          throw new Error('real');
        });
      }),
    );
    expect(err).toBeInstanceOf(TaskGroupError);
    expect((err as TaskGroupError).errors.map((e) => (e as Error).message)).toEqual(['real']);
  });

  test('an AbortError of an unrelated signal is still a failure', async () => {
    const t = createTask(async () => {
      await delay(10_000, undefined, { signal: AbortSignal.timeout(1) });
    });
    const err = await rejection(t);
    expect((err as Error).name).toBe('AbortError');
    expect(t.cancelled()).toBe(false);
  });
});

describe('waitFor() and a cancel that comes as the promise settles', () => {
  test('the settled value is delivered and the cancel comes at the next await (as CPython wait_for)', async () => {
    await runVirtual(async () => {
      const got: string[] = [];
      const t = createTask(async () => {
        // The cancel runs in a loop callback queued before the value's delivery.
        getRunningLoop().callSoon(() => t.cancel());
        got.push(await waitFor(Promise.resolve('item'), 100));
        await sleep(0);
        got.push('not reached');
      });
      expect(await rejection(t)).toBeInstanceOf(CancelledError);
      expect(got).toEqual(['item']);
    });
  });
});

describe('currentStepTask()', () => {
  test('names the task in its steps, and nothing in callbacks it registered or outside', async () => {
    expect(currentStepTask()).toBeUndefined();
    const t = createTask(async () => {
      const seen: unknown[] = [currentStepTask() === currentTask()];
      setTimeout(() => seen.push(currentTask() !== undefined, currentStepTask()), 1);
      await sleep(20);
      seen.push(currentStepTask() === currentTask());
      return seen;
    });
    expect(await t).toEqual([true, true, undefined, true]);
  });
});
