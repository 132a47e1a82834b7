/**
 * Defects found by review and by trying the package as a new user would: callbacks that
 * captured a task's cancellation, failures nobody heard of, memory and timers that lived
 * too long, cancels that were lost or recursed, and the loop under fake timers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  CancelledError,
  createTask,
  Future,
  getLoop,
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
import { describe, expect, test, vi } from 'vitest';
import { captureHandler, me, rejection, rejectionOf, runBriefly, runGcFixture } from './helpers.ts';

describe('callbacks registered by a task are not its steps', () => {
  test('a timeout() started in a timer callback neither adopts nor cancels the task, and fires', async () => {
    const events: string[] = [];
    // The owner waits on a latch the callback's outcome sets: had the callback's timeout
    // adopted the owner, its expiry would cancel the owner at this very await.
    const settled = getLoop().createFuture<void>();
    const owner = createTask(async () => {
      setTimeout(() => {
        timeout(10, () => sleep(1_000))
          .then(
            () => events.push('callback timeout returned'),
            (e) => events.push(`callback timeout: ${(e as Error).name}`),
          )
          .finally(() => settled.setResult());
      }, 1);
      await settled;
      return 'owner finished';
    });
    expect(await owner).toBe('owner finished');
    expect(owner.cancelling()).toBe(0);
    expect(events).toEqual(['callback timeout: TimeoutError']);
  });

  test('a taskGroup() started in a listener runs on its own, not as part of the task', async () => {
    const results: unknown[] = [];
    const settled = getLoop().createFuture<void>();
    const owner = createTask(async () => {
      const { EventEmitter } = await import('node:events');
      const em = new EventEmitter();
      em.on('go', () => {
        taskGroup(async (tg) => {
          tg.createTask(async () => {
            throw new Error('child fails');
          });
        }).catch((e) => {
          results.push((e as Error).name);
          settled.setResult();
        });
      });
      setTimeout(() => em.emit('go'), 1);
      // Had the listener's group adopted the owner, the child's failure would cancel the
      // owner here.
      await settled;
      return 'owner finished';
    });
    expect(await owner).toBe('owner finished');
    expect(results).toEqual(['TaskGroupError']);
  });
});

describe('reports, memory, timers', () => {
  test('a fire-and-forget task that fails outside run() is reported at exit, exit code 0', async () => {
    const { code, stdout, stderr } = await runGcFixture('fire-and-forget-exit.ts');
    expect(stdout).toContain('main done');
    expect(stderr).toContain('Task exception was never retrieved');
    expect(stderr).toContain('fire-and-forget failure');
    expect(code).toBe(0);
  });

  test('a finished task does not keep its ancestors alive (80,000 tasks in a chain)', async () => {
    const { code, stdout, stderr } = await runGcFixture('task-chain-memory.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { grownMb } = JSON.parse(stdout) as { grownMb: number };
    // Held strongly, the chain kept about 82 MB; the last task and its loop need almost none.
    expect(grownMb).toBeLessThan(10);
  });

  test('getParent() names a live parent, and nothing once the parent is gone', async () => {
    const parentOf = await run(async () => {
      const child = createTask(() => sleep(1));
      const parent = me();
      await child;
      return child.getParent() === parent;
    });
    expect(parentOf).toBe(true);
  });

  test('a cancelled timer does not keep the process alive until its old deadline', async () => {
    const { code, stdout } = await runGcFixture('cancelled-timer-exit.ts');
    expect(code).toBe(0);
    const ms = Number(/ran (\d+) ms/.exec(stdout)?.[1]);
    expect(ms).toBeLessThan(3_000);
  });

  test('cancel() of a handle that already ran does not skew the loop’s cancelled count', async () => {
    await run(async () => {
      const loop = getRunningLoop();
      // Waits on Node's timers, so the loop's own queue holds only the timers below.
      const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const fired = loop.callLater(0, () => {});
      await pause(5);
      fired.cancel(); // it ran already: not in the queue, nothing to count
      let ran = false;
      loop.callLater(5, () => {
        ran = true;
      });
      // One of the two queued timers is cancelled. A skewed count (2 of 2) would make the
      // loop drop the live one along with it.
      loop.callLater(1_000, () => {}).cancel();
      await pause(20);
      expect(ran).toBe(true);
    });
  });

  test('handles and futures print with their own names', () => {
    const loop = getLoop();
    const h = loop.callLater(1_000, function tick() {});
    expect(String(h)).toMatch(/^<TimerHandle when=[\d.]+ tick>$/);
    h.cancel();
    expect(String(h)).toMatch(/ tick cancelled>$/);
    expect(String(new Future())).toBe('<Future pending>');
  });
});

describe('cancels that were lost', () => {
  test('a task-group child still waiting for a slot is done at once when cancelled', async () => {
    await runVirtual(async () => {
      let ranBody = 0;
      const log: string[] = [];
      await taskGroup(
        async (tg) => {
          tg.createTask(() => sleep(1_000));
          const queued = tg.createTask(async () => {
            ranBody++;
          });
          const t0 = getRunningLoop().time();
          const err = await rejection(waitFor(queued, 50));
          log.push(`${(err as Error).name} at ${getRunningLoop().time() - t0}`);
          expect(queued.cancelled()).toBe(true);
          // The group goes on: a new child takes the freed-up queue position.
          tg.createTask(async () => log.push('later child ran'));
        },
        { limit: 1 },
      );
      expect(ranBody).toBe(0);
      expect(log).toEqual(['TimeoutError at 50', 'later child ran']);
    });
  });

  test('a queued child cancelled and un-cancelled before its start still runs in its slot', async () => {
    await runVirtual(async () => {
      let running = 0;
      let peak = 0;
      const body = async () => {
        peak = Math.max(peak, ++running);
        await sleep(10);
        running--;
      };
      await taskGroup(
        async (tg) => {
          tg.createTask(body);
          const q = tg.createTask(body);
          q.cancel();
          q.uncancel();
          tg.createTask(body);
        },
        { limit: 1 },
      );
      expect(peak).toBe(1);
    });
  });

  test('a cancel is not lost behind Promise.allSettled over tasks (bpo-32684)', async () => {
    await runVirtual(async () => {
      const t1 = createTask(() => sleep(1_000));
      const t2 = createTask(() => sleep(1_000));
      const outer = createTask(async () => {
        await Promise.allSettled([t1, t2]);
        return 'returned normally';
      });
      await runBriefly();
      outer.cancel();
      expect(await rejection(outer)).toBeInstanceOf(CancelledError);
      expect(outer.cancelled()).toBe(true);
      expect(t1.cancelled() && t2.cancelled()).toBe(true);
    });
  });

  test('after Promise.allSettled the cancel reaches the next await; uncancel() really swallows it', async () => {
    await runVirtual(async () => {
      const steps: string[] = [];
      const a = createTask(async () => {
        await Promise.allSettled([sleep(1_000), sleep(1_000)]);
        steps.push('a after allSettled');
        await sleep(1);
        steps.push('a not reached');
      });
      const b = createTask(async () => {
        try {
          await Promise.all([sleep(1_000), sleep(1_000)]);
        } catch {
          me().uncancel();
        }
        await sleep(1);
        return 'b swallowed it';
      });
      await runBriefly();
      a.cancel();
      b.cancel();
      expect(await rejection(a)).toBeInstanceOf(CancelledError);
      expect(steps).toEqual(['a after allSettled']);
      expect(await b).toBe('b swallowed it');
    });
  });

  test('cancelling tasks that await each other in a cycle ends them both, without recursion', async () => {
    await runVirtual(async () => {
      const box: { a?: Task<unknown>; b?: Task<unknown> } = {};
      box.a = createTask(async () => {
        await sleep(0);
        await box.b;
      });
      box.b = createTask(async () => {
        await sleep(0);
        await box.a;
      });
      await runBriefly(5);
      expect(box.a.cancel()).toBe(true);
      expect(await rejectionOf(box.a)).toBeInstanceOf(CancelledError);
      expect(await rejectionOf(box.b)).toBeInstanceOf(CancelledError);
      expect(box.a.cancelling()).toBe(1);
      expect(box.b.cancelling()).toBe(1);
    });
  });

  test('cancelling the root of a chain of 20,000 awaiting tasks cancels all of them', async () => {
    await runVirtual(async () => {
      const N = 20_000;
      const tasks: Task<unknown>[] = [createTask(() => sleep(1_000_000))];
      for (let i = 1; i < N; i++) {
        const inner = tasks[i - 1] as Task<unknown>;
        tasks.push(createTask(() => inner));
      }
      await runBriefly(3);
      const root = tasks[N - 1] as Task<unknown>;
      root.cancel();
      const outcomes = await Promise.allSettled(tasks);
      expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
      expect(tasks.every((t) => t.cancelled() && t.cancelling() === 1)).toBe(true);
      expect(getRunningLoop().isClosed()).toBe(false);
    });
  });
});

describe('never retrieved', () => {
  test('an error handled further down a then() chain is retrieved: no false report', async () => {
    const seen = await run(async () => {
      const reports = captureHandler();
      const failing = () =>
        createTask(async () => {
          await sleep(1);
          throw new Error('handled downstream');
        });
      const handled: string[] = [];
      await failing()
        .then((v) => v)
        .catch((e) => handled.push((e as Error).message));
      try {
        await failing().then((v) => v);
      } catch (e) {
        handled.push((e as Error).message);
      }
      expect(handled).toEqual(['handled downstream', 'handled downstream']);
      return reports;
    });
    expect(seen).toEqual([]);
  });
});

describe('fake timers', () => {
  test('vi.useFakeTimers() does not wedge the loop: sleeps run on real time, before and after', async () => {
    vi.useFakeTimers();
    try {
      const pending = sleep(30, 'slept through the fake timers');
      let n = 0;
      for (let i = 0; i < 12_000; i++) n += (await sleep(0, 1)) as number;
      expect(n).toBe(12_000);
      expect(await pending).toBe('slept through the fake timers');
      const late = sleep(100, 'after useRealTimers');
      vi.useRealTimers();
      expect(await late).toBe('after useRealTimers');
    } finally {
      vi.useRealTimers();
    }
  });

  test('timeout() and callLater work while fake timers are installed', async () => {
    vi.useFakeTimers();
    try {
      const err = await rejection(timeout(20, () => sleep(10_000)));
      expect(err).toBeInstanceOf(TimeoutError);
      const fired = await new Promise((resolve) => getLoop().callLater(5, resolve, 'fired'));
      expect(fired).toBe('fired');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('one copy per process', () => {
  test('a second copy of @aiots/loop fails at load with an error naming both copies', async () => {
    const { code, stdout } = await runGcFixture('two-copies.ts');
    expect(code).toBe(0);
    const err = JSON.parse(stdout) as { name: string; code: string; message: string };
    expect(err.name).toBe('DuplicatePackageError');
    expect(err.code).toBe('AIOTS_DUPLICATE_PACKAGE');
    expect(err.message).toMatch(/src\/context\.ts and .* at .*dist\/chunk-\w+\.js/);
  });
});

describe('unsupported Node.js', () => {
  // The machine's system Node (20 here) loads the build and must hear why it should not.
  const systemNode = '/usr/bin/node';
  const major = (() => {
    try {
      return Number(
        execFileSync(systemNode, ['-p', 'process.versions.node.split(".")[0]'], {
          encoding: 'utf8',
        }).trim(),
      );
    } catch {
      return Number.NaN;
    }
  })();
  test.runIf(major < 24)('a Node older than 24 gets a warning naming the need', () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const out = spawnSync(systemNode, ['-e', `import(${JSON.stringify(dist)})`], {
      encoding: 'utf8',
    });
    expect(out.status).toBe(0);
    expect(out.stderr).toContain('AIOTS_UNSUPPORTED_NODE');
    expect(out.stderr).toContain('needs Node.js 24 or later');
  });
});
