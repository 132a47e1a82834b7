/**
 * Queue, LifoQueue, PriorityQueue: the CPython cases of asyncio-semantics.md section 4.I
 * (134-137), from test_queues.py, plus fairness, the async iterator, stats(), signals, the
 * comparator and bad input.
 */
import {
  CancelledError,
  createTask,
  getRunningLoop,
  InvalidStateError,
  run,
  sleep,
  TimeoutError,
  taskGroup,
  VirtualClock,
  waitFor,
} from '@aiots/loop';
import { virtualTest } from '@aiots/loop/testing';
import {
  Event,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
} from '@aiots/sync';
import { describe, expect, test } from 'vitest';
import { settle, tick } from './helpers.ts';

describe('Queue: CPython QueueBasicTests', () => {
  test('test_repr / test_str: toString shows the state', () => {
    const q = new Queue<number>();
    expect(String(q)).toBe('<Queue maxsize=0>');
    q.putNowait(1);
    expect(String(q)).toBe('<Queue maxsize=0 size=1 tasks=1>');
    q.shutdown();
    expect(String(q)).toBe('<Queue maxsize=0 size=1 tasks=1 shutdown>');
  });

  test(
    'test_empty',
    virtualTest(async () => {
      const q = new Queue<number>();
      expect(q.empty()).toBe(true);
      await q.put(1);
      expect(q.empty()).toBe(false);
      expect(await q.get()).toBe(1);
      expect(q.empty()).toBe(true);
    }),
  );

  test(
    'test_full',
    virtualTest(async () => {
      expect(new Queue().full()).toBe(false);
      const q = new Queue<number>(1);
      await q.put(1);
      expect(q.full()).toBe(true);
    }),
  );

  test(
    'test_order (queue_order_and_bounds): FIFO [1, 3, 2], LIFO [2, 3, 1], priority [1, 2, 3]',
    virtualTest(async () => {
      const drain = async (q: Queue<number>) => {
        for (const i of [1, 3, 2]) await q.put(i);
        const out: number[] = [];
        for (let i = 0; i < 3; i++) out.push(await q.get());
        return out;
      };
      expect(await drain(new Queue())).toEqual([1, 3, 2]);
      expect(await drain(new LifoQueue())).toEqual([2, 3, 1]);
      expect(await drain(new PriorityQueue())).toEqual([1, 2, 3]);
    }),
  );

  test(
    'test_maxsize: the putter blocks after maxsize items and resumes after one get',
    virtualTest(async () => {
      const q = new Queue<number>(2);
      expect(q.maxsize).toBe(2);
      const haveBeenPut: number[] = [];
      const t = createTask(async () => {
        for (let i = 0; i < 3; i++) {
          await q.put(i);
          haveBeenPut.push(i);
        }
        return true;
      });
      await tick();
      expect(haveBeenPut).toEqual([0, 1]);
      expect(await q.get()).toBe(0);
      await tick();
      expect(haveBeenPut).toEqual([0, 1, 2]);
      expect(await q.get()).toBe(1);
      expect(await q.get()).toBe(2);
      expect(t.done()).toBe(true);
      expect(t.result()).toBe(true);
    }),
  );

  test('a Queue is not a thenable', async () => {
    const q = new Queue();
    expect('then' in q).toBe(false);
    expect(await q).toBe(q);
  });
});

describe('Queue: CPython QueueGetTests', () => {
  test(
    'test_blocking_get',
    virtualTest(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      expect(await q.get()).toBe(1);
    }),
  );

  test(
    'test_get_with_putters: a get frees a slot for the waiting putter',
    virtualTest(async () => {
      const q = new Queue<number>(1);
      await q.put(1);
      const putter = createTask(() => q.put(2));
      await tick();
      expect(q.stats().putters).toBe(1);
      expect(await q.get()).toBe(1);
      await putter;
      expect(q.getNowait()).toBe(2);
    }),
  );

  test(
    'test_blocking_get_wait',
    virtualTest(async () => {
      const q = new Queue<number>();
      const started = new Event();
      let finished = false;
      const t = createTask(async () => {
        started.set();
        const res = await q.get();
        finished = true;
        return res;
      });
      await started.wait();
      expect(finished).toBe(false);
      getRunningLoop().callLater(10, () => q.putNowait(1));
      expect(await t).toBe(1);
      expect(finished).toBe(true);
    }),
  );

  test('test_nonblocking_get / test_nonblocking_get_exception', () => {
    const q = new Queue<number>();
    q.putNowait(1);
    expect(q.getNowait()).toBe(1);
    expect(() => q.getNowait()).toThrow(QueueEmpty);
    expect(() => q.getNowait()).toThrow(
      'getNowait() expected an item in the queue, but the queue is empty',
    );
  });

  test(
    'test_get_cancelled_race: a cancelled getter does not take the item',
    virtualTest(async () => {
      const q = new Queue<string>();
      const t1 = createTask(() => q.get());
      const t2 = createTask(() => q.get());
      await tick();
      t1.cancel();
      await tick();
      expect(t1.done()).toBe(true);
      await q.put('a');
      await tick();
      expect(await t2).toBe('a');
    }),
  );

  test(
    'test_get_with_waiting_putters',
    virtualTest(async () => {
      const q = new Queue<string>(1);
      createTask(() => q.put('a'));
      createTask(() => q.put('b'));
      expect(await q.get()).toBe('a');
      expect(await q.get()).toBe('b');
    }),
  );

  test(
    'test_why_are_getters_waiting',
    virtualTest(async () => {
      const q = new Queue<number>(1);
      await taskGroup(async (tg) => {
        tg.createTask(async () => {
          for (let i = 0; i < 5; i++) await q.put(i);
        });
        tg.createTask(async () => {
          for (let i = 0; i < 5; i++) await q.get();
        });
      });
      expect(q.stats()).toEqual({
        size: 0,
        maxsize: 1,
        getters: 0,
        putters: 0,
        unfinished: 5,
        shutdown: false,
      });
    }),
  );

  test(
    'test_cancelled_getters_not_being_held_in_self_getters',
    virtualTest(async () => {
      const q = new Queue<number>(5);
      await expect(waitFor(q.get(), 100)).rejects.toBeInstanceOf(TimeoutError);
      expect(q.stats().getters).toBe(0);
    }),
  );
});

describe('Queue: CPython QueuePutTests', () => {
  test(
    'test_blocking_put',
    virtualTest(async () => {
      const q = new Queue<number>();
      await q.put(1);
      expect(await q.get()).toBe(1);
    }),
  );

  test(
    'test_blocking_put_wait',
    virtualTest(async () => {
      const q = new Queue<number>(1);
      const started = new Event();
      let finished = false;
      getRunningLoop().callLater(10, () => q.getNowait());
      const t = createTask(async () => {
        started.set();
        await q.put(1);
        await q.put(2);
        finished = true;
      });
      await started.wait();
      expect(finished).toBe(false);
      await t;
      expect(finished).toBe(true);
    }),
  );

  test('test_nonblocking_put / test_nonblocking_put_exception', () => {
    const q = new Queue<number>(1);
    q.putNowait(1);
    expect(() => q.putNowait(2)).toThrow(QueueFull);
    expect(() => q.putNowait(2)).toThrow(
      'putNowait() expected a free slot, but the queue is full (maxsize 1)',
    );
    expect(q.getNowait()).toBe(1);
  });

  test(
    'test_get_cancel_drop_one_pending_reader: a woken-then-cancelled reader loses no item',
    virtualTest(async () => {
      const q = new Queue<number>();
      let reader = createTask(() => q.get());
      await tick();
      q.putNowait(1);
      q.putNowait(2);
      reader.cancel();
      try {
        await reader;
      } catch (e) {
        expect(CancelledError.is(e)).toBe(true);
        reader = createTask(() => q.get());
        await reader;
      }
      // 2 would mean 1 was dropped.
      expect(reader.result()).toBe(1);
      expect(q.getNowait()).toBe(2);
    }),
  );

  test(
    'test_get_cancel_drop_many_pending_readers',
    virtualTest(async () => {
      const q = new Queue<number>();
      const [reader2, reader3] = await taskGroup(async (tg) => {
        const reader1 = tg.createTask(() => q.get());
        const r2 = tg.createTask(() => q.get());
        const r3 = tg.createTask(() => q.get());
        await tick();
        q.putNowait(1);
        q.putNowait(2);
        reader1.cancel();
        await expect(reader1).rejects.toSatisfy(CancelledError.is);
        await r3;
        return [r2, r3] as const;
      });
      expect(new Set([reader2.result(), reader3.result()])).toEqual(new Set([1, 2]));
    }),
  );

  test(
    'test_put_cancel_drop: a woken-then-cancelled writer puts nothing; a retry puts once',
    virtualTest(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      let writer = createTask(() => q.put(2));
      await tick();
      expect(q.getNowait()).toBe(1);
      writer.cancel();
      try {
        await writer;
      } catch (e) {
        expect(CancelledError.is(e)).toBe(true);
        writer = createTask(() => q.put(2));
        await writer;
      }
      expect(q.getNowait()).toBe(2);
      expect(q.qsize()).toBe(0);
    }),
  );

  test(
    'test_float_maxsize: maxsize 1.3 holds two items',
    virtualTest(async () => {
      let q = new Queue<number>(1.3);
      q.putNowait(1);
      q.putNowait(2);
      expect(q.full()).toBe(true);
      expect(() => q.putNowait(3)).toThrow(QueueFull);
      q = new Queue<number>(1.3);
      await q.put(1);
      await q.put(2);
      expect(q.full()).toBe(true);
    }),
  );

  test(
    'test_put_cancelled',
    virtualTest(async () => {
      const q = new Queue<number>();
      const t = createTask(async () => {
        await q.put(1);
        return true;
      });
      expect(await q.get()).toBe(1);
      expect(t.done()).toBe(true);
      expect(t.result()).toBe(true);
    }),
  );

  test(
    'test_put_cancelled_race: a cancelled putter is skipped, the next one puts',
    virtualTest(async () => {
      const q = new Queue<string>(1);
      const putA = createTask(() => q.put('a'));
      const putB = createTask(() => q.put('b'));
      const putC = createTask(() => q.put('X'));
      await tick();
      expect(putA.done()).toBe(true);
      expect(putB.done()).toBe(false);
      putC.cancel();
      await tick();
      expect(putC.done()).toBe(true);
      expect(q.getNowait()).toBe('a');
      await tick();
      expect(q.getNowait()).toBe('b');
      await putB;
      expect(q.empty()).toBe(true);
    }),
  );

  test(
    'test_put_with_waiting_getters',
    virtualTest(async () => {
      const q = new Queue<string>();
      const t = createTask(() => q.get());
      await tick();
      await q.put('a');
      expect(await t).toBe('a');
    }),
  );

  test(
    'test_why_are_putters_waiting',
    virtualTest(async () => {
      const q = new Queue<number>(2);
      await taskGroup(async (tg) => {
        tg.createTask(async () => {
          await sleep(0);
          const num = q.qsize();
          for (let i = 0; i < num; i++) q.getNowait();
        });
        for (let i = 0; i < 4; i++) tg.createTask(() => q.put(i));
      });
      expect(q.qsize()).toBe(2);
    }),
  );

  test(
    'test_cancelled_puts_not_being_held_in_self_putters',
    virtualTest(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const putTask = createTask(() => q.put(1));
      await tick();
      expect(q.stats().putters).toBe(1);
      putTask.cancel();
      await expect(putTask).rejects.toSatisfy(CancelledError.is);
      expect(q.stats().putters).toBe(0);
    }),
  );

  test(
    'test_cancelled_put_silence_value_error_exception: cancel after the slot was freed',
    virtualTest(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const putTask = createTask(() => q.put(1));
      await tick();
      q.getNowait(); // reserves the slot for putTask
      putTask.cancel();
      await expect(putTask).rejects.toSatisfy(CancelledError.is);
      // The reserved slot was given back: the queue is empty and not full.
      expect(q.qsize()).toBe(0);
      expect(q.full()).toBe(false);
      q.putNowait(5);
    }),
  );
});

const kinds = [
  ['Queue', () => new Queue<number | string>()],
  ['LifoQueue', () => new LifoQueue<number | string>()],
  ['PriorityQueue', () => new PriorityQueue<number | string>()],
] as const;

const bounded = {
  Queue: (n: number) => new Queue<string>(n),
  LifoQueue: (n: number) => new LifoQueue<string>(n),
  PriorityQueue: (n: number) => new PriorityQueue<string>(n),
} as const;

describe.each(kinds)('%s: CPython join and shutdown tests', (name, make) => {
  test('test_task_done_underflow: taskDone() on a fresh queue throws', () => {
    const q = make();
    expect(() => q.taskDone()).toThrow(InvalidStateError);
    expect(() => q.taskDone()).toThrow('taskDone() called too many times');
  });

  test(
    'test_task_done: join() returns once every item is processed',
    virtualTest(async () => {
      const q = make() as Queue<number>;
      for (let i = 0; i < 100; i++) q.putNowait(i);
      let accumulator = 0;
      let running = true;
      await taskGroup(async (tg) => {
        const tasks = [0, 1].map(() =>
          tg.createTask(async () => {
            while (running) {
              const item = await q.get();
              accumulator += item;
              q.taskDone();
            }
          }),
        );
        await q.join();
        expect(accumulator).toBe((99 * 100) / 2);
        running = false;
        for (let i = 0; i < tasks.length; i++) q.putNowait(0);
      });
    }),
  );

  test(
    'test_join_empty_queue: join() on an empty queue returns at once, twice',
    virtualTest(async () => {
      const q = make();
      await q.join();
      await q.join();
    }),
  );

  test('test_format', () => {
    const q = make();
    q.shutdown();
    expect(String(q)).toBe(`<${name} maxsize=0 shutdown>`);
  });

  test(
    'test_shutdown_empty: the blocked getter gets QueueShutDown; everything else throws',
    virtualTest(async () => {
      const q = make();
      const getTask = createTask(() => q.get());
      await tick();
      q.shutdown(false);
      expect(q.qsize()).toBe(0);
      await q.join();
      await tick();
      expect(getTask.done()).toBe(true);
      await expect(getTask).rejects.toBeInstanceOf(QueueShutDown);
      await expect(q.put('data')).rejects.toBeInstanceOf(QueueShutDown);
      expect(() => q.putNowait('data')).toThrow(QueueShutDown);
      await expect(q.get()).rejects.toBeInstanceOf(QueueShutDown);
      expect(() => q.getNowait()).toThrow(QueueShutDown);
    }),
  );

  test(
    'test_shutdown_nonempty: the blocked putter gets QueueShutDown, gets drain the rest',
    virtualTest(async () => {
      const q = bounded[name](1);
      q.putNowait('data');
      const joinTask = createTask(() => q.join());
      const putTask = createTask(() => q.put('data2'));
      await tick();
      expect(putTask.done()).toBe(false);
      q.shutdown(false);
      expect(q.qsize()).toBe(1);
      await tick();
      expect(putTask.done()).toBe(true);
      await expect(putTask).rejects.toBeInstanceOf(QueueShutDown);
      expect(await q.get()).toBe('data');
      await tick();
      expect(joinTask.done()).toBe(false);
      await expect(q.put('data')).rejects.toBeInstanceOf(QueueShutDown);
      expect(() => q.putNowait('data')).toThrow(QueueShutDown);
      await expect(q.get()).rejects.toBeInstanceOf(QueueShutDown);
      expect(() => q.getNowait()).toThrow(QueueShutDown);
      q.taskDone();
      await tick();
      expect(joinTask.done()).toBe(true);
      await joinTask;
      expect(() => q.taskDone()).toThrow(InvalidStateError);
    }),
  );

  test(
    'test_shutdown_immediate: the item is dropped and join() finishes',
    virtualTest(async () => {
      const q = make();
      q.putNowait('data');
      const joinTask = createTask(() => q.join());
      q.shutdown(true);
      expect(q.qsize()).toBe(0);
      await tick();
      expect(joinTask.done()).toBe(true);
      await joinTask;
      await expect(q.put('data')).rejects.toBeInstanceOf(QueueShutDown);
      expect(() => q.putNowait('data')).toThrow(QueueShutDown);
      await expect(q.get()).rejects.toBeInstanceOf(QueueShutDown);
      expect(() => q.getNowait()).toThrow(QueueShutDown);
      expect(() => q.taskDone()).toThrow(InvalidStateError);
    }),
  );

  test(
    'test_shutdown_immediate_with_unfinished: join() waits for the item already got',
    virtualTest(async () => {
      const q = make();
      q.putNowait('data');
      q.putNowait('data');
      const joinTask = createTask(() => q.join());
      expect(await q.get()).toBe('data');
      q.shutdown(true);
      expect(q.qsize()).toBe(0);
      await tick();
      expect(joinTask.done()).toBe(false);
      await expect(q.put('data')).rejects.toBeInstanceOf(QueueShutDown);
      expect(() => q.putNowait('data')).toThrow(QueueShutDown);
      await expect(q.get()).rejects.toBeInstanceOf(QueueShutDown);
      expect(() => q.getNowait()).toThrow(QueueShutDown);
      q.taskDone();
      expect(() => q.taskDone()).toThrow(InvalidStateError);
      await tick();
      expect(joinTask.done()).toBe(true);
      await joinTask;
    }),
  );
});

describe('Queue: fairness and hand-over', () => {
  test(
    'no barging: an item put while a getter waits goes to that getter, not to a later get()',
    virtualTest(async () => {
      const q = new Queue<string>();
      const waiting = createTask(() => q.get());
      await tick();
      q.putNowait('first');
      // The item is already promised to the waiting getter.
      expect(q.empty()).toBe(true);
      expect(() => q.getNowait()).toThrow(QueueEmpty);
      const late = createTask(() => q.get());
      await tick();
      q.putNowait('second');
      expect(await waiting).toBe('first');
      expect(await late).toBe('second');
    }),
  );

  test(
    'getters are served in arrival order',
    virtualTest(async () => {
      const q = new Queue<number>();
      const got: string[] = [];
      const getters = ['a', 'b', 'c'].map((name) =>
        createTask(async () => {
          got.push(`${name}${await q.get()}`);
        }),
      );
      await tick();
      for (const n of [1, 2, 3]) q.putNowait(n);
      await Promise.all(getters);
      expect(got).toEqual(['a1', 'b2', 'c3']);
    }),
  );

  test(
    'putters are served in arrival order and a slot freed for a putter is not taken by putNowait',
    virtualTest(async () => {
      const q = new Queue<string>(1);
      q.putNowait('x');
      const p1 = createTask(() => q.put('p1'));
      const p2 = createTask(() => q.put('p2'));
      await tick();
      expect(q.getNowait()).toBe('x');
      // The slot is reserved for p1.
      expect(q.full()).toBe(true);
      expect(() => q.putNowait('intruder')).toThrow(QueueFull);
      await p1;
      expect(q.getNowait()).toBe('p1');
      await p2;
      expect(q.getNowait()).toBe('p2');
    }),
  );

  test(
    'an item handed to a cancelled getter goes back to the front (FIFO) or the bottom (LIFO)',
    virtualTest(async () => {
      for (const [q, expected] of [
        [new Queue<number>(), [1, 2, 3]],
        [new LifoQueue<number>(), [3, 2, 1]],
        [new PriorityQueue<number>(), [1, 2, 3]],
      ] as const) {
        const reader = createTask(() => q.get());
        await tick();
        q.putNowait(1); // handed to the reader
        q.putNowait(2);
        q.putNowait(3);
        reader.cancel();
        await expect(reader).rejects.toSatisfy(CancelledError.is);
        expect([q.getNowait(), q.getNowait(), q.getNowait()]).toEqual(expected);
        expect(q.stats().unfinished).toBe(3);
      }
    }),
  );

  test(
    'shutdown(true) while an item is on its way to a getter: the getter gets QueueShutDown',
    virtualTest(async () => {
      const q = new Queue<number>();
      const reader = createTask(() => q.get());
      const joiner = createTask(() => q.join());
      await tick();
      q.putNowait(1);
      q.shutdown(true);
      await expect(reader).rejects.toBeInstanceOf(QueueShutDown);
      await joiner;
      expect(q.stats().unfinished).toBe(0);
    }),
  );

  test(
    'a getter woken by shutdown(false) with items still coming back drains them',
    virtualTest(async () => {
      const q = new Queue<number>();
      const r1 = createTask(() => q.get());
      await tick();
      q.putNowait(7); // handed to r1
      q.shutdown();
      r1.cancel(); // r1 gives 7 back
      await expect(r1).rejects.toSatisfy(CancelledError.is);
      expect(await q.get()).toBe(7);
      await expect(q.get()).rejects.toBeInstanceOf(QueueShutDown);
    }),
  );
});

describe('Queue: async iterator', () => {
  test(
    'yields items until shutdown, then ends cleanly',
    virtualTest(async () => {
      const q = new Queue<number>();
      const consumer = createTask(async () => {
        const got: number[] = [];
        for await (const n of q) {
          got.push(n);
          q.taskDone();
        }
        return got;
      });
      for (let i = 0; i < 5; i++) {
        await q.put(i);
        await sleep(1);
      }
      await q.join();
      q.shutdown();
      expect(await consumer).toEqual([0, 1, 2, 3, 4]);
    }),
  );

  test(
    'drains what is left after shutdown(false); breaking out early is fine',
    virtualTest(async () => {
      const q = new Queue<number>();
      for (const n of [1, 2, 3]) q.putNowait(n);
      q.shutdown();
      const got: number[] = [];
      for await (const n of q) got.push(n);
      expect(got).toEqual([1, 2, 3]);

      const q2 = new Queue<number>();
      for (const n of [1, 2, 3]) q2.putNowait(n);
      for await (const n of q2) if (n === 2) break;
      expect(q2.getNowait()).toBe(3);
    }),
  );

  test(
    'a cancel ends the loop with CancelledError',
    virtualTest(async () => {
      const q = new Queue<number>();
      const consumer = createTask(async () => {
        for await (const _ of q) {
          // never
        }
      });
      await tick();
      consumer.cancel();
      await expect(consumer).rejects.toSatisfy(CancelledError.is);
      expect(q.stats().getters).toBe(0);
    }),
  );
});

describe('PriorityQueue: ordering', () => {
  test('arrays compare element by element, like Python tuples', () => {
    const q = new PriorityQueue<[number, string] | [number]>();
    for (const item of [[2, 'b'], [1, 'z'], [2, 'a'], [1]] as const) {
      q.putNowait(item as [number, string]);
    }
    expect([q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()]).toEqual([
      [1],
      [1, 'z'],
      [2, 'a'],
      [2, 'b'],
    ]);
  });

  test('strings, bigints and mixed number/bigint compare naturally', () => {
    const q = new PriorityQueue<string>();
    for (const s of ['pear', 'apple', 'fig']) q.putNowait(s);
    expect([q.getNowait(), q.getNowait(), q.getNowait()]).toEqual(['apple', 'fig', 'pear']);
    const n = new PriorityQueue<number | bigint>();
    for (const x of [3n, 1, 2n]) n.putNowait(x);
    expect([n.getNowait(), n.getNowait(), n.getNowait()]).toEqual([1, 2n, 3n]);
  });

  test('equal priorities come out in insertion order (stable)', () => {
    const q = new PriorityQueue<{ p: number; name: string }>(0, (a, b) => a.p - b.p);
    const names = 'abcdefghij'.split('');
    for (const name of names) q.putNowait({ p: 1, name });
    q.putNowait({ p: 0, name: 'first' });
    const out: string[] = [];
    while (!q.empty()) out.push(q.getNowait().name);
    expect(out).toEqual(['first', ...names]);
  });

  test('identical payloads are not compared; different ones that need comparing throw', () => {
    const payload = { any: 'object' };
    const q = new PriorityQueue<[number, object]>();
    q.putNowait([1, payload]);
    q.putNowait([1, payload]);
    q.putNowait([0, { other: true }]);
    expect(q.getNowait()[0]).toBe(0);
    expect(() => q.putNowait([1, { third: true }])).toThrow(TypeError);
    expect(q.qsize()).toBe(2); // the failed put changed nothing
  });

  test('items of another kind, or mixed kinds, are a TypeError and leave the queue intact', () => {
    const q = new PriorityQueue<unknown>();
    expect(() => q.putNowait({ not: 'comparable' })).toThrow(
      'PriorityQueue cannot compare an instance of Object with an instance of Object',
    );
    q.putNowait(1);
    expect(() => q.putNowait('one')).toThrow(TypeError);
    expect(q.qsize()).toBe(1);
    expect(q.stats().unfinished).toBe(1);
    expect(q.getNowait()).toBe(1);
    expect(() => new PriorityQueue(0, 'asc' as never)).toThrow(
      'PriorityQueue expected `compare` to be a function, got string "asc"',
    );
  });

  test('a comparator that throws leaves the heap valid', () => {
    let armed = false;
    const q = new PriorityQueue<number>(0, (a, b) => {
      if (armed) throw new Error('flaky');
      return a - b;
    });
    for (const n of [5, 3, 8, 1, 9, 2]) q.putNowait(n);
    armed = true;
    expect(() => q.putNowait(0)).toThrow('flaky');
    expect(() => q.getNowait()).toThrow('flaky');
    armed = false;
    const out: number[] = [];
    while (!q.empty()) out.push(q.getNowait());
    expect(out).toEqual([1, 2, 3, 5, 8, 9]);
  });

  test('many random items come out sorted', () => {
    const q = new PriorityQueue<number>();
    const xs = Array.from({ length: 2000 }, (_, i) => (i * 7919) % 1009);
    for (const x of xs) q.putNowait(x);
    const out: number[] = [];
    while (!q.empty()) out.push(q.getNowait());
    expect(out).toEqual([...xs].sort((a, b) => a - b));
  });
});

describe('Queue: stats(), signals, bad input', () => {
  test(
    'stats() is frozen and counts waiters',
    virtualTest(async () => {
      const q = new Queue<number>(2);
      const g = createTask(() => q.get());
      await tick();
      expect(q.stats()).toEqual({
        size: 0,
        maxsize: 2,
        getters: 1,
        putters: 0,
        unfinished: 0,
        shutdown: false,
      });
      expect(Object.isFrozen(q.stats())).toBe(true);
      q.putNowait(1); // handed to g: it takes a slot until g resumes
      q.putNowait(2);
      expect(q.full()).toBe(true);
      const p = createTask(() => q.put(3));
      expect(q.stats()).toMatchObject({ size: 1, getters: 0, unfinished: 2 });
      expect(await g).toBe(1); // g resumed: its slot went to p
      await p;
      expect(q.stats()).toMatchObject({ size: 2, putters: 0, unfinished: 3 });
      expect([q.getNowait(), q.getNowait()]).toEqual([2, 3]);
    }),
  );

  test(
    'abort signals end put(), get() and join() with signal.reason',
    virtualTest(async () => {
      const q = new Queue<number>(1);
      const ac = new AbortController();
      const get = q.get({ signal: ac.signal });
      await tick();
      ac.abort('get gone');
      await expect(get).rejects.toBe('get gone');
      expect(q.stats().getters).toBe(0);

      q.putNowait(1);
      const ac2 = new AbortController();
      const put = q.put(2, { signal: ac2.signal });
      const join = q.join({ signal: ac2.signal });
      await tick();
      ac2.abort('put gone');
      await expect(put).rejects.toBe('put gone');
      await expect(join).rejects.toBe('put gone');
      expect(q.stats()).toMatchObject({ size: 1, putters: 0 });
      await expect(q.put(3, { signal: AbortSignal.abort('already') })).rejects.toBe('already');
      await expect(q.get({ signal: AbortSignal.abort('already') })).rejects.toBe('already');
      expect(q.qsize()).toBe(1);
    }),
  );

  test(
    'an abort after an item was handed over gives the item to the next getter',
    virtualTest(async () => {
      const q = new Queue<number>();
      const ac = new AbortController();
      const first = q.get({ signal: ac.signal });
      const second = createTask(() => q.get());
      await tick();
      q.putNowait(42); // handed to `first`
      ac.abort('late');
      await expect(first).rejects.toBe('late');
      expect(await second).toBe(42);
    }),
  );

  test(
    'an abort after a slot was reserved passes the slot to the next putter',
    virtualTest(async () => {
      const q = new Queue<string>(1);
      q.putNowait('full');
      const ac = new AbortController();
      const first = q.put('first', { signal: ac.signal });
      const second = createTask(() => q.put('second'));
      await tick();
      q.getNowait(); // reserves the slot for `first`
      ac.abort('late');
      await expect(first).rejects.toBe('late');
      await second;
      expect(q.getNowait()).toBe('second');
      expect(q.empty()).toBe(true);
    }),
  );

  test('bad maxsize and options are TypeErrors or RangeErrors', async () => {
    expect(() => new Queue('3' as never)).toThrow(
      'Queue expected `maxsize` to be a number, got string "3"',
    );
    expect(() => new Queue(Number.NaN)).toThrow(RangeError);
    const unbounded = new Queue<number>(-5);
    for (let i = 0; i < 1000; i++) unbounded.putNowait(i);
    expect(unbounded.full()).toBe(false);
    const q = new Queue<number>();
    await expect(q.get({ signal: {} as never })).rejects.toBeInstanceOf(TypeError);
    await expect(q.put(1, 'x' as never)).rejects.toBeInstanceOf(TypeError);
    expect(q.qsize()).toBe(0);
  });

  test(
    'a big burst through the ring buffer keeps FIFO order',
    virtualTest(async () => {
      const q = new Queue<number>();
      for (let i = 0; i < 5000; i++) q.putNowait(i);
      for (let i = 0; i < 4990; i++) expect(q.getNowait()).toBe(i);
      for (let i = 5000; i < 6000; i++) q.putNowait(i);
      const rest: number[] = [];
      while (!q.empty()) rest.push(q.getNowait());
      expect(rest).toEqual(Array.from({ length: 1010 }, (_, i) => 4990 + i));
      await settle();
    }),
  );
});

describe('PriorityQueue and LifoQueue: a waiting getter gets what get() would return', () => {
  // CPython 3.13: with a getter waiting, put_nowait(5); put_nowait(1); put_nowait(3) gives it
  // 1 (PriorityQueue), 3 (LifoQueue), 5 (Queue); the rest stay in order.
  test.each([
    ['Queue', () => new Queue<number>(), 5, [1, 3]],
    ['PriorityQueue', () => new PriorityQueue<number>(), 1, [3, 5]],
    ['LifoQueue', () => new LifoQueue<number>(), 3, [1, 5]],
  ] as const)(
    '%s: putNowait(5), putNowait(1), putNowait(3) with a getter waiting (CPython 3.13)',
    (_name, make, first, rest) =>
      virtualTest(async () => {
        const q = make();
        const getter = createTask(() => q.get());
        await tick();
        q.putNowait(5);
        q.putNowait(1);
        q.putNowait(3);
        expect(await getter).toBe(first);
        expect([q.getNowait(), q.getNowait()]).toEqual(rest);
        expect(q.stats()).toMatchObject({ size: 0, getters: 0, unfinished: 3 });
      })(),
  );

  test(
    'PriorityQueue: two waiting getters get the two best items, in arrival order',
    virtualTest(async () => {
      const q = new PriorityQueue<number>();
      const a = createTask(() => q.get());
      const b = createTask(() => q.get());
      await tick();
      for (const n of [9, 4, 7, 1]) q.putNowait(n);
      // Two items are promised to the woken getters; the other two can be got.
      expect(q.qsize()).toBe(2);
      expect(await a).toBe(1);
      expect(await b).toBe(4);
      expect([q.getNowait(), q.getNowait()]).toEqual([7, 9]);
    }),
  );

  test(
    'PriorityQueue: a woken getter cancelled before it resumes leaves every item in order',
    virtualTest(async () => {
      const q = new PriorityQueue<number>();
      const a = createTask(() => q.get());
      const b = createTask(() => q.get());
      await tick();
      q.putNowait(5); // wakes a
      a.cancel();
      q.putNowait(2); // wakes b
      q.putNowait(8);
      await expect(a).rejects.toSatisfy(CancelledError.is);
      expect(await b).toBe(2);
      expect([q.getNowait(), q.getNowait()]).toEqual([5, 8]);
      expect(q.stats()).toMatchObject({ size: 0, getters: 0, unfinished: 3 });
    }),
  );

  test(
    'PriorityQueue: an item it cannot order is refused even when a getter waits',
    virtualTest(async () => {
      const q = new PriorityQueue<number>();
      const getter = createTask(() => q.get());
      await tick();
      expect(() => q.putNowait({} as never)).toThrow(TypeError);
      expect(q.stats()).toMatchObject({ size: 0, getters: 1, unfinished: 0 });
      q.putNowait(1);
      expect(await getter).toBe(1);
    }),
  );

  test(
    'LifoQueue: a bounded queue frees a slot for a waiting putter only when the woken getter takes its item',
    virtualTest(async () => {
      const q = new LifoQueue<number>(1);
      const getter = createTask(() => q.get());
      await tick();
      q.putNowait(1);
      expect(q.full()).toBe(true);
      const putter = createTask(() => q.put(2));
      await tick();
      expect(await getter).toBe(1);
      await putter;
      expect(q.getNowait()).toBe(2);
    }),
  );
});

describe('Queue: waiters counted', () => {
  test(
    'a cancelled getter or putter stops counting at once (CPython 3.13 ignores cancelled waiters)',
    virtualTest(async () => {
      const q = new Queue<number>(1);
      const getter = createTask(() => q.get());
      await tick();
      expect(q.stats().getters).toBe(1);
      getter.cancel();
      expect(q.stats().getters).toBe(0);
      expect(String(q)).toBe('<Queue maxsize=1>');
      await expect(getter).rejects.toSatisfy(CancelledError.is);
      q.putNowait(1);
      const putter = createTask(() => q.put(2));
      await tick();
      expect(q.stats().putters).toBe(1);
      putter.cancel();
      expect(q.stats().putters).toBe(0);
      await expect(putter).rejects.toSatisfy(CancelledError.is);
      expect(q.stats()).toMatchObject({ size: 1, getters: 0, putters: 0 });
    }),
  );
});

describe('Queue: a wait left behind by a run() that ended', () => {
  test('putNowait() skips the dead getter: nothing is lost and join() returns', async () => {
    const q = new Queue<string>();
    await run(() => Promise.race([q.get(), sleep(5)]), { clock: new VirtualClock() });
    expect(() => q.putNowait('job')).not.toThrow();
    expect(q.stats()).toMatchObject({ size: 1, getters: 0, unfinished: 1 });
    const got = await run(
      async () => {
        const worker = createTask(async () => {
          const job = await q.get();
          q.taskDone();
          return job;
        });
        await waitFor(q.join(), 100);
        return worker;
      },
      { clock: new VirtualClock() },
    );
    expect(got).toBe('job');
  });

  test('a dead putter is skipped when a slot frees, and its item is not put', async () => {
    const q = new Queue<string>(1);
    q.putNowait('a');
    await run(() => Promise.race([q.put('dead'), sleep(5)]), { clock: new VirtualClock() });
    expect(q.getNowait()).toBe('a');
    expect(q.stats()).toMatchObject({ size: 0, putters: 0, unfinished: 1 });
    q.putNowait('b');
    expect(q.getNowait()).toBe('b');
    expect(q.empty()).toBe(true);
  });

  test('join() left behind: taskDone() in the next run() does not throw', async () => {
    const q = new Queue<string>();
    q.putNowait('job');
    await run(() => Promise.race([q.join(), sleep(5)]), { clock: new VirtualClock() });
    q.getNowait();
    expect(() => q.taskDone()).not.toThrow();
    await run(() => waitFor(q.join(), 100), { clock: new VirtualClock() });
  });

  test('shutdown() skips dead getters and putters', async () => {
    const q = new Queue<string>(1);
    await run(() => Promise.race([q.get(), sleep(5)]), { clock: new VirtualClock() });
    q.putNowait('x');
    await run(() => Promise.race([q.put('y'), sleep(5)]), { clock: new VirtualClock() });
    expect(() => q.shutdown()).not.toThrow();
    expect(q.getNowait()).toBe('x');
  });

  test('an abort after the run() ended leaves the abandoned waits alone', async () => {
    const q = new Queue<string>(1);
    const ac = new AbortController();
    await run(() => Promise.race([q.get({ signal: ac.signal }), sleep(5)]), {
      clock: new VirtualClock(),
    });
    q.putNowait('a');
    await run(() => Promise.race([q.put('b', { signal: ac.signal }), sleep(5)]), {
      clock: new VirtualClock(),
    });
    ac.abort();
    await new Promise((resolve) => setImmediate(resolve));
    expect(q.getNowait()).toBe('a');
    expect(q.stats()).toMatchObject({ size: 0, getters: 0, putters: 0, unfinished: 1 });
  });
});

describe('Queue: methods passed as callbacks', () => {
  test(
    'unbound putNowait, taskDone and shutdown work as callbacks',
    virtualTest(async () => {
      const q = new Queue<number>();
      const { putNowait, taskDone, shutdown } = q;
      getRunningLoop().callSoon(putNowait, 1);
      putNowait(2);
      await sleep(1);
      expect(q.qsize()).toBe(2);
      q.getNowait();
      q.getNowait();
      getRunningLoop().callSoon(taskDone);
      getRunningLoop().callSoon(taskDone);
      await waitFor(q.join(), 100);
      getRunningLoop().callSoon(shutdown);
      await sleep(1);
      expect(q.stats().shutdown).toBe(true);
    }),
  );

  test('shutdown(immediate) refuses a value that is not a boolean', () => {
    const q = new Queue<number>();
    q.putNowait(1);
    expect(() => q.shutdown('SIGTERM' as never)).toThrow(
      'Queue.shutdown() expected `immediate` to be a boolean, got string "SIGTERM"',
    );
    expect(q.stats()).toMatchObject({ size: 1, shutdown: false });
  });
});
