/**
 * RedisQueue against a real redis-server: the Queue surface, per-instance shutdown, bounded
 * puts across producers, cancellation that loses nothing, codecs and the group rule.
 */
import {
  CancelledError,
  createTask,
  gather,
  InvalidStateError,
  sleep,
  type Task,
  TimeoutError,
  taskGroup,
  waitFor,
} from '@aiots/loop';
import {
  type Codec,
  CodecError,
  connect,
  GroupMismatchError,
  type RedisConnection,
  RedisQueue,
} from '@aiots/redis';
import { type RedisServer, startRedisServer } from '@aiots/redis/testing';
import { QueueShutDown } from '@aiots/sync';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let server: RedisServer;
let conn: RedisConnection;
let n = 0;
const fresh = () => `q${++n}`;

beforeAll(async () => {
  server = await startRedisServer();
  conn = await connect(server.url);
});
afterAll(async () => {
  await conn?.close();
  await server?.stop();
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 5_000) throw new Error('condition never held');
    await sleep(1);
  }
}

describe('RedisQueue: the Queue surface', () => {
  test('FIFO across instances; qsize counts items not yet delivered', async () => {
    const name = fresh();
    const producer = new RedisQueue<number>(conn, name);
    const consumer = new RedisQueue<number>(conn, name);
    for (let i = 0; i < 5; i++) await producer.put(i);
    expect(await producer.qsize()).toBe(5);
    expect(await consumer.get()).toBe(0);
    expect(await consumer.qsize()).toBe(4);
    const rest = [];
    for (let i = 1; i < 5; i++) rest.push(await consumer.get());
    expect(rest).toEqual([1, 2, 3, 4]);
    expect(consumer.stats()).toMatchObject({ held: 5, buffered: 0 });
    for (let i = 0; i < 5; i++) await consumer.taskDone();
    await producer.join();
    await expect(consumer.taskDone()).rejects.toThrow(InvalidStateError);
    await producer.close();
    await consumer.close();
  });

  test('join() waits until every item is done by any consumer, pending included', async () => {
    const name = fresh();
    const q = new RedisQueue<string>(conn, name);
    const other = new RedisQueue<string>(conn, name);
    await q.put('a');
    const joined = createTask(() => q.join());
    expect(await other.get()).toBe('a');
    await sleep(20);
    expect(joined.done()).toBe(false); // delivered but pending
    await other.taskDone();
    await joined;
    await q.close();
    await other.close();
  });

  test('taskDone() settles the item the calling task got', async () => {
    const name = fresh();
    const q = new RedisQueue<string>(conn, name);
    await q.put('slow');
    await q.put('fast');
    const other = new RedisQueue<string>(conn, name);
    const order: string[] = [];
    await taskGroup(async (tg) => {
      const slow = tg.createTask(async () => {
        const item = await q.get();
        await sleep(30);
        await q.taskDone();
        order.push(item);
      });
      await until(() => q.stats().held === 1);
      tg.createTask(async () => {
        const item = await q.get();
        await q.taskDone(); // must settle 'fast', not the older 'slow' held by another task
        order.push(item);
        // 'slow' is still pending: nobody else can have it, and join() is not done.
        await expect(waitFor(other.get(), 100)).rejects.toThrow(TimeoutError);
      });
      await slow;
    });
    expect(order).toEqual(['fast', 'slow']);
    await q.join();
    await q.close();
    await other.close();
  });

  test('async iteration runs until shutdown; 10 producers and 10 consumers move every item once', async () => {
    const name = fresh();
    const q = new RedisQueue<{ p: number; i: number }>(conn, name);
    const seen = new Set<string>();
    let dup = 0;
    await taskGroup(async (tg) => {
      for (let c = 0; c < 10; c++) {
        tg.createTask(async () => {
          for await (const item of q) {
            const key = `${item.p}:${item.i}`;
            if (seen.has(key)) dup++;
            seen.add(key);
            await q.taskDone();
          }
        });
      }
      const producers = Array.from({ length: 10 }, (_, p) =>
        tg.createTask(async () => {
          for (let i = 0; i < 100; i++) await q.put({ p, i });
        }),
      );
      await gather(producers);
      await q.join();
      await q.shutdown();
    });
    expect(seen.size).toBe(1_000);
    expect(dup).toBe(0);
    await q.close();
  });
});

describe('RedisQueue: bounded', () => {
  test('maxsize counts items not yet delivered, across producers; put() waits', async () => {
    const name = fresh();
    const a = new RedisQueue<number>(conn, name, { maxsize: 2 });
    const b = new RedisQueue<number>(conn, name, { maxsize: 2 });
    await a.put(1);
    await b.put(2);
    const blocked = createTask(() => a.put(3));
    await expect(waitFor(b.put(4), 50)).rejects.toThrow(TimeoutError); // cancelled: not put
    expect(blocked.done()).toBe(false);
    const consumer = new RedisQueue<number>(conn, name);
    expect(await consumer.get()).toBe(1); // one slot frees
    await blocked;
    expect(await consumer.qsize()).toBe(2);
    const got = [await consumer.get(), await consumer.get()];
    expect(got).toEqual([2, 3]); // 4 was never put
    for (let i = 0; i < 3; i++) await consumer.taskDone();
    await a.join();
    expect(await a.qsize()).toBe(0);
    for (const q of [a, b, consumer]) await q.close();
  });
});

describe('RedisQueue: cancellation and shutdown', () => {
  test('cancelling a task blocked in get() loses no item', async () => {
    const name = fresh();
    const q = new RedisQueue<number>(conn, name, { blockMs: 50 });
    const t = createTask(() => q.get());
    await until(() => q.stats().getters === 1);
    t.cancel();
    await expect(t).rejects.toThrow(CancelledError);
    expect(t.cancelled()).toBe(true);
    await q.put(7);
    expect(await q.get()).toBe(7);
    await q.taskDone();
    await q.close();
  });

  test('getters cancelled at random moments while items arrive: every item is got exactly once', async () => {
    const name = fresh();
    const q = new RedisQueue<number>(conn, name, { blockMs: 50 });
    const producer = new RedisQueue<number>(conn, name);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const got: number[] = [];
    // A getter only gets: a task cancelled later, in taskDone(), would leave its item held
    // (as in asyncio, join() then waits for it); the items are done at the end instead.
    const getter = () =>
      createTask(async () => {
        got.push(await q.get());
      });
    let getters: Task<void>[] = [];
    for (let i = 0; i < 100; i++) {
      getters.push(getter(), getter());
      await producer.put(i);
      await sleep(random() * 3);
      const victim = getters[Math.floor(random() * getters.length)] as Task<void>;
      victim.cancel();
      await gather(
        getters.filter((g) => g.done() || g === victim),
        { returnExceptions: true },
      );
      getters = getters.filter((g) => !g.done());
    }
    // The rest: what was read for cancelled getters is buffered for these.
    while (got.length < 100) {
      if (getters.length === 0) getters.push(getter());
      await gather([getters.shift() as Task<void>]);
    }
    for (const g of getters) g.cancel();
    await gather(getters, { returnExceptions: true });
    expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(q.stats().held).toBe(100);
    for (let i = 0; i < 100; i++) await q.taskDone();
    await producer.join();
    await q.close();
    await producer.close();
  });

  test('shutdown() wakes every waiter of the instance with QueueShutDown; others carry on', async () => {
    const name = fresh();
    const q = new RedisQueue<number>(conn, name, { maxsize: 1 });
    const other = new RedisQueue<number>(conn, name, { maxsize: 1 });
    await q.put(0);
    const getters = [createTask(() => other.get())]; // takes 0 and holds it
    await getters[0];
    await q.put(1); // full again
    const waiters = [
      createTask(() => q.put(2)),
      createTask(() => q.put(3)),
      createTask(() => q.join()),
    ];
    const emptyName = fresh();
    const e = new RedisQueue<number>(conn, emptyName);
    const blockedGets = [createTask(() => e.get()), createTask(() => e.get())];
    await until(() => e.stats().getters === 2);
    await sleep(10);
    await q.shutdown();
    await e.shutdown();
    const results = await gather([...waiters, ...blockedGets], { returnExceptions: true });
    for (const r of results) expect(QueueShutDown.is(r)).toBe(true);
    await expect(q.put(9)).rejects.toThrow(QueueShutDown);
    await expect(q.get()).rejects.toThrow(QueueShutDown);
    // The other instance is not shut down.
    await other.taskDone();
    expect(await other.get()).toBe(1);
    await other.taskDone();
    await other.join();
    for (const x of [q, other, e]) await x.close();
  });

  test('after shutdown(), get() returns what the instance already read, then throws', async () => {
    const name = fresh();
    const q = new RedisQueue<number>(conn, name);
    const producer = new RedisQueue<number>(conn, name);
    // Two getters cancelled after their read: their items are buffered.
    const t = [createTask(() => q.get()), createTask(() => q.get())];
    await until(() => q.stats().getters === 2);
    await producer.put(1);
    await producer.put(2);
    await until(() => t.every((x) => x.done()));
    expect(await gather(t)).toEqual([1, 2]);
    const late = createTask(() => q.get());
    await until(() => q.stats().getters === 1);
    late.cancel(); // while its read is blocked in Redis
    await gather([late], { returnExceptions: true });
    await producer.put(3);
    await until(() => q.stats().buffered === 1); // read for the cancelled getter
    await q.shutdown();
    expect(await q.get()).toBe(3);
    await expect(q.get()).rejects.toThrow(QueueShutDown);
    for (let i = 0; i < 3; i++) await q.taskDone();
    await producer.join();
    await q.close();
    await producer.close();
  });

  test('shutdown(true) gives items read and not handed out back to other consumers at once', async () => {
    const name = fresh();
    const q = new RedisQueue<number>(conn, name, { visibilityTimeoutMs: 60_000 });
    await q.put(1);
    const t = createTask(() => q.get());
    await until(() => t.done() || q.stats().getters === 1);
    await t;
    const late = createTask(() => q.get());
    await until(() => q.stats().getters === 1);
    late.cancel(); // while its read is blocked in Redis
    await gather([late], { returnExceptions: true });
    await q.put(2);
    await until(() => q.stats().buffered === 1);
    await q.shutdown(true);
    expect(q.stats().buffered).toBe(0);
    // Another consumer gets it long before the 60 s visibility timeout.
    const other = new RedisQueue<number>(conn, name);
    expect(await waitFor(other.get(), 5_000)).toBe(2);
    await other.taskDone();
    await q.taskDone(); // item 1, still held by the shut-down instance
    await other.join();
    await q.close();
    await other.close();
  });
});

describe('RedisQueue: codecs and groups', () => {
  test('a custom codec round-trips; an item it cannot encode is a CodecError and nothing is put', async () => {
    const name = fresh();
    const dates: Codec<Date> = {
      encode: (d) => {
        if (Number.isNaN(d.getTime())) throw new Error('invalid date');
        return d.toISOString();
      },
      decode: (s) => new Date(s),
    };
    const q = new RedisQueue<Date>(conn, name, { codec: dates });
    await q.put(new Date(5));
    await expect(q.put(new Date(Number.NaN))).rejects.toThrow(CodecError);
    expect(await q.qsize()).toBe(1);
    expect((await q.get()).getTime()).toBe(5);
    await q.taskDone();
    await q.close();
  });

  test('JSON: a BigInt or a cycle is a CodecError naming the item', async () => {
    const q = new RedisQueue<unknown>(conn, fresh());
    await expect(q.put(1n)).rejects.toThrow(
      'jsonCodec expected an item JSON can encode, got bigint 1',
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(q.put(cyclic)).rejects.toThrow(CodecError);
    await expect(q.put(undefined)).rejects.toThrow('got undefined');
    expect(await q.qsize()).toBe(0);
    await q.close();
  });

  test('an entry the codec cannot decode goes to the dead letters; the queue keeps flowing', async () => {
    const name = fresh();
    const raw = new RedisQueue<string>(conn, name, {
      codec: { encode: (s) => s, decode: (s) => s },
    });
    await raw.put('{not json');
    await raw.put('"fine"');
    const q = new RedisQueue<string>(conn, name);
    await expect(q.get()).rejects.toThrow(CodecError);
    expect(await q.get()).toBe('fine');
    await q.taskDone();
    await q.join();
    const dead: string[] = [];
    for await (const d of raw.deadLetters()) dead.push(d);
    expect(dead).toEqual(['{not json']);
    await raw.close();
    await q.close();
  });

  test('instances of one name share the default group; another group is refused', async () => {
    const name = fresh();
    const a = new RedisQueue<number>(conn, name);
    const b = new RedisQueue<number>(conn, name);
    expect(a.group).toBe(b.group);
    expect(a.consumer).not.toBe(b.consumer);
    const named = new RedisQueue<number>(conn, fresh(), { consumer: 'worker-7' });
    expect(named.consumer).toMatch(/^worker-7-[0-9a-f]{8}$/);
    await a.put(1);
    expect(await b.get()).toBe(1);
    await b.taskDone();
    const c = new RedisQueue<number>(conn, name, { group: 'others' });
    await expect(c.get()).rejects.toThrow(GroupMismatchError);
    await expect(c.get()).rejects.toThrow(
      `queue "${name}" is served by group "aiots", not "others"`,
    );
    for (const q of [a, b, c, named]) await q.close();
  });
});

describe('RedisQueue: close()', () => {
  test('removes its consumer from the group when it holds nothing, never one that holds items', async () => {
    const name = fresh();
    const raw = createClient({ url: server.url, RESP: 2 });
    await raw.connect();
    const consumers = async () =>
      (
        (await raw.sendCommand([
          'XINFO',
          'CONSUMERS',
          `aiots:queue:{${name}}`,
          'aiots',
        ])) as string[][]
      ).map((c) => c[1]);
    try {
      const idle = new RedisQueue<number>(conn, name);
      const holder = new RedisQueue<number>(conn, name);
      await idle.put(1);
      expect(await holder.get()).toBe(1); // holder holds it, never done
      await idle.put(2);
      expect(await idle.get()).toBe(2);
      await idle.taskDone();
      expect((await consumers()).sort()).toEqual([holder.consumer, idle.consumer].sort());
      await idle.close();
      await holder.close();
      // The holder's item stays pending under its name, for another consumer to reclaim.
      expect(await consumers()).toEqual([holder.consumer]);
    } finally {
      raw.destroy();
    }
  });
});
