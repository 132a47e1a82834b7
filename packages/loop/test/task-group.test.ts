/**
 * taskGroup(): the CPython cases of asyncio-semantics.md section 4.G, 112-126
 * (test_taskgroups.py), plus aiots's `tg.cancel()` and `limit`. asyncio's ExceptionGroup is a
 * `TaskGroupError` here (nested groups nest); KeyboardInterrupt and SystemExit (case 121)
 * have no JavaScript counterpart.
 */

import {
  CancelledError,
  createTask,
  currentTask,
  getRunningLoop,
  InvalidStateError,
  sleep,
  type Task,
  TaskGroup,
  TaskGroupError,
  taskGroup,
} from '@aiots/loop';
import { virtualTest } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';
import { me, rejectionOf, runGcFixture } from './helpers.ts';

class MyExc extends Error {
  override name = 'MyExc';
}
class ZeroDivisionError extends Error {
  override name = 'ZeroDivisionError';
}

/** asyncio's get_error_types: the set of error class names in a group. */
function errorTypes(e: unknown): Set<string> {
  expect(e).toBeInstanceOf(TaskGroupError);
  return new Set((e as TaskGroupError).errors.map((x) => (x as Error).name));
}

const crashAfter = (ms: number, make: () => Error) => async (): Promise<never> => {
  await sleep(ms);
  throw make();
};

describe('taskGroup: basics', () => {
  test(
    'test_taskgroup_01: the group waits for its children; results 42 and 11',
    virtualTest(async () => {
      let t1: Task<number> | undefined;
      let t2: Task<number> | undefined;
      await taskGroup(async (g) => {
        t1 = g.createTask(async () => {
          await sleep(100);
          return 42;
        });
        t2 = g.createTask(async () => {
          await sleep(200);
          return 11;
        });
      });
      expect(t1?.result()).toBe(42);
      expect(t2?.result()).toBe(11);
      expect(getRunningLoop().time()).toBe(200);
    }),
  );

  test(
    'test_taskgroup_02: a child created after a sleep in the body is waited for too',
    virtualTest(async () => {
      let t1: Task<number> | undefined;
      let t2: Task<number> | undefined;
      await taskGroup(async (g) => {
        t1 = g.createTask(async () => {
          await sleep(100);
          return 42;
        });
        await sleep(150);
        t2 = g.createTask(async () => {
          await sleep(200);
          return 11;
        });
      });
      expect(t1?.result()).toBe(42);
      expect(t2?.result()).toBe(11);
      expect(getRunningLoop().time()).toBe(350);
    }),
  );

  test(
    'test_taskgroup_03: a child cancelled explicitly does not abort the group',
    virtualTest(async () => {
      let t1: Task<number> | undefined;
      let t2: Task<number> | undefined;
      await taskGroup(async (g) => {
        t1 = g.createTask(async () => {
          await sleep(1000);
          return 42;
        });
        await sleep(150);
        t1.cancel();
        t2 = g.createTask(async () => {
          await sleep(200);
          return 11;
        });
      });
      expect(t1?.cancelled()).toBe(true);
      expect(t2?.result()).toBe(11);
      expect(me().cancelling()).toBe(0);
    }),
  );

  test(
    'taskGroup returns what the body returned',
    virtualTest(async () => {
      const v = await taskGroup(async (g) => {
        const t = g.createTask(() => sleep(10, 'child'));
        return () => t.result();
      });
      expect(v()).toBe('child');
    }),
  );

  test(
    'test_taskgroup_task_name: createTask passes the name on',
    virtualTest(async () => {
      await taskGroup(async (g) => {
        const t = g.createTask(() => sleep(0), { name: 'yolo' });
        expect(t.getName()).toBe('yolo');
      });
    }),
  );
});

describe('taskGroup: a child fails', () => {
  test(
    'test_taskgroup_04: a child error cancels its sibling; TaskGroupError {ZeroDivisionError}',
    virtualTest(async () => {
      let NUM = 0;
      let t2Cancel = false;
      let t2: Task<void> | undefined;
      const runner = createTask(async () => {
        await taskGroup(async (g) => {
          g.createTask(crashAfter(100, () => new ZeroDivisionError()));
          t2 = g.createTask(async () => {
            try {
              await sleep(1000);
            } catch (e) {
              t2Cancel = true;
              throw e;
            }
            NUM += 1;
          });
        });
        NUM += 10;
      });
      const err = await rejectionOf(runner);
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
      expect((err as TaskGroupError).message).toBe(
        'unhandled errors in a TaskGroup (1 sub-exception)',
      );
      expect(NUM).toBe(0);
      expect(t2Cancel).toBe(true);
      expect(t2?.cancelled()).toBe(true);
    }),
  );

  test(
    'test_cancel_children_on_child_error: the body is cancelled at its await too; every failure is collected',
    virtualTest(async () => {
      let NUM = 0;
      let t2Cancel = false;
      let runnerCancel = false;
      const runner = createTask(async () => {
        await taskGroup(async (g) => {
          g.createTask(crashAfter(100, () => new ZeroDivisionError()));
          g.createTask(crashAfter(100, () => new ZeroDivisionError()));
          g.createTask(crashAfter(100, () => new ZeroDivisionError()));
          g.createTask(async () => {
            try {
              await sleep(5000);
            } catch (e) {
              t2Cancel = true;
              throw e;
            }
            NUM += 1;
          });
          try {
            await sleep(10_000);
          } catch (e) {
            runnerCancel = true;
            throw e;
          }
        });
        NUM += 10;
      });
      const err = await rejectionOf(runner);
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
      // All three fail in the same turn, so all three are collected (probe p4).
      expect((err as TaskGroupError).errors.length).toBe(3);
      expect(NUM).toBe(0);
      expect(t2Cancel).toBe(true);
      expect(runnerCancel).toBe(true);
      expect(getRunningLoop().time()).toBe(100);
    }),
  );

  test(
    'probe p4: siblings see their CancelledError before the body does',
    virtualTest(async () => {
      const log: string[] = [];
      const err = await rejectionOf(
        taskGroup(async (g) => {
          g.createTask(crashAfter(10, () => new RangeError('boom')));
          g.createTask(async () => {
            try {
              await sleep(1000);
            } catch (e) {
              log.push('sibling');
              throw e;
            }
          });
          try {
            await sleep(1000);
          } catch (e) {
            log.push('body');
            throw e;
          }
        }),
      );
      expect(errorTypes(err)).toEqual(new Set(['RangeError']));
      expect(log).toEqual(['sibling', 'body']);
      expect(me().cancelling()).toBe(0);
    }),
  );

  test(
    'children failing in the same turn with different errors are all collected (probe p4)',
    virtualTest(async () => {
      const err = await rejectionOf(
        taskGroup(async (g) => {
          g.createTask(crashAfter(10, () => new RangeError('value')));
          g.createTask(crashAfter(10, () => new TypeError('key')));
        }),
      );
      expect(errorTypes(err)).toEqual(new Set(['RangeError', 'TypeError']));
    }),
  );
});

describe('taskGroup: cancelled from outside', () => {
  test(
    'test_cancellation: cancelling the runner cancels all 5 children; CancelledError',
    virtualTest(async () => {
      let NUM = 0;
      const foo = async (): Promise<void> => {
        try {
          await sleep(5000);
        } catch (e) {
          NUM += 1;
          throw e;
        }
      };
      const r = createTask(() =>
        taskGroup(async (g) => {
          for (let i = 0; i < 5; i++) g.createTask(foo);
        }),
      );
      await sleep(100);
      expect(r.done()).toBe(false);
      r.cancel();
      expect(await rejectionOf(r)).toBeInstanceOf(CancelledError);
      expect(r.cancelled()).toBe(true);
      expect(NUM).toBe(5);
    }),
  );

  test(
    'test_taskgroup_07: the body is cancelled along with the 5 children (NUM == 15)',
    virtualTest(async () => {
      let NUM = 0;
      const foo = async (): Promise<void> => {
        try {
          await sleep(5000);
        } catch (e) {
          NUM += 1;
          throw e;
        }
      };
      const r = createTask(() =>
        taskGroup(async (g) => {
          for (let i = 0; i < 5; i++) g.createTask(foo);
          try {
            await sleep(10_000);
          } catch (e) {
            NUM += 10;
            throw e;
          }
        }),
      );
      await sleep(100);
      expect(r.done()).toBe(false);
      r.cancel();
      expect(await rejectionOf(r)).toBeInstanceOf(CancelledError);
      expect(NUM).toBe(15);
    }),
  );

  test(
    'test_taskgroup_22: an outside cancel while only children run gives CancelledError',
    virtualTest(async () => {
      const r = createTask(() =>
        taskGroup(async (g) => {
          g.createTask(() => sleep(1000, 42));
          g.createTask(() => sleep(2000, 11));
        }),
      );
      await sleep(50);
      r.cancel();
      expect(await rejectionOf(r)).toBeInstanceOf(CancelledError);
      expect(getRunningLoop().time()).toBe(50);
    }),
  );

  test(
    'test_taskgroup_08 (gh-95704): children failing in cleanup after an outside cancel give TaskGroupError, not CancelledError',
    virtualTest(async () => {
      const foo = async (): Promise<void> => {
        try {
          await sleep(10_000);
        } finally {
          // biome-ignore lint/correctness/noUnsafeFinally: crash in cleanup.
          throw new ZeroDivisionError();
        }
      };
      const r = createTask(() =>
        taskGroup(async (g) => {
          for (let i = 0; i < 5; i++) g.createTask(foo);
          await sleep(10_000);
        }),
      );
      await sleep(100);
      expect(r.done()).toBe(false);
      r.cancel();
      const err = await rejectionOf(r);
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
      expect((err as TaskGroupError).errors.length).toBe(5);
      expect(r.cancelled()).toBe(false);
    }),
  );

  test(
    'test_taskgroup_15: the parent is cancelled and a child crashes during its handler: TaskGroupError',
    virtualTest(async () => {
      const r = createTask(() =>
        taskGroup(async (g) => {
          g.createTask(crashAfter(300, () => new ZeroDivisionError()));
          try {
            await sleep(10_000);
          } catch (e) {
            await sleep(500);
            throw e;
          }
        }),
      );
      await sleep(100);
      expect(r.done()).toBe(false);
      r.cancel();
      const err = await rejectionOf(r);
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
    }),
  );

  test(
    'test_taskgroup_16: the same through an intermediate task',
    virtualTest(async () => {
      const nestedRunner = () =>
        taskGroup(async (g) => {
          g.createTask(crashAfter(300, () => new ZeroDivisionError()));
          try {
            await sleep(10_000);
          } catch (e) {
            await sleep(500);
            throw e;
          }
        });
      const r = createTask(async () => {
        const t = createTask(nestedRunner);
        await t;
      });
      await sleep(100);
      expect(r.done()).toBe(false);
      r.cancel();
      const err = await rejectionOf(r);
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
    }),
  );

  test(
    'test_taskgroup_17: the body re-raising the CancelledError gives CancelledError',
    virtualTest(async () => {
      let NUM = 0;
      const r = createTask(() =>
        taskGroup(async () => {
          try {
            await sleep(10_000);
          } catch (e) {
            NUM += 10;
            throw e;
          }
        }),
      );
      await sleep(100);
      expect(r.done()).toBe(false);
      r.cancel();
      expect(await rejectionOf(r)).toBeInstanceOf(CancelledError);
      expect(NUM).toBe(10);
    }),
  );

  test(
    'test_taskgroup_18: the body raising another error on cancel gives TaskGroupError {MyExc}',
    virtualTest(async () => {
      let NUM = 0;
      const r = createTask(() =>
        taskGroup(async () => {
          try {
            await sleep(10_000);
          } catch {
            NUM += 10;
            throw new MyExc();
          }
        }),
      );
      await sleep(100);
      expect(r.done()).toBe(false);
      r.cancel();
      const err = await rejectionOf(r);
      expect(errorTypes(err)).toEqual(new Set(['MyExc']));
      expect(NUM).toBe(10);
    }),
  );
});

describe('taskGroup: the body fails', () => {
  test(
    'test_taskgroup_09: the body raising after a sleep cancels both children',
    virtualTest(async () => {
      let t1: Task<number> | undefined;
      let t2: Task<number> | undefined;
      const err = await rejectionOf(
        taskGroup(async (g) => {
          t1 = g.createTask(() => sleep(1000, 42));
          t2 = g.createTask(() => sleep(2000, 11));
          await sleep(100);
          throw new ZeroDivisionError();
        }),
      );
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
      expect(t1?.cancelled()).toBe(true);
      expect(t2?.cancelled()).toBe(true);
      expect(getRunningLoop().time()).toBe(100);
      expect(me().cancelling()).toBe(0);
    }),
  );

  test(
    'test_taskgroup_10: the body raising at once cancels both children before they start',
    virtualTest(async () => {
      let t1: Task<number> | undefined;
      let t2: Task<number> | undefined;
      let started = 0;
      const err = await rejectionOf(
        taskGroup(async (g) => {
          t1 = g.createTask(async () => {
            started++;
            return await sleep(1000, 42);
          });
          t2 = g.createTask(async () => {
            started++;
            return await sleep(2000, 11);
          });
          throw new ZeroDivisionError();
        }),
      );
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
      expect(t1?.cancelled()).toBe(true);
      expect(t2?.cancelled()).toBe(true);
      expect(started).toBe(0);
    }),
  );

  test(
    'test_taskgroup_19: errors of the body and of a child are both in the group {MyExc, ZeroDivisionError}',
    virtualTest(async () => {
      const nested = async (): Promise<void> => {
        try {
          await sleep(10_000);
        } finally {
          // biome-ignore lint/correctness/noUnsafeFinally: the case under test.
          throw new MyExc();
        }
      };
      const r = createTask(() =>
        taskGroup(async (g) => {
          g.createTask(crashAfter(100, () => new ZeroDivisionError()));
          await nested();
        }),
      );
      const err = await rejectionOf(r);
      expect(errorTypes(err)).toEqual(new Set(['MyExc', 'ZeroDivisionError']));
    }),
  );

  test(
    'test_taskgroup_context_manager_exit_raises (gh-95289): a cleanup error in the body and a child error; cancelling() is 0 after',
    virtualTest(async () => {
      class CustomException extends Error {
        override name = 'CustomException';
      }
      const main = createTask(async () => {
        const task = me();
        try {
          await taskGroup(async (tg) => {
            try {
              tg.createTask(async () => {
                throw new CustomException();
              });
              await sleep(1000);
            } finally {
              // biome-ignore lint/correctness/noUnsafeFinally: asynccontextmanager's exit raising.
              throw new CustomException();
            }
          });
        } catch (err) {
          expect(task.cancelling()).toBe(0);
          expect((err as TaskGroupError).errors.length).toBe(2);
          expect(errorTypes(err)).toEqual(new Set(['CustomException']));
          return 'handled';
        }
        return 'not raised';
      });
      expect(await main).toBe('handled');
    }),
  );
});

describe('taskGroup: nested groups', () => {
  test(
    'test_taskgroup_11: an outside cancel with inner children crashing in cleanup gives a nested TaskGroupError',
    virtualTest(async () => {
      const foo = async (): Promise<void> => {
        try {
          await sleep(10_000);
        } finally {
          // biome-ignore lint/correctness/noUnsafeFinally: crash in cleanup.
          throw new ZeroDivisionError();
        }
      };
      const r = createTask(() =>
        taskGroup(() =>
          taskGroup(async (g2) => {
            for (let i = 0; i < 5; i++) g2.createTask(foo);
            await sleep(10_000);
          }),
        ),
      );
      await sleep(100);
      expect(r.done()).toBe(false);
      r.cancel();
      const err = await rejectionOf(r);
      expect(errorTypes(err)).toEqual(new Set(['TaskGroupError']));
      expect(errorTypes((err as TaskGroupError).errors[0])).toEqual(new Set(['ZeroDivisionError']));
    }),
  );

  test(
    'test_taskgroup_12: the same with a sibling child in the outer group',
    virtualTest(async () => {
      const foo = async (): Promise<void> => {
        try {
          await sleep(10_000);
        } finally {
          // biome-ignore lint/correctness/noUnsafeFinally: crash in cleanup.
          throw new ZeroDivisionError();
        }
      };
      let outerChild: Task<void> | undefined;
      const r = createTask(() =>
        taskGroup(async (g1) => {
          outerChild = g1.createTask(() => sleep(10_000));
          await taskGroup(async (g2) => {
            for (let i = 0; i < 5; i++) g2.createTask(foo);
            await sleep(10_000);
          });
        }),
      );
      await sleep(100);
      r.cancel();
      const err = await rejectionOf(r);
      expect(errorTypes(err)).toEqual(new Set(['TaskGroupError']));
      expect(errorTypes((err as TaskGroupError).errors[0])).toEqual(new Set(['ZeroDivisionError']));
      expect(outerChild?.cancelled()).toBe(true);
    }),
  );

  test(
    'test_taskgroup_13: the outer child fails first: the inner group is cancelled and the error is flat {ValueError}',
    virtualTest(async () => {
      const r = createTask(() =>
        taskGroup(async (g1) => {
          g1.createTask(crashAfter(100, () => new RangeError('0.1')));
          await taskGroup(async (g2) => {
            g2.createTask(crashAfter(10_000, () => new RangeError('10')));
          });
        }),
      );
      const err = await rejectionOf(r);
      expect(errorTypes(err)).toEqual(new Set(['RangeError']));
      expect(((err as TaskGroupError).errors[0] as Error).message).toBe('0.1');
      expect(getRunningLoop().time()).toBe(100);
    }),
  );

  test(
    'test_taskgroup_14: the inner child fails first: a nested {TaskGroupError {ValueError}}',
    virtualTest(async () => {
      const r = createTask(() =>
        taskGroup(async (g1) => {
          g1.createTask(crashAfter(10_000, () => new RangeError('10')));
          await taskGroup(async (g2) => {
            g2.createTask(crashAfter(100, () => new RangeError('0.1')));
          });
        }),
      );
      const err = await rejectionOf(r);
      expect(errorTypes(err)).toEqual(new Set(['TaskGroupError']));
      expect(errorTypes((err as TaskGroupError).errors[0])).toEqual(new Set(['RangeError']));
      expect(getRunningLoop().time()).toBe(100);
    }),
  );
});

describe('taskGroup: createTask rules', () => {
  test(
    'test_taskgroup_no_create_task_after_failure: createTask in a shutting-down group throws "is shutting down"',
    virtualTest(async () => {
      let createErr: unknown;
      const err = await rejectionOf(
        taskGroup(async (g) => {
          g.createTask(crashAfter(1, () => new ZeroDivisionError()));
          g.createTask(async () => {
            try {
              await sleep(1000);
            } catch {
              try {
                g.createTask(crashAfter(1, () => new ZeroDivisionError()));
              } catch (e) {
                createErr = e;
              }
            }
          });
        }),
      );
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
      expect(createErr).toBeInstanceOf(InvalidStateError);
      expect((createErr as Error).message).toMatch(/is shutting down/);
    }),
  );

  test(
    'test_taskgroup_finished: createTask after the group finished throws "is finished" and does not run the function',
    virtualTest(async () => {
      let saved: TaskGroup | undefined;
      await taskGroup(async (tg) => {
        saved = tg;
      });
      let ran = false;
      expect(() =>
        saved?.createTask(async () => {
          ran = true;
        }),
      ).toThrow(/is finished/);
      await sleep(0);
      expect(ran).toBe(false);
    }),
  );

  test(
    'test_taskgroup_not_entered: a TaskGroup made with new and never entered by taskGroup() starts nothing',
    virtualTest(async () => {
      // Inside a task too: only taskGroup() enters a group (a disposer could not see an
      // error thrown by an `await using` block, so there is no such form).
      let started = 0;
      const tg = new TaskGroup();
      let err: unknown;
      try {
        tg.createTask(async () => {
          started++;
        });
      } catch (e) {
        err = e;
      }
      await sleep(0);
      expect(err).toBeInstanceOf(InvalidStateError);
      expect((err as Error).message).toMatch(/has not been entered: get one from taskGroup/);
      expect(started).toBe(0);
      expect(Symbol.asyncDispose in tg).toBe(false);
    }),
  );

  test(
    'test_taskgroup_already_entered / test_taskgroup_double_enter: entering a group again throws "has already been entered"',
    virtualTest(async () => {
      // The function form cannot enter a group twice; `_enter` is what `taskGroup` calls.
      const enter = (tg: TaskGroup) =>
        (tg as unknown as { _enter(t: Task<unknown>): void })._enter(me());
      let inside: unknown;
      let saved: TaskGroup | undefined;
      await taskGroup(async (tg) => {
        saved = tg;
        try {
          enter(tg);
        } catch (e) {
          inside = e;
        }
      });
      expect(inside).toBeInstanceOf(InvalidStateError);
      expect((inside as Error).message).toMatch(/has already been entered/);
      expect(() => enter(saved as TaskGroup)).toThrow(/has already been entered/);
    }),
  );

  test(
    'taskGroup outside a task (aiots: the body runs in a new task instead of raising)',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const outcome = loop.createFuture<unknown>();
      let bodyTask: Task<unknown> | undefined;
      loop.callSoon(() => {
        taskGroup(async (tg) => {
          bodyTask = currentTask();
          const t = tg.createTask(() => sleep(10, 'child'));
          await sleep(5);
          return () => t.result();
        }).then(
          (result) => outcome.setResult(result()),
          (e: unknown) => outcome.setResult(e),
        );
      });
      expect(await outcome).toBe('child');
      expect(bodyTask).toBeDefined();
      expect(bodyTask).not.toBe(me());
    }),
  );
});

describe('taskGroup: children spawning children', () => {
  test(
    'test_taskgroup_23: children created over time; the group size falls to 0 once they are done',
    virtualTest(async () => {
      await taskGroup(async (g) => {
        for (let count = 0; count < 10; count++) {
          await sleep(100);
          g.createTask(() => sleep(300));
          if (count === 5) expect(g.size).toBeLessThan(5);
        }
        await sleep(1350);
        expect(g.size).toBe(0);
      });
      expect(getRunningLoop().time()).toBe(2350);
    }),
  );

  test(
    'test_taskgroup_24: a child spawns more children into the group; the group waits for them',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const finished: number[] = [];
      const coro1 = (ms: number) => async () => {
        await sleep(ms);
        finished.push(loop.time());
      };
      await taskGroup(async (g) => {
        g.createTask(async () => {
          await sleep(100);
          g.createTask(coro1(100));
          g.createTask(coro1(200));
        });
      });
      expect(finished).toEqual([200, 300]);
      expect(loop.time()).toBe(300);
    }),
  );

  test(
    'test_taskgroup_25: the hydra ends with TaskGroupError {ZeroDivisionError} and nhydras >= 10',
    virtualTest(async () => {
      let nhydras = 0;
      const hydra = (g: TaskGroup) => async (): Promise<void> => {
        nhydras++;
        await sleep(10);
        g.createTask(hydra(g));
        g.createTask(hydra(g));
      };
      const hercules = async (): Promise<void> => {
        while (nhydras < 10) await sleep(15);
        throw new ZeroDivisionError();
      };
      const err = await rejectionOf(
        taskGroup(async (g) => {
          g.createTask(hydra(g));
          g.createTask(hercules);
        }),
      );
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
      expect(nhydras).toBeGreaterThanOrEqual(10);
      expect(me().cancelling()).toBe(0);
      expect(getRunningLoop()._timerCount()).toBe(0);
    }),
  );
});

describe('taskGroup: the cancelling() counter (gh-116720)', () => {
  test(
    'test_cancelling_level_preserved: after a handled TaskGroupError cancelling() is back to 0',
    virtualTest(async () => {
      const err = await rejectionOf(
        taskGroup(async (tg) => {
          tg.createTask(crashAfter(0, () => new RangeError('runtime')));
        }),
      );
      expect(errorTypes(err)).toEqual(new Set(['RangeError']));
      expect(me().cancelling()).toBe(0);
      // And no stale cancel is pending: the task can go on awaiting.
      await sleep(10);
      expect(getRunningLoop().time()).toBe(10);
    }),
  );

  test(
    'test_nested_groups_both_cancelled: 1 after the inner error is handled (the outer abort is pending), 0 after the outer one',
    virtualTest(async () => {
      let afterInner = -1;
      let innerTypes: Set<string> | undefined;
      const err = await rejectionOf(
        taskGroup(async (outerTg) => {
          try {
            await taskGroup(async (innerTg) => {
              innerTg.createTask(crashAfter(0, () => new RangeError('runtime')));
              outerTg.createTask(crashAfter(0, () => new TypeError('value')));
            });
          } catch (e) {
            innerTypes = errorTypes(e);
            afterInner = me().cancelling();
          }
        }),
      );
      expect(innerTypes).toEqual(new Set(['RangeError']));
      expect(afterInner).toBe(1);
      expect(errorTypes(err)).toEqual(new Set(['TypeError']));
      expect(me().cancelling()).toBe(0);
    }),
  );

  test(
    'test_nested_groups_both_cancelled: an await after the handled inner error is cancelled by the outer group',
    virtualTest(async () => {
      let reached = false;
      let awaitErr: unknown;
      const err = await rejectionOf(
        taskGroup(async (outerTg) => {
          try {
            await taskGroup(async (innerTg) => {
              innerTg.createTask(crashAfter(0, () => new RangeError('runtime')));
              outerTg.createTask(crashAfter(0, () => new TypeError('value')));
            });
          } catch {
            // handled
          }
          try {
            await sleep(1000);
            reached = true;
          } catch (e) {
            awaitErr = e;
            throw e;
          }
        }),
      );
      expect(awaitErr).toBeInstanceOf(CancelledError);
      expect(reached).toBe(false);
      expect(errorTypes(err)).toEqual(new Set(['TypeError']));
      expect(me().cancelling()).toBe(0);
      expect(getRunningLoop().time()).toBe(0);
    }),
  );

  test(
    'test_error_and_cancel: a child error and an outside cancel; the cancel stays pending after the handled group error',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const event = loop.createFuture<void>();
      const log: string[] = [];
      const inner = async (): Promise<void> => {
        try {
          await taskGroup(async (tg) => {
            tg.createTask(async () => {
              event.setResult();
              await sleep(0);
              throw new RangeError('runtime');
            });
            await sleep(1000);
            log.push('sleep in group was not cancelled');
          });
        } catch (e) {
          expect(errorTypes(e)).toEqual(new Set(['RangeError']));
          log.push(`in handler: cancelling ${me().cancelling()}`);
        }
        log.push(`after handler: cancelling ${me().cancelling()}`);
        await sleep(1000);
        log.push('sleep after group was not cancelled');
      };
      const t = createTask(inner);
      await event;
      expect(t.cancelling()).toBe(0);
      t.cancel();
      expect(t.cancelling()).toBe(1);
      expect(await rejectionOf(t)).toBeInstanceOf(CancelledError);
      expect(t.cancelled()).toBe(true);
      expect(log).toEqual(['in handler: cancelling 1', 'after handler: cancelling 1']);
      expect(loop.time()).toBe(0);
    }),
  );
});

describe('taskGroup: aiots extras', () => {
  test(
    'tg.cancel() from the body stops the children and the body; taskGroup returns undefined',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const log: string[] = [];
      const child = (name: string) => async (): Promise<void> => {
        try {
          await sleep(1000);
          log.push(`${name} finished`);
        } catch (e) {
          log.push(`${name} cancelled`);
          throw e;
        }
      };
      let afterCancel = false;
      const v = await taskGroup(async (tg) => {
        tg.createTask(child('a'));
        tg.createTask(child('b'));
        await sleep(10);
        tg.cancel();
        await sleep(1000);
        afterCancel = true;
        return 'body value';
      });
      expect(v).toBe(undefined);
      expect(afterCancel).toBe(false);
      expect(log.sort()).toEqual(['a cancelled', 'b cancelled']);
      expect(loop.time()).toBe(10);
      expect(me().cancelling()).toBe(0);
      await sleep(5);
      expect(loop.time()).toBe(15);
    }),
  );

  test(
    'tg.cancel() from a child stops its siblings and the body without an error',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let sibling: Task<void> | undefined;
      let bodyCancelled = false;
      const v = await taskGroup(async (tg) => {
        sibling = tg.createTask(() => sleep(1000));
        tg.createTask(async () => {
          await sleep(20);
          tg.cancel();
        });
        try {
          await sleep(1000);
        } catch (e) {
          bodyCancelled = CancelledError.is(e);
          throw e;
        }
        return 'unreached';
      });
      expect(v).toBe(undefined);
      expect(bodyCancelled).toBe(true);
      expect(sibling?.cancelled()).toBe(true);
      expect(loop.time()).toBe(20);
      expect(me().cancelling()).toBe(0);
    }),
  );

  test(
    'tg.cancel() while the body already returned cancels the remaining children only',
    virtualTest(async () => {
      let t: Task<void> | undefined;
      const v = await taskGroup(async (tg) => {
        t = tg.createTask(() => sleep(1000));
        tg.createTask(async () => {
          await sleep(30);
          tg.cancel();
        });
        return 'body value';
      });
      expect(v).toBe('body value');
      expect(t?.cancelled()).toBe(true);
      expect(getRunningLoop().time()).toBe(30);
      expect(me().cancelling()).toBe(0);
    }),
  );

  test(
    'tg.cancel() with a child failing in its cleanup still throws the TaskGroupError',
    virtualTest(async () => {
      const err = await rejectionOf(
        taskGroup(async (tg) => {
          tg.createTask(async () => {
            try {
              await sleep(1000);
            } finally {
              // biome-ignore lint/correctness/noUnsafeFinally: crash in cleanup.
              throw new ZeroDivisionError();
            }
          });
          await sleep(10);
          tg.cancel();
          await sleep(1000);
        }),
      );
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
      expect(me().cancelling()).toBe(0);
    }),
  );

  test(
    'an outside cancel during tg.cancel() is not swallowed',
    virtualTest(async () => {
      const r = createTask(() =>
        taskGroup(async (tg) => {
          tg.createTask(async () => {
            try {
              await sleep(1000);
            } catch {
              await sleep(50); // slow cleanup
            }
          });
          await sleep(10);
          tg.cancel();
          await sleep(1000);
        }),
      );
      await sleep(20);
      r.cancel();
      expect(await rejectionOf(r)).toBeInstanceOf(CancelledError);
      expect(r.cancelled()).toBe(true);
    }),
  );

  test(
    '{ limit: 3 } never runs more than 3 children at once and starts queued ones in creation order',
    virtualTest(async () => {
      const loop = getRunningLoop();
      let running = 0;
      let maxRunning = 0;
      const started: number[] = [];
      const durations = [50, 10, 30, 20, 40, 10, 10, 60, 5, 25];
      const tasks = await taskGroup(
        async (tg) =>
          durations.map((ms, i) =>
            tg.createTask(async () => {
              started.push(i);
              running++;
              maxRunning = Math.max(maxRunning, running);
              try {
                await sleep(ms);
                return i;
              } finally {
                running--;
              }
            }),
          ),
        { limit: 3 },
      );
      expect(maxRunning).toBe(3);
      expect(started).toEqual(durations.map((_, i) => i));
      expect(tasks.map((t) => t.result())).toEqual(durations.map((_, i) => i));
      expect(running).toBe(0);
      // Simulated slots: each child starts when the earliest running one ends.
      const slots = [0, 0, 0];
      for (const ms of durations) {
        slots.sort((a, b) => a - b);
        slots[0] = (slots[0] as number) + ms;
      }
      expect(loop.time()).toBe(Math.max(...slots));
    }),
  );

  test(
    '{ limit } with a failure cancels the queued children without running their bodies',
    virtualTest(async () => {
      const ran: number[] = [];
      let queued: Task<void>[] = [];
      const err = await rejectionOf(
        taskGroup(
          async (tg) => {
            tg.createTask(async () => {
              ran.push(0);
              await sleep(5);
              throw new ZeroDivisionError();
            });
            tg.createTask(async () => {
              ran.push(1);
              await sleep(1000);
            });
            queued = [2, 3, 4, 5].map((i) =>
              tg.createTask(async () => {
                ran.push(i);
                await sleep(1);
              }),
            );
          },
          { limit: 2 },
        ),
      );
      expect(errorTypes(err)).toEqual(new Set(['ZeroDivisionError']));
      expect(ran).toEqual([0, 1]);
      expect(queued.every((t) => t.cancelled())).toBe(true);
      expect(getRunningLoop().time()).toBe(5);
      expect(me().cancelling()).toBe(0);
    }),
  );

  test(
    '{ limit } and an outside cancel: queued children never run and the cancel propagates',
    virtualTest(async () => {
      const ran: number[] = [];
      const r = createTask(() =>
        taskGroup(
          async (tg) => {
            for (let i = 0; i < 5; i++) {
              tg.createTask(async () => {
                ran.push(i);
                await sleep(100);
              });
            }
          },
          { limit: 1 },
        ),
      );
      await sleep(150);
      r.cancel();
      expect(await rejectionOf(r)).toBeInstanceOf(CancelledError);
      expect(ran).toEqual([0, 1]);
    }),
  );

  test('{ limit } working through many children lets the finished ones be collected (real GC)', async () => {
    const { code, stdout, stderr } = await runGcFixture('group-drops-done-children.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { done, collectedMidway } = JSON.parse(stdout) as {
      done: number;
      collectedMidway: number;
    };
    expect(done).toBe(5000);
    // All 200 are done and unreferenced by then; allow a few a conservative GC may keep.
    expect(collectedMidway).toBeGreaterThanOrEqual(190);
  }, 20_000);
});
