/**
 * The demo across processes (`aiots-queue-demo --redis URL --role ...`): the same producers
 * and consumers as `queueDemo()`, on a `RedisQueue` that every process started with the same
 * `--redis` and `--queue` shares. A process runs the producers, the consumers, or both, and
 * draws its random numbers only for the tasks it runs, from its own `--seed`.
 *
 * - `producer`: each producer puts its items, then the process waits until every item on the
 *   queue has been processed, by any consumer anywhere (`join()`), and reports the time.
 * - `consumer`: the consumers take items until the process is stopped (Ctrl-C, SIGTERM), as
 *   a worker does.
 * - `both`: `asyncq.py`'s `main()` on the shared queue: once every item is processed, the
 *   consumers are cancelled and the time reported.
 *
 * An item is `[id, Date.now()]`: wall-clock time, so that a consumer in another process (on
 * a host with a synchronised clock) can print how long the item waited.
 */
import { randomBytes } from 'node:crypto';
import { createTask, gather, sleep, type Task } from '@aiots/loop';
import {
  CodecError,
  connect,
  InvalidNameError,
  InvalidRedisUrlError,
  type RedisConnection,
  RedisQueue,
  RedisUnavailableError,
  validateName,
} from '@aiots/redis';
import type { PythonRandom } from './python-random.ts';

/** Which tasks a process runs. */
export type Role = 'producer' | 'consumer' | 'both';

/** The roles, as `--role` takes them. */
export const ROLES: readonly Role[] = ['producer', 'consumer', 'both'];

/** The queue when `--queue` is not given. */
export const DEFAULT_QUEUE = 'aiots-queue-demo';

/** An item on the queue: its id and when it was put (milliseconds since the epoch). */
type Item = [id: string, putAt: number];

/** A command line that names a queue Redis cannot hold, or a URL that is not Redis's. */
export class RedisUsageError extends Error {
  override readonly name = 'RedisUsageError';
}

/** What stops the command with one line on stderr and exit code 1 (Redis unreachable). */
export class RedisDownError extends Error {
  override readonly name = 'RedisDownError';
}

/** A message of the redis package in the command's style (lower case, no backquotes). */
function oneLine(message: string): string {
  const text = message.replaceAll('`', '');
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * Checks `--queue` before anything is opened.
 *
 * @throws {RedisUsageError} when it cannot name a queue.
 */
export function checkQueueName(name: string): string {
  try {
    return validateName(name, '--queue');
  } catch (e) {
    if (!InvalidNameError.is(e)) throw e;
    throw new RedisUsageError(oneLine(e.message), { cause: e });
  }
}

/**
 * Connects to `--redis`.
 *
 * @throws {RedisUsageError} when it is not a Redis URL.
 * @throws {RedisDownError} when the server does not answer within a few seconds.
 */
export async function connectRedis(url: string): Promise<RedisConnection> {
  try {
    return await connect(url);
  } catch (e) {
    if (InvalidRedisUrlError.is(e)) {
      throw new RedisUsageError(
        oneLine(e.message.replace(/^connect\(\) expected/, 'expected --redis to be')),
        { cause: e },
      );
    }
    if (RedisUnavailableError.is(e)) throw new RedisDownError(e.message, { cause: e });
    throw e;
  }
}

/** The `RedisUnavailableError` that failed the run, if one did (perhaps inside a group's). */
export function redisFailure(e: unknown): RedisUnavailableError | undefined {
  if (RedisUnavailableError.is(e)) return e;
  const errors = (e as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = redisFailure(inner);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function isItem(value: unknown): value is Item {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number'
  );
}

/** Options of `redisDemo()`. */
export interface RedisDemoOptions {
  readonly conn: RedisConnection;
  readonly queue: string;
  readonly role: Role;
  readonly nprod: number;
  readonly ncon: number;
  readonly random: PythonRandom;
  /** A line of the demo (stdout). */
  readonly print: (line: string) => void;
  /** A line about an item that is not the demo's (stderr). */
  readonly warn: (line: string) => void;
}

/**
 * Runs this process's share of the demo on the queue `queue` (see the module comment): for
 * `producer` and `both`, returns once every item on the queue is processed; for `consumer`,
 * only when cancelled or failed.
 */
export async function redisDemo(o: RedisDemoOptions): Promise<void> {
  const { random, print, warn } = o;
  await using q = new RedisQueue<unknown>(o.conn, o.queue);

  const makeitem = (size = 5): string => randomBytes(size).toString('hex');

  async function randsleep(caller: string): Promise<void> {
    const i = random.randint(0, 10);
    print(`${caller} sleeping for ${i} seconds.`);
    await sleep(i * 1000);
  }

  async function produce(name: number): Promise<void> {
    const n = random.randint(0, 10);
    for (let k = 0; k < n; k++) {
      await randsleep(`Producer ${name}`);
      const i = makeitem();
      await q.put([i, Date.now()] satisfies Item);
      print(`Producer ${name} added <${i}> to queue.`);
    }
  }

  async function consume(name: number): Promise<never> {
    for (;;) {
      await randsleep(`Consumer ${name}`);
      let item: unknown;
      try {
        item = await q.get();
      } catch (e) {
        // An entry that is not JSON goes to the queue's dead letters; the demo goes on.
        if (!CodecError.is(e)) throw e;
        warn(`Consumer ${name} skipped an entry of the queue: ${e.message}`);
        continue;
      }
      if (isItem(item)) {
        const waited = ((Date.now() - item[1]) / 1000).toFixed(5);
        print(`Consumer ${name} got element <${item[0]}> in ${waited} seconds.`);
      } else {
        warn(`Consumer ${name} got an item that is not [id, time]: ${JSON.stringify(item)}`);
      }
      await q.taskDone();
    }
  }

  const producers: Task<void>[] = [];
  const consumers: Task<never>[] = [];
  if (o.role !== 'consumer') {
    for (let n = 0; n < o.nprod; n++) producers.push(createTask(() => produce(n)));
  }
  if (o.role !== 'producer') {
    for (let n = 0; n < o.ncon; n++) consumers.push(createTask(() => consume(n)));
  }
  try {
    if (o.role === 'consumer') {
      // Until the process is stopped, or a consumer fails.
      await gather(consumers);
      return;
    }
    if (producers.length > 0) await gather(producers);
    await q.join(); // every item on the queue processed, by any consumer in any process
  } finally {
    for (const c of consumers) c.cancel();
    for (const p of producers) p.cancel();
    // The cancelled tasks end before the queue closes under them.
    await gather([...consumers, ...producers], { returnExceptions: true });
  }
}
