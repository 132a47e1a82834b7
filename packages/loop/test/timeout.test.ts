/**
 * timeout() and timeoutAt(): the CPython cases of asyncio-semantics.md section 4.F, 99-111
 * (test_timeouts.py). asyncio's `async with timeout(d) as cm:` is `timeout(d, async (cm) => …)`
 * here; Python's implicit exception context (`__context__`) has no JavaScript counterpart, so
 * only the explicit `cause` of the TimeoutError is checked.
 */
import {
  CancelledError,
  createTask,
  currentTask,
  getRunningLoop,
  InvalidStateError,
  run,
  sleep,
  type Task,
  TaskGroupError,
  Timeout,
  TimeoutError,
  taskGroup,
  timeout,
  timeoutAt,
  VirtualClock,
} from '@aiots/loop';
import { virtualTest } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';
import { me, rejectionOf } from './helpers.ts';

/** Checks that nothing is left over once a timeout is done with. */
function expectClean(): void {
  expect(me().cancelling()).toBe(0);
  expect(getRunningLoop()._timerCount()).toBe(0);
}

describe('timeout: expiry', () => {
  test(
    'test_timeout_basic: TimeoutError (cause: the CancelledError), expired(), cancelling() back to 0',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let cm: Timeout | undefined;
      const err = await rejectionOf(
        timeout(10, async (scope) => {
          cm = scope;
          await sleep(10_000);
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as TimeoutError).cause).toBeInstanceOf(CancelledError);
      expect(cm?.expired()).toBe(true);
      expect(cm?.when()).toBe(10);
      expect(loop.time()).toBe(10);
      expectClean();
    }),
  );

  test(
    'test_timeout_at_basic: timeoutAt(deadline) expires at the deadline and when() is the deadline',
    virtualTest(async () => {
      const loop = getRunningLoop();
      await sleep(5);
      const deadline = loop.time() + 10;
      let cm: Timeout | undefined;
      const err = await rejectionOf(
        timeoutAt(deadline, async (scope) => {
          cm = scope;
          await sleep(10_000);
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(cm?.expired()).toBe(true);
      expect(cm?.when()).toBe(deadline);
      expect(loop.time()).toBe(15);
      expectClean();
    }),
  );

  test(
    'test_waiter_cancelled: the body sees CancelledError at its await',
    virtualTest(async () => {
      let cancelled = false;
      const err = await rejectionOf(
        timeout(10, async () => {
          try {
            await sleep(10_000);
          } catch (e) {
            cancelled = CancelledError.is(e);
            throw e;
          }
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(cancelled).toBe(true);
    }),
  );

  test(
    'test_nested_timeouts: with the same deadline only the outermost raises TimeoutError',
    virtualTest(async () => {
      const deadline = getRunningLoop().time() + 10;
      let cancelled = false;
      let innerError: unknown;
      let cm1: Timeout | undefined;
      let cm2: Timeout | undefined;
      const err = await rejectionOf(
        timeoutAt(deadline, async (outer) => {
          cm1 = outer;
          try {
            await timeoutAt(deadline, async (inner) => {
              cm2 = inner;
              await sleep(10_000);
            });
          } catch (e) {
            innerError = e;
            cancelled = CancelledError.is(e);
            throw e;
          }
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(innerError).toBeInstanceOf(CancelledError);
      expect(cancelled).toBe(true);
      expect(cm1?.expired()).toBe(true);
      expect(cm2?.expired()).toBe(true);
      expectClean();
    }),
  );

  test(
    'nested timeouts, inner deadline first: the inner raises TimeoutError and the outer goes on',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const result = await timeout(100, async (outer) => {
        const inner = await rejectionOf(timeout(10, () => sleep(10_000)));
        expect(inner).toBeInstanceOf(TimeoutError);
        expect(me().cancelling()).toBe(0);
        await sleep(20);
        expect(outer.expired()).toBe(false);
        return loop.time();
      });
      expect(result).toBe(30);
      expectClean();
    }),
  );

  const zeroCases: [string, number, number][] = [
    ['test_timeout_zero', 0, 10_000],
    ['test_timeout_zero_sleep_zero', 0, 0],
    ['test_timeout_in_the_past_sleep_zero', -11, 0],
  ];
  for (const [name, delay, sleepMs] of zeroCases) {
    test(
      `${name}: timeout(${delay}) around sleep(${sleepMs}) raises TimeoutError and expired() is true`,
      virtualTest(async () => {
        const loop = getRunningLoop();
        await sleep(100);
        const t0 = loop.time();
        let cm: Timeout | undefined;
        const err = await rejectionOf(
          timeout(delay, async (scope) => {
            cm = scope;
            await sleep(sleepMs);
          }),
        );
        const t1 = loop.time();
        expect(err).toBeInstanceOf(TimeoutError);
        expect(cm?.expired()).toBe(true);
        expect(cm?.when()).toBe(t0 + delay);
        expect(t1).toBe(t0);
        expectClean();
      }),
    );
  }

  test(
    'timeout(0) around a body that never awaits an aiots awaitable: nothing happens (probe p11)',
    virtualTest(async () => {
      let cm: Timeout | undefined;
      const v = await timeout(0, async (scope) => {
        cm = scope;
        return 'quick';
      });
      expect(v).toBe('quick');
      expect(cm?.expired()).toBe(false);
      expectClean();
    }),
  );

  test(
    'test_timeout_exception_context: an error raised before expiry is replaced by the cancel of the finally block; TimeoutError with cause CancelledError',
    virtualTest(async () => {
      const err = await rejectionOf(
        timeout(10, async () => {
          try {
            throw new RangeError('1/0');
          } finally {
            await sleep(1000);
          }
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as TimeoutError).cause).toBeInstanceOf(CancelledError);
      expect(getRunningLoop().time()).toBe(10);
      expectClean();
    }),
  );

  test(
    'test_foreign_exception_on_timeout: an error raised while the body is being cancelled passes through (expired() true)',
    virtualTest(async () => {
      const crash = async (): Promise<void> => {
        try {
          await sleep(1000);
        } finally {
          // biome-ignore lint/correctness/noUnsafeFinally: the case under test.
          throw new RangeError('1/0');
        }
      };
      let cm: Timeout | undefined;
      const err = await rejectionOf(
        timeout(10, async (scope) => {
          cm = scope;
          await crash();
        }),
      );
      expect(err).toBeInstanceOf(RangeError);
      expect(cm?.expired()).toBe(true);
      expectClean();
    }),
  );

  test(
    'test_outer_task_is_not_cancelled: a task whose timeout expired inside it finishes normally',
    virtualTest(async () => {
      const task = createTask(async () => {
        const err = await rejectionOf(timeout(1, () => sleep(10_000)));
        expect(err).toBeInstanceOf(TimeoutError);
        expect(me().cancelling()).toBe(0);
        await sleep(5);
        return 'finished';
      });
      expect(await task).toBe('finished');
      expect(task.done()).toBe(true);
      expect(task.cancelled()).toBe(false);
    }),
  );

  test(
    'test_nested_timeout_in_finally: a timeout in the cleanup of an expired timeout raises its own TimeoutError',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let innerErr: unknown;
      let innerAt = -1;
      const err = await rejectionOf(
        timeout(10, async () => {
          try {
            await sleep(1000);
          } finally {
            innerErr = await rejectionOf(timeout(10, () => sleep(10_000)));
            innerAt = loop.time();
          }
        }),
      );
      expect(innerErr).toBeInstanceOf(TimeoutError);
      expect(innerAt).toBe(20);
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as TimeoutError).cause).toBeInstanceOf(CancelledError);
      expectClean();
    }),
  );

  test(
    'test_timeout_taskgroup: a child crashing in cleanup gives a TaskGroupError, not a TimeoutError',
    virtualTest(async () => {
      const err = await rejectionOf(
        timeout(10, () =>
          taskGroup(async (tg) => {
            tg.createTask(async () => {
              try {
                await sleep(2000);
              } finally {
                // biome-ignore lint/correctness/noUnsafeFinally: crash in cleanup.
                throw new RangeError('1/0');
              }
            });
            try {
              throw new TypeError('value error');
            } finally {
              await sleep(1000);
            }
          }),
        ),
      );
      expect(err).toBeInstanceOf(TaskGroupError);
      const errors = (err as TaskGroupError).errors;
      expect(errors.length).toBe(1);
      expect(errors[0]).toBeInstanceOf(RangeError);
      expectClean();
    }),
  );
});

describe('timeout: no expiry', () => {
  test(
    'test_timeout_not_called: a body that finishes in time returns its value; expired() is false',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let cm: Timeout | undefined;
      const v = await timeout(10_000, async (scope) => {
        cm = scope;
        await sleep(10);
        return 'in time';
      });
      const t1 = loop.time();
      expect(v).toBe('in time');
      expect(cm?.expired()).toBe(false);
      expect(cm?.when()).toBeGreaterThan(t1);
      expectClean();
    }),
  );

  test(
    'test_timeout_disabled / test_timeout_at_disabled: timeout(null) has when() null and never expires',
    virtualTest(async () => {
      for (const enter of [timeout, timeoutAt]) {
        let cm: Timeout | undefined;
        await enter(null, async (scope) => {
          cm = scope;
          await sleep(10);
        });
        expect(cm?.expired()).toBe(false);
        expect(cm?.when()).toBe(null);
      }
      expectClean();
    }),
  );

  test(
    'test_foreign_exception_passed: an error before the deadline passes unchanged; expired() is false',
    virtualTest(async () => {
      const keyError = new RangeError('KeyError');
      let cm: Timeout | undefined;
      const err = await rejectionOf(
        timeout(10, async (scope) => {
          cm = scope;
          throw keyError;
        }),
      );
      expect(err).toBe(keyError);
      expect(cm?.expired()).toBe(false);
      expectClean();
    }),
  );
});

describe('timeout: cancels from outside', () => {
  test(
    'test_foreign_cancel_doesnt_timeout_if_not_expired: an own cancel inside timeout(10_000) stays a CancelledError',
    virtualTest(async () => {
      let cm: Timeout | undefined;
      const err = await rejectionOf(
        timeout(10_000, async (scope) => {
          cm = scope;
          me().cancel();
          await sleep(10_000);
        }),
      );
      expect(err).toBeInstanceOf(CancelledError);
      expect(cm?.expired()).toBe(false);
      expect(me().uncancel()).toBe(0);
      expect(getRunningLoop()._timerCount()).toBe(0);
    }),
  );

  test(
    'an outside cancel that arrives while an expired timeout cleans up is not turned into a timeout',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let cm: Timeout | undefined;
      const task = createTask(() =>
        timeout(10, async (scope) => {
          cm = scope;
          try {
            await sleep(10_000);
          } finally {
            await shieldedCleanup();
          }
        }),
      );
      // The cleanup outlives the deadline; the outside cancel comes during it.
      async function shieldedCleanup(): Promise<void> {
        try {
          await sleep(10);
        } catch {
          // The second cancel interrupts the cleanup; the original error goes on.
        }
      }
      await sleep(15);
      expect(cm?.expired()).toBe(true);
      task.cancel();
      const err = await rejectionOf(task);
      expect(err).toBeInstanceOf(CancelledError);
      expect(err).not.toBeInstanceOf(TimeoutError);
      expect(task.cancelled()).toBe(true);
      expect(loop.time()).toBe(15);
    }),
  );

  test(
    'the outside cancel of a task in timeout() cancels its body and propagates as CancelledError',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let cm: Timeout | undefined;
      const task = createTask(() =>
        timeout(1000, async (scope) => {
          cm = scope;
          await sleep(10_000);
        }),
      );
      await sleep(10);
      task.cancel('from outside');
      const err = await rejectionOf(task);
      expect(err).toBeInstanceOf(CancelledError);
      expect((err as CancelledError).message).toBe('from outside');
      expect(cm?.expired()).toBe(false);
      expect(loop.time()).toBe(10);
      expect(loop._timerCount()).toBe(0);
    }),
  );

  test(
    'test_timeout_after_cancellation: after a caught cancel (not uncancelled), timeout(0) still raises TimeoutError',
    virtualTest(async () => {
      let caught = false;
      try {
        me().cancel();
        await sleep(1000);
      } catch (e) {
        caught = CancelledError.is(e);
      }
      expect(caught).toBe(true);
      expect(me().cancelling()).toBe(1);
      const err = await rejectionOf(timeout(0, () => sleep(1000)));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(me().cancelling()).toBe(1);
      expect(getRunningLoop().time()).toBe(0);
      me().uncancel();
    }),
  );

  test(
    'test_cancel_in_timeout_after_cancellation: after a caught cancel, an own cancel inside timeout(1000) is a CancelledError',
    virtualTest(async () => {
      try {
        me().cancel();
        await sleep(1000);
      } catch {
        // Handled without uncancel(): cancelling() stays 1.
      }
      const err = await rejectionOf(
        timeout(1000, async () => {
          me().cancel();
          await sleep(2000);
        }),
      );
      expect(err).toBeInstanceOf(CancelledError);
      expect(me().cancelling()).toBe(2);
      me().uncancel();
      me().uncancel();
      expect(getRunningLoop()._timerCount()).toBe(0);
    }),
  );
});

describe('timeout: a busy loop', () => {
  test('test_nested_timeouts_loop_busy: the inner deadline passes during blocking work; the next sleep is cut by the outer timeout', async () => {
    const clock = new VirtualClock();
    await run(
      async () => {
        const loop = getRunningLoop();
        const t0 = loop.time();
        const err = await rejectionOf(
          timeout(100, async () => {
            const inner = await rejectionOf(
              timeout(10, async () => {
                // Pretend the loop is busy for 50 ms (time.sleep in the CPython test).
                clock.advanceTo(clock.now() + 50);
                await sleep(1000);
              }),
            );
            expect(inner).toBeInstanceOf(TimeoutError);
            expect(loop.time()).toBe(t0 + 50);
            await sleep(10_000);
          }),
        );
        expect(err).toBeInstanceOf(TimeoutError);
        expect(loop.time()).toBe(t0 + 100);
        expectClean();
      },
      { clock },
    );
  });

  test('test_nested_timeouts_loop_busy: when both deadlines pass during the blocking work, the outermost raises TimeoutError', async () => {
    const clock = new VirtualClock();
    await run(
      async () => {
        const loop = getRunningLoop();
        let innerErr: unknown;
        const err = await rejectionOf(
          timeout(100, async () => {
            try {
              await timeout(10, async () => {
                clock.advanceTo(clock.now() + 100);
                await sleep(1000);
              });
            } catch (e) {
              innerErr = e;
              throw e;
            }
            await sleep(10_000);
          }),
        );
        // As in CPython (checked on 3.13): both timers fire in one go, so the inner timeout
        // sees two cancels and lets the CancelledError through to the outer one.
        expect(innerErr).toBeInstanceOf(CancelledError);
        expect(err).toBeInstanceOf(TimeoutError);
        expect(loop.time()).toBe(100);
        expectClean();
      },
      { clock },
    );
  });

  test(
    'test_nested_timeouts_concurrent: an inner timeout longer than the outer one is cut by the outer',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let innerErr: unknown;
      const err = await rejectionOf(
        timeout(2, async () => {
          innerErr = await rejectionOf(timeout(100, () => sleep(1000)));
          throw innerErr;
        }),
      );
      expect(innerErr).toBeInstanceOf(CancelledError);
      expect(err).toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(2);
      expectClean();
    }),
  );
});

describe('timeout: reschedule and states', () => {
  test(
    'test_reschedule: when() follows reschedule(); reschedule(null) disables the timeout',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const fut = loop.createFuture<Timeout>();
      const deadline1 = loop.time() + 10;
      const deadline2 = deadline1 + 20;
      const task = createTask(() =>
        timeoutAt(deadline1, async (cm) => {
          fut.setResult(cm);
          await sleep(50);
        }),
      );
      const cm = await fut;
      expect(cm.when()).toBe(deadline1);
      cm.reschedule(deadline2);
      expect(cm.when()).toBe(deadline2);
      cm.reschedule(null);
      expect(cm.when()).toBe(null);
      task.cancel();
      expect(await rejectionOf(task)).toBeInstanceOf(CancelledError);
      expect(cm.expired()).toBe(false);
    }),
  );

  test(
    'reschedule moves the deadline: later, earlier, or into the past',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const later = await rejectionOf(
        timeout(10, async (cm) => {
          cm.reschedule(loop.time() + 50);
          await sleep(1000);
        }),
      );
      expect(later).toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(50);
      const earlier = await rejectionOf(
        timeout(1000, async (cm) => {
          cm.reschedule(loop.time() + 5);
          await sleep(1000);
        }),
      );
      expect(earlier).toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(55);
      const past = await rejectionOf(
        timeout(1000, async (cm) => {
          cm.reschedule(loop.time() - 1);
          await sleep(1000);
        }),
      );
      expect(past).toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(55);
      expectClean();
    }),
  );

  test(
    'test_timeout_not_entered: reschedule() before the timeout is entered throws "has not been entered"',
    virtualTest(async () => {
      const cm = new Timeout(10);
      expect(() => cm.reschedule(20)).toThrow(InvalidStateError);
      expect(() => cm.reschedule(20)).toThrow(/has not been entered/);
    }),
  );

  test(
    'test_timeout_expiring: reschedule() while the body handles the expiry cancel throws "expiring"',
    virtualTest(async () => {
      let cancelled = false;
      let rescheduleErr: unknown;
      let cm: Timeout | undefined;
      await timeout(10, async (scope) => {
        cm = scope;
        try {
          await sleep(1000);
        } catch (e) {
          cancelled = CancelledError.is(e);
        }
        try {
          scope.reschedule(20);
        } catch (e) {
          rescheduleErr = e;
        }
      });
      expect(cancelled).toBe(true);
      expect(rescheduleErr).toBeInstanceOf(InvalidStateError);
      expect((rescheduleErr as Error).message).toMatch(/expiring/);
      // The body swallowed the cancel: no TimeoutError, and the count is restored.
      expect(cm?.expired()).toBe(true);
      expectClean();
    }),
  );

  test(
    'test_timeout_expired: reschedule() after the timeout expired throws "expired"',
    virtualTest(async () => {
      let cm: Timeout | undefined;
      await rejectionOf(
        timeout(10, async (scope) => {
          cm = scope;
          await sleep(1000);
        }),
      );
      expect(() => cm?.reschedule(20)).toThrow(InvalidStateError);
      expect(() => cm?.reschedule(20)).toThrow(/expired/);
    }),
  );

  test(
    'test_timeout_finished: reschedule() after a normal exit throws "finished"',
    virtualTest(async () => {
      let cm: Timeout | undefined;
      await timeout(10, async (scope) => {
        cm = scope;
      });
      expect(() => cm?.reschedule(20)).toThrow(InvalidStateError);
      expect(() => cm?.reschedule(20)).toThrow(/finished/);
    }),
  );

  test(
    'test_timeout_already_entered / test_timeout_double_enter: entering a scope again throws "has already been entered"',
    virtualTest(async () => {
      // The function form cannot enter a scope twice; `_enter` is what `timeoutAt` calls.
      const enter = (cm: Timeout) =>
        (cm as unknown as { _enter(t: Task<unknown>): void })._enter(me());
      let inside: unknown;
      let cm: Timeout | undefined;
      await timeout(10, async (scope) => {
        cm = scope;
        try {
          enter(scope);
        } catch (e) {
          inside = e;
        }
      });
      expect(inside).toBeInstanceOf(InvalidStateError);
      expect((inside as Error).message).toMatch(/has already been entered/);
      expect(() => enter(cm as Timeout)).toThrow(/has already been entered/);
      expectClean();
    }),
  );

  test(
    'test_repr_*: toString() names the state',
    virtualTest(async () => {
      let active = '';
      const expired = await timeout(10, async (cm) => {
        active = cm.toString();
        return cm;
      });
      expect(active).toMatch(/^<Timeout \[active\] when=10>$/);
      expect(expired.toString()).toMatch(/\[finished\]/);
      let cm2: Timeout | undefined;
      await rejectionOf(
        timeout(10, async (cm) => {
          cm2 = cm;
          await sleep(100);
        }),
      );
      expect(cm2?.toString()).toMatch(/\[expired\]/);
      await timeout(null, async (cm) => {
        expect(cm.toString()).toBe('<Timeout [active] when=null>');
      });
    }),
  );
});

describe('timeout outside a task', () => {
  test(
    'test_timeout_without_task (aiots: the body runs in a new task instead of raising)',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const outcomes: unknown[] = [];
      let bodyTask: Task<unknown> | undefined;
      const done = loop.createFuture<void>();
      loop.callSoon(() => {
        // A loop callback runs outside any task.
        outcomes.push(currentTask());
        const ok = timeout(50, async () => {
          bodyTask = currentTask();
          await sleep(10);
          return 'ok';
        });
        const late = timeout(5, () => sleep(1000));
        Promise.allSettled([ok, late]).then((r) => {
          outcomes.push(...r);
          done.setResult();
        });
      });
      await done;
      expect(outcomes[0]).toBe(undefined);
      expect(bodyTask).toBeDefined();
      expect(bodyTask).not.toBe(me());
      expect(outcomes[1]).toEqual({ status: 'fulfilled', value: 'ok' });
      const late = outcomes[2] as PromiseRejectedResult;
      expect(late.status).toBe('rejected');
      expect(late.reason).toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(10);
    }),
  );

  test('timeout outside any loop context uses the default loop and still expires', async () => {
    expect(currentTask()).toBe(undefined);
    expect(await timeout(1000, async () => 'plain')).toBe('plain');
    const err = await rejectionOf(timeout(1, () => sleep(60_000)));
    expect(err).toBeInstanceOf(TimeoutError);
  });
});
