/**
 * The faults a distributed queue must survive, with real processes and a real server:
 * a consumer SIGKILLed while it holds items, a long job that keeps its lease, a stalled
 * consumer that loses it, a poison item, and Redis restarted mid-run. Each is bounded in
 * item count and in time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTask, sleep, TimeoutError, taskGroup, waitFor } from '@aiots/loop';
import {
  connect,
  LeaseLostError,
  type RedisConnection,
  RedisQueue,
  RedisUnavailableError,
} from '@aiots/redis';
import { type RedisServer, startRedisServer } from '@aiots/redis/testing';
import { Event, QueueShutDown } from '@aiots/sync';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Child, type Message } from './helpers.ts';

interface Item {
  id: number;
  kind: 'ok' | 'poison' | 'hold' | 'stall';
  flag?: string;
}

let server: RedisServer;
let conn: RedisConnection;
let n = 0;
const fresh = () => `fault${++n}`;

beforeAll(async () => {
  server = await startRedisServer();
  conn = await connect(server.url);
});
afterAll(async () => {
  await conn?.close();
  await server?.stop();
});

describe('faults', () => {
  test('a consumer SIGKILLed while it holds items: each is delivered again after the visibility timeout, none lost', async () => {
    const name = fresh();
    const visibilityTimeoutMs = 500;
    const q = new RedisQueue<Item>(conn, name, { visibilityTimeoutMs });
    // The first five items are held by the doomed consumer (five tasks, each keeps one).
    for (let id = 0; id < 5; id++) await q.put({ id, kind: 'hold' });
    for (let id = 5; id < 200; id++) await q.put({ id, kind: 'ok' });
    const doomed = new Child('consumer.ts', [
      server.url,
      name,
      JSON.stringify({ visibilityTimeoutMs, tasks: 5 }),
    ]);
    const held = new Set<number>();
    while (held.size < 5) held.add((await doomed.next('got')).got as number);
    doomed.kill();
    expect((await doomed.exited).signal).toBe('SIGKILL');
    // A live consumer takes everything, the dead one's items once their lease has lapsed.
    const done = new Map<number, number>();
    const consumer = new RedisQueue<Item>(conn, name, { visibilityTimeoutMs });
    await taskGroup(async (tg) => {
      for (let t = 0; t < 4; t++) {
        tg.createTask(async () => {
          for await (const item of consumer) {
            done.set(item.id, (done.get(item.id) ?? 0) + 1);
            await consumer.taskDone();
          }
        });
      }
      await q.join();
      await consumer.shutdown();
    });
    expect([...done.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
    expect([...done.values()].every((c) => c === 1)).toBe(true);
    expect([...held].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await q.qsize()).toBe(0);
    await q.close();
    await consumer.close();
  }, 30_000);

  test('a job that outlasts the visibility timeout keeps its lease (heartbeat): not run twice', async () => {
    const name = fresh();
    const visibilityTimeoutMs = 1_200;
    const worker = new RedisQueue<string>(conn, name, { visibilityTimeoutMs });
    const rival = new RedisQueue<string>(conn, name, { visibilityTimeoutMs, blockMs: 100 });
    await worker.put('long job');
    expect(await worker.get()).toBe('long job');
    // Three visibility timeouts during which the rival keeps trying to reclaim it.
    await expect(waitFor(rival.get(), 3 * visibilityTimeoutMs)).rejects.toThrow(TimeoutError);
    await worker.taskDone(); // still ours: acknowledged
    await worker.join();
    const dead: string[] = [];
    for await (const d of worker.deadLetters()) dead.push(d);
    expect(dead).toEqual([]);
    await worker.close();
    await rival.close();
  }, 30_000);

  test('a consumer whose event loop stalls past the lease loses the item; its late taskDone() is LeaseLostError', async () => {
    const name = fresh();
    const visibilityTimeoutMs = 400;
    const dir = mkdtempSync(join(tmpdir(), 'aiots-redis-stall-'));
    const flag = join(dir, 'go');
    try {
      const q = new RedisQueue<Item>(conn, name, { visibilityTimeoutMs, blockMs: 100 });
      await q.put({ id: 1, kind: 'stall', flag });
      const stalled = new Child('consumer.ts', [
        server.url,
        name,
        JSON.stringify({ visibilityTimeoutMs }),
      ]);
      expect((await stalled.next('got')).got).toBe(1);
      // Its loop is blocked now: no heartbeat. We reclaim the item after the lease.
      const item = await waitFor(q.get(), 10_000);
      expect(item.id).toBe(1);
      writeFileSync(flag, ''); // the stalled consumer wakes up and calls taskDone()
      const outcome = await stalled.next('failed');
      expect(outcome).toEqual({ failed: 1, error: 'LeaseLostError' });
      await q.taskDone(); // the new holder settles it, once
      await q.join();
      stalled.process.send('stop');
      expect((await stalled.exited).code).toBe(0);
      await q.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test('a poison item that crashes every consumer ends in the dead letters after exactly maxDeliveries; the queue keeps flowing', async () => {
    const name = fresh();
    const maxDeliveries = 3;
    const visibilityTimeoutMs = 300;
    const q = new RedisQueue<Item>(conn, name, { visibilityTimeoutMs, maxDeliveries });
    await q.put({ id: 0, kind: 'poison' });
    for (let id = 1; id <= 20; id++) await q.put({ id, kind: 'ok' });
    let poisonDeliveries = 0;
    const done = new Set<number>();
    // One consumer process at a time; each one the poison reaches dies. Bounded: the
    // poison can kill at most maxDeliveries of them.
    for (let spawned = 0; done.size < 20; spawned++) {
      expect(spawned).toBeLessThanOrEqual(maxDeliveries);
      const child = new Child('consumer.ts', [
        server.url,
        name,
        JSON.stringify({ visibilityTimeoutMs, maxDeliveries }),
      ]);
      for (;;) {
        const m: Message = await child.messages.get();
        if ('got' in m && m.got === 0) poisonDeliveries++;
        if ('done' in m) done.add(m.done as number);
        if ('exit' in m) break;
        if (done.size === 20) {
          child.process.send('stop');
        }
      }
    }
    expect(poisonDeliveries).toBe(maxDeliveries);
    const dead: Item[] = [];
    for await (const d of q.deadLetters()) dead.push(d);
    expect(dead).toEqual([{ id: 0, kind: 'poison' }]);
    const [entry] = (await rawDeadLetters(name)) as [string[]];
    expect(entry).toEqual(expect.arrayContaining(['deliveries', String(maxDeliveries)]));
    await q.join();
    await q.close();
  }, 60_000);
});

/** The fields of the dead letters of queue `name`, read with a plain client. */
async function rawDeadLetters(name: string): Promise<string[][]> {
  const client = createClient({ url: server.url, RESP: 2 });
  await client.connect();
  try {
    const reply = (await client.sendCommand([
      'XRANGE',
      `aiots:queue:{${name}}:dead`,
      '-',
      '+',
    ])) as [string, string[]][];
    return reply.map(([, fields]) => fields);
  } finally {
    client.destroy();
  }
}

describe('Redis restarted mid-run (append-only file on)', () => {
  test('producers and consumers reconnect, blocked reads are re-issued, nothing acknowledged comes back, nothing unacknowledged is lost', async () => {
    const aof = await startRedisServer({ appendOnly: true });
    const c = await connect(aof.url);
    try {
      const name = 'restart';
      const total = 600;
      const producer = new RedisQueue<{ i: number; attempt: number }>(c, name);
      const consumers = [0, 1].map(
        () =>
          new RedisQueue<{ i: number; attempt: number }>(c, name, {
            visibilityTimeoutMs: 5_000,
            blockMs: 200,
          }),
      );
      const acked = new Set<string>();
      const processed = new Set<number>();
      let ackedCameBack = 0;
      let getFailures = 0;
      let putRetries = 0;
      let gotAfterRestart = 0;
      const restartAt = new Event();
      const restarted = new Event();
      await taskGroup(async (tg) => {
        for (const q of consumers) {
          for (let t = 0; t < 2; t++) {
            tg.createTask(async () => {
              for (;;) {
                let item: { i: number; attempt: number };
                try {
                  item = await q.get();
                } catch (e) {
                  if (e instanceof Error && e.name === 'QueueShutDown') return;
                  getFailures++;
                  throw e;
                }
                if (restarted.isSet()) gotAfterRestart++;
                const key = `${item.i}/${item.attempt}`;
                if (acked.has(key)) ackedCameBack++;
                processed.add(item.i);
                if (processed.size >= total / 3) restartAt.set();
                for (;;) {
                  try {
                    await q.taskDone();
                    break;
                  } catch (e) {
                    if (LeaseLostError.is(e)) break; // acknowledged by the attempt whose reply was lost
                    if (!RedisUnavailableError.is(e)) throw e;
                    await sleep(20);
                  }
                }
                acked.add(key);
              }
            });
          }
        }
        tg.createTask(async () => {
          await restartAt.wait();
          await aof.restart();
          restarted.set();
        });
        for (let i = 0; i < total; i++) {
          for (let attempt = 0; ; attempt++) {
            try {
              await producer.put({ i, attempt });
              break;
            } catch (e) {
              if (!RedisUnavailableError.is(e)) throw e;
              putRetries++;
              await sleep(20);
            }
          }
          if (i % 20 === 19) await sleep(1); // spread the puts over the restart
        }
        await restarted.wait();
        await waitFor(producer.join(), 20_000);
        for (const q of consumers) await q.shutdown();
      });
      expect(restarted.isSet()).toBe(true);
      expect(getFailures).toBe(0);
      expect(ackedCameBack).toBe(0);
      expect(processed.size).toBe(total);
      expect(await producer.qsize()).toBe(0);
      // The consumers' reads went on after the restart (re-issued on the new connection).
      expect(gotAfterRestart).toBeGreaterThan(0);
      console.log(`restart: ${putRetries} puts retried, ${gotAfterRestart} items got after it`);
    } finally {
      await c.close();
      await aof.stop();
    }
  }, 60_000);
});

describe('Redis gone for good', () => {
  test('close() of a connection whose server is down does not hang; its waiters get QueueShutDown', async () => {
    const doomed = await startRedisServer();
    const c = await connect(doomed.url);
    const q = new RedisQueue<number>(c, 'orphan', { blockMs: 100 });
    const getter = createTask(() => q.get());
    await sleep(50);
    await doomed.stop();
    const heldOn = createTask(() => q.put(1)); // waits in the client's offline queue
    await sleep(50);
    await waitFor(c.close(), 5_000);
    await expect(getter).rejects.toThrow(QueueShutDown);
    await expect(heldOn).rejects.toThrow(RedisUnavailableError);
  }, 30_000);
});
