/**
 * @aiots/redis against BullMQ: small items through a queue on one Redis on loopback (a
 * throwaway `redis-server` from @aiots/redis/testing, persistence off).
 *
 * - Ours: 10 producer tasks `put()` N small items (`{ i }`) through one `RedisQueue`
 *   instance on one connection; 10 consumer tasks on another instance (and connection) run
 *   `for await (const item of queue) { await queue.taskDone() }`, inside `run()`.
 * - BullMQ: 10 producers `await queue.add('job', { i }, { removeOnComplete: true })` N jobs;
 *   one `Worker` with `concurrency: 10` and an empty processor takes them, each run ending
 *   at the N-th `completed` event. Completed jobs are removed, as ours are deleted once done.
 *   Twice: on ioredis (BullMQ's default client) and on node-redis (the client ours uses).
 *
 * Every run uses a fresh queue name; connections are made once and shared by the runs, the
 * reading connections (ours, BullMQ's blocking one) are made by each run's consumer. Besides
 * the times, the suite prints the Redis commands each item costs (`INFO stats`), measured in
 * one extra run of each.
 */
import { run, taskGroup } from '@aiots/loop';
import { connect, RedisQueue } from '@aiots/redis';
import { startRedisServer } from '@aiots/redis/testing';
import { createNodeRedisClient, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { compare } from './harness.ts';

const N = 5_000;
const PRODUCERS = 10;
const CONSUMERS = 10;

const server = await startRedisServer();
const producerConn = await connect(server.url);
const consumerConn = await connect(server.url);
const ioredis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: null });
const nodeRedis = createClient({ url: server.url });
await nodeRedis.connect();
const bullNodeRedis = createNodeRedisClient(nodeRedis);
let runs = 0;

function ours(n: number): () => Promise<void> {
  return () =>
    run(async () => {
      const name = `ours-${++runs}`;
      const producer = new RedisQueue<{ i: number }>(producerConn, name);
      const consumer = new RedisQueue<{ i: number }>(consumerConn, name);
      let done = 0;
      await taskGroup(async (tg) => {
        for (let c = 0; c < CONSUMERS; c++) {
          tg.createTask(async () => {
            for await (const _item of consumer) {
              await consumer.taskDone();
              if (++done === n) await consumer.shutdown();
            }
          });
        }
        for (let p = 0; p < PRODUCERS; p++) {
          tg.createTask(async () => {
            for (let i = p; i < n; i += PRODUCERS) await producer.put({ i });
          });
        }
      });
      await producer.close();
      await consumer.close();
    });
}

function bullmq(n: number, connection: Redis | ReturnType<typeof createNodeRedisClient>) {
  return async () => {
    const name = `bull-${++runs}`;
    const queue = new Queue(name, { connection });
    let done = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const worker = new Worker(name, async () => {}, { connection, concurrency: CONSUMERS });
    worker.on('completed', () => {
      if (++done === n) finish();
    });
    const producers: Promise<void>[] = [];
    for (let p = 0; p < PRODUCERS; p++) {
      producers.push(
        (async () => {
          for (let i = p; i < n; i += PRODUCERS) {
            await queue.add('job', { i }, { removeOnComplete: true, removeOnFail: true });
          }
        })(),
      );
    }
    await Promise.all(producers);
    await finished;
    await worker.close();
    await queue.close();
  };
}

const oursRun = ours(N);
const bullIoredis = bullmq(N, ioredis);
const bullNode = bullmq(N, bullNodeRedis);

/** Redis commands processed per item in one run of `fn`. */
async function commandsPerItem(fn: () => Promise<void>): Promise<number> {
  const processed = async () => {
    const info = (await nodeRedis.info('stats')) as string;
    return Number(/total_commands_processed:(\d+)/.exec(info)?.[1]);
  };
  const before = await processed();
  await fn();
  return ((await processed()) - before - 1) / N;
}

await compare(
  `RedisQueue: ${PRODUCERS} producers / ${CONSUMERS} consumers, ${N} small items, one Redis on loopback`,
  { name: 'RedisQueue put + get/taskDone', fn: oursRun },
  [
    { name: 'BullMQ add + Worker (ioredis)', fn: bullIoredis },
    { name: 'BullMQ add + Worker (node-redis)', fn: bullNode },
  ],
  {
    ops: N,
    rounds: 3,
    samples: 2,
    warmup: 1,
    target: { vs: 'BullMQ add + Worker (ioredis)', atMost: 1 },
  },
);

console.log(
  `Redis commands per item: RedisQueue ${(await commandsPerItem(oursRun)).toFixed(2)}, BullMQ (ioredis) ${(await commandsPerItem(bullIoredis)).toFixed(2)}, BullMQ (node-redis) ${(await commandsPerItem(bullNode)).toFixed(2)}`,
);

await producerConn.close();
await consumerConn.close();
await ioredis.quit();
await nodeRedis.close();
await server.stop();
