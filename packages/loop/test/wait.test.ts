/**
 * wait() and asCompleted(): the CPython cases of asyncio-semantics.md section 4.E, 73-79 and
 * 94-98 (test_tasks.py `test_wait*`, `test_as_completed*`, probes p6/p7).
 */
import {
  asCompleted,
  CancelledError,
  createTask,
  Future,
  getRunningLoop,
  sleep,
  type Task,
  TimeoutError,
  wait,
} from '@aiots/loop';
import { virtualTest } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';

function sleeper<T>(ms: number, value?: T): Task<T> {
  return createTask(() => sleep(ms, value as T));
}

/** `for await` over `asCompleted`, handing each yielded object on as the Future it is. */
async function forAwait<T>(
  iterable: AsyncIterable<unknown>,
  each: (t: Future<T>) => void,
): Promise<void> {
  for await (const t of iterable) each(t as Future<T>);
}

describe('wait', () => {
  test(
    'test_wait: ALL_COMPLETED returns every task in done, at the time of the last one',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleeper(100);
      const b = sleeper(150);
      const { done, pending } = await wait([b, a]);
      expect(done).toEqual(new Set([a, b]));
      expect(pending.size).toBe(0);
      expect(loop.time()).toBe(150);
      // Doing it again returns at once.
      const again = await wait([b, a]);
      expect(again.done).toEqual(new Set([a, b]));
      expect(loop.time()).toBe(150);
    }),
  );

  test(
    'test_wait_first_completed: returns with the first task done and leaves the other pending',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleeper(10_000);
      const b = sleeper(100);
      const { done, pending } = await wait([b, a], { returnWhen: 'FIRST_COMPLETED' });
      expect(done).toEqual(new Set([b]));
      expect(pending).toEqual(new Set([a]));
      expect(b.done()).toBe(true);
      expect(a.done()).toBe(false);
      expect(loop.time()).toBe(100);
      a.cancel();
    }),
  );

  test(
    'test_wait_really_done (contract: done is computed at wake-up, so it holds every future done by then)',
    virtualTest(async () => {
      // asyncio's version relies on loop iteration counts (sleep(0) once vs twice), which
      // aiots does not promise. The contract is that `done` is read when wait wakes up.
      const loop = getRunningLoop();
      const a = loop.createFuture<string>();
      const b = loop.createFuture<string>();
      const w = createTask(() => wait([b, a], { returnWhen: 'FIRST_COMPLETED' }));
      await sleep(0);
      a.setResult('a');
      b.setResult('b');
      const { done, pending } = await w;
      expect(done).toEqual(new Set([a, b]));
      expect(pending.size).toBe(0);
    }),
  );

  test(
    'test_wait_first_exception: a task that already failed is returned at once',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleeper(10_000);
      const b = createTask(async () => {
        throw new RangeError('err');
      });
      await sleep(0);
      expect(b.done()).toBe(true);
      const { done, pending } = await wait([b, a], { returnWhen: 'FIRST_EXCEPTION' });
      expect(done).toEqual(new Set([b]));
      expect(pending).toEqual(new Set([a]));
      expect(loop.time()).toBe(0);
      expect(b.exception()).toBeInstanceOf(RangeError);
      a.cancel();
    }),
  );

  test(
    'test_wait_first_exception_in_wait: returns when a task fails during the wait',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleeper(10_000);
      const b = createTask(async () => {
        await sleep(10);
        throw new RangeError('err');
      });
      const { done, pending } = await wait([b, a], { returnWhen: 'FIRST_EXCEPTION' });
      expect(done).toEqual(new Set([b]));
      expect(pending).toEqual(new Set([a]));
      expect(loop.time()).toBe(10);
      a.cancel();
    }),
  );

  test(
    'wait_first_exception_ignores_cancel (probe p7): a cancelled task is not an exception; wait goes on until all are done',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleeper(10_000);
      const b = sleeper(30, 'b');
      await sleep(0);
      a.cancel();
      const { done, pending } = await wait([a, b], { returnWhen: 'FIRST_EXCEPTION' });
      expect(a.cancelled()).toBe(true);
      expect(done).toEqual(new Set([a, b]));
      expect(pending.size).toBe(0);
      expect(loop.time()).toBe(30);
    }),
  );

  test(
    'FIRST_EXCEPTION without any failure behaves like ALL_COMPLETED',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleeper(20);
      const b = sleeper(40);
      const { done, pending } = await wait([a, b], { returnWhen: 'FIRST_EXCEPTION' });
      expect(done).toEqual(new Set([a, b]));
      expect(pending.size).toBe(0);
      expect(loop.time()).toBe(40);
    }),
  );

  test(
    'test_wait_with_timeout (probe p6 #11): the timeout returns the split, throws nothing and cancels nothing',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleeper(100, 'a');
      const b = sleeper(150, 'b');
      const { done, pending } = await wait([a, b], { timeoutMs: 110 });
      expect(done).toEqual(new Set([a]));
      expect(pending).toEqual(new Set([b]));
      expect(loop.time()).toBe(110);
      expect(b.done()).toBe(false);
      expect(await b).toBe('b');
      expect(loop.time()).toBe(150);
      expect(loop._timerCount()).toBe(0);
    }),
  );

  test(
    'wait leaves no timer behind when the tasks finish before the timeout',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleeper(10);
      const { done } = await wait([a], { timeoutMs: 10_000 });
      expect(done).toEqual(new Set([a]));
      expect(loop.time()).toBe(10);
      expect(loop._timerCount()).toBe(0);
    }),
  );

  test(
    'cancelling the task in wait() cancels none of the awaited tasks',
    virtualTest(async () => {
      const a = sleeper(100, 'a');
      const w = createTask(() => wait([a]));
      await sleep(10);
      w.cancel();
      await expect(w).rejects.toBeInstanceOf(CancelledError);
      expect(a.cancelled()).toBe(false);
      expect(await a).toBe('a');
    }),
  );

  test(
    'test_wait_errors / test_wait_invalid_args: empty set, bad returnWhen, a single future, a promise inside',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const fut = loop.createFuture<number>();
      await expect(wait(new Set<Future<unknown>>())).rejects.toThrow(RangeError);
      await expect(wait([fut], { returnWhen: -1 as never })).rejects.toThrow(RangeError);
      await expect(wait(fut as never)).rejects.toThrow(TypeError);
      const coro = (async () => 1)();
      await expect(wait(coro as never)).rejects.toThrow(TypeError);
      await expect(wait([fut, coro] as never)).rejects.toThrow(/createTask/);
      fut.cancel();
    }),
  );
});

describe('asCompleted', () => {
  const order = [
    ['slow', 30],
    ['fast', 10],
    ['mid', 20],
  ] as const;

  test(
    "test_as_completed (probe p7): `for await` yields in completion order ['fast','mid','slow']",
    virtualTest(async () => {
      const loop = getRunningLoop();
      const tasks = order.map(([v, ms]) => sleeper(ms, v));
      const seen: [string, number][] = [];
      await forAwait<string>(asCompleted(tasks), (t) => seen.push([t.result(), loop.time()]));
      expect(seen).toEqual([
        ['fast', 10],
        ['mid', 20],
        ['slow', 30],
      ]);
    }),
  );

  test(
    "test_as_completed: the plain iterator's promises give ['fast','mid','slow']",
    virtualTest(async () => {
      const tasks = order.map(([v, ms]) => sleeper(ms, v));
      const seen: string[] = [];
      for (const p of asCompleted(tasks)) seen.push(await p);
      expect(seen).toEqual(['fast', 'mid', 'slow']);
    }),
  );

  test(
    'test_as_completed_with_timeout: the plain iterator gives [(1, a), (2, TimeoutError)] at time 120',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleeper(100, 'a');
      const b = sleeper(150, 'b');
      const values: [number, unknown][] = [];
      for (const f of asCompleted([a, b], { timeoutMs: 120 })) {
        try {
          values.push([1, await f]);
        } catch (e) {
          values.push([2, e]);
        }
      }
      expect(values.length).toBe(2);
      expect(values[0]).toEqual([1, 'a']);
      expect(values[1]?.[0]).toBe(2);
      expect(values[1]?.[1]).toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(120);
      expect(b.done()).toBe(false);
      b.cancel();
    }),
  );

  test(
    'test_as_completed_with_timeout: the async iterator yields a, then throws TimeoutError at time 120',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleeper(100, 'a');
      const b = sleeper(150, 'b');
      const seen: Future<string>[] = [];
      let err: unknown;
      try {
        await forAwait<string>(asCompleted([a, b], { timeoutMs: 120 }), (t) => seen.push(t));
      } catch (e) {
        err = e;
      }
      expect(seen).toEqual([a]);
      expect(err).toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(120);
      expect(b.cancelled()).toBe(false);
      b.cancel();
    }),
  );

  test(
    'asCompleted leaves no timer behind when everything finishes before the timeout',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const tasks = [sleeper(10, 1), sleeper(20, 2)];
      const got: number[] = [];
      for await (const t of asCompleted(tasks, { timeoutMs: 1000 })) got.push(t.result());
      expect(got).toEqual([1, 2]);
      expect(loop._timerCount()).toBe(0);
    }),
  );

  test(
    'test_as_completed_reverse_wait: the k-th promise awaited gets the k-th completion, whatever its index',
    virtualTest(async () => {
      const loop = getRunningLoop();
      const a = sleep(50, 'a');
      const b = sleep(100, 'b');
      const futs = [...asCompleted(new Set([a, b]))];
      expect(futs.length).toBe(2);
      const x = await futs[1];
      expect(x).toBe('a');
      expect(loop.time()).toBe(50);
      const y = await futs[0];
      expect(y).toBe('b');
      expect(loop.time()).toBe(100);
    }),
  );

  test(
    'test_as_completed_same_tasks_in_as_out: `for await` yields the Tasks passed in; promises come back as Futures',
    virtualTest(async () => {
      const tasks = [sleeper(20, 'x'), sleeper(10, 'y')];
      const promise = (async () => {
        await sleep(5);
        return 'p';
      })();
      const yielded: Future<string>[] = [];
      await forAwait<string>(asCompleted([...tasks, promise]), (t) => yielded.push(t));
      expect(yielded.length).toBe(3);
      expect(yielded[1]).toBe(tasks[1]);
      expect(yielded[2]).toBe(tasks[0]);
      const wrapped = yielded[0] as Future<string>;
      expect(wrapped).toBeInstanceOf(Future);
      expect(wrapped).not.toBe(promise);
      expect(wrapped.result()).toBe('p');
    }),
  );

  test(
    'test_as_completed_duplicate_coroutines: duplicates are reduced to one',
    virtualTest(async () => {
      const c = sleeper(10, 'ham');
      const result: string[] = [];
      for (const f of asCompleted([c, c, sleeper(5, 'spam')])) result.push(await f);
      expect(new Set(result)).toEqual(new Set(['ham', 'spam']));
      expect(result.length).toBe(2);
      const again: Future<string>[] = [];
      await forAwait<string>(asCompleted([c, c]), (t) => again.push(t));
      expect(again).toEqual([c]);
    }),
  );

  test(
    'asCompleted passes a failure to the consumer: the plain promise rejects, the yielded task holds the error',
    virtualTest(async () => {
      const bad = createTask(async () => {
        await sleep(5);
        throw new RangeError('bad');
      });
      const good = sleeper(10, 'good');
      const plain: unknown[] = [];
      for (const p of asCompleted([good, bad])) {
        plain.push(
          await p.then(
            (v) => v,
            (e: unknown) => e,
          ),
        );
      }
      expect(plain[0]).toBeInstanceOf(RangeError);
      expect(plain[1]).toBe('good');
    }),
  );
});
