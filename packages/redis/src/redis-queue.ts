/**
 * RedisQueue: `@aiots/sync`'s Queue across processes and hosts, on a Redis stream and its
 * consumer group (the engine is `StreamConsumer`).
 *
 * What differs from an in-process queue, and why:
 * - At-least-once: an item is acknowledged (and deleted) only by `taskDone()`. An item whose
 *   consumer died is delivered again after the visibility timeout; one delivered
 *   `maxDeliveries` times goes to the dead letters.
 * - Every method that talks to Redis is async, `qsize()` included; there is no `putNowait`
 *   or `getNowait` (nothing here can be synchronous).
 * - A bound (`maxsize`) counts the items not yet delivered, across every producer. A `put()`
 *   on a full queue polls (every few milliseconds, at most 50 ms apart) and is woken early
 *   when this instance takes an item; `join()` polls the same way and is woken when this
 *   instance's `taskDone()` empties the stream.
 * - `shutdown()` ends this instance, not the queue: other instances carry on.
 */
import { InvalidStateError } from '@aiots/loop';
import { signalOf, type WaitOptions } from '@aiots/loop/lowlevel';
import { QueueShutDown } from '@aiots/sync';
import { Batcher } from './batcher.ts';
import { type Codec, checkCodec, decodeWith, encodeWith, jsonCodec } from './codec.ts';
import { type ConnectionInternals, internalsOf, type RedisConnection } from './connection.ts';
import { type CodecError, LeaseLostError } from './errors.ts';
import { Signal } from './inbox.ts';
import { checkName, queueKeys } from './names.ts';
import { checkInt, checkOptions, checkTimings, consumerName } from './options.ts';
import { PUT_BOUNDED, PUT_MANY } from './scripts.ts';
import { fieldOf, StreamConsumer } from './stream-consumer.ts';
import { Alarm, io } from './waits.ts';

/** Options of `new RedisQueue()`. */
export interface RedisQueueOptions<T> {
  /** The consumer group; every instance of one queue must use the same (default `'aiots'`). */
  group?: string | undefined;
  /** Goes into this instance's consumer name, which is unique per instance either way. */
  consumer?: string | undefined;
  /** The most items not yet delivered, across all producers; 0 (default): unbounded. */
  maxsize?: number | undefined;
  /**
   * How long an item may sit with a consumer that shows no sign of life before another
   * consumer takes it over, in milliseconds (default 30 000). A live consumer keeps its
   * items however long its job runs: a heartbeat renews their lease every third of this.
   */
  visibilityTimeoutMs?: number | undefined;
  /** Deliveries before an item goes to the dead letters (default 5). */
  maxDeliveries?: number | undefined;
  /** How items become strings and back (default `jsonCodec`). */
  codec?: Codec<T> | undefined;
  /** The longest a blocking read waits before it is re-issued, in milliseconds (10 to 2 000, default 2 000). */
  blockMs?: number | undefined;
}

/** What `RedisQueue.stats()` returns: this instance's side of the queue. */
export interface RedisQueueStats {
  /** Items this instance got and has not settled with `taskDone()`. */
  readonly held: number;
  /** Items read from Redis, waiting for a `get()` on this instance. */
  readonly buffered: number;
  /** Tasks waiting in `get()` on this instance. */
  readonly getters: number;
  /** True once this instance was shut down. */
  readonly shutdown: boolean;
}

const PUT_LABEL = { label: 'RedisQueue.put' };
const DONE_LABEL = { label: 'RedisQueue.taskDone' };
const STATE_LABEL = { label: 'RedisQueue.join' };

/**
 * A FIFO queue whose items live in Redis, shared by every process that opens the same name:
 * producers `put()`, consumers `get()` and mark each item with `taskDone()`, `join()` waits
 * until every item put has been done. At-least-once: an item a consumer got and did not
 * finish (it crashed, was killed, or stalled past the visibility timeout) is delivered to
 * another consumer; after `maxDeliveries` deliveries it goes to the dead letters.
 *
 * `get()` is a cancellation point that never loses an item: an item read for a `get()` that
 * was cancelled goes to the next `get()` on the same instance.
 *
 * @example
 * ```ts
 * import { taskGroup } from '@aiots/loop';
 * import { connect, RedisQueue } from '@aiots/redis';
 * import { startRedisServer } from '@aiots/redis/testing';
 * await using server = await startRedisServer();
 * await using conn = await connect(server.url);
 * const queue = new RedisQueue<{ n: number }>(conn, 'jobs');
 * let sum = 0;
 * await taskGroup(async (tg) => {
 *   for (let w = 0; w < 3; w++) {
 *     tg.createTask(async () => {
 *       for await (const job of queue) {
 *         sum += job.n;
 *         await queue.taskDone();
 *       }
 *     });
 *   }
 *   for (let n = 1; n <= 10; n++) await queue.put({ n });
 *   await queue.join(); // every item done
 *   await queue.shutdown(); // ends the consumers' loops
 * });
 * console.log(sum); // 55
 * ```
 */
export class RedisQueue<T> implements AsyncIterable<T>, AsyncDisposable {
  /** The queue's name. */
  readonly name: string;
  /** The consumer group. */
  readonly group: string;
  /** This instance's consumer name (unique per instance). */
  readonly consumer: string;
  /** The bound on items not yet delivered (0: unbounded). */
  readonly maxsize: number;
  readonly #own: ConnectionInternals;
  readonly #core: StreamConsumer;
  readonly #codec: Codec<T>;
  readonly #stream: string;
  readonly #putAlarm = new Alarm();
  readonly #joinAlarm = new Alarm();
  #shutdown = false;
  #closing: Promise<void> | undefined;
  /** Unbounded puts of one turn, sent as one command. */
  readonly #puts = new Batcher<string, void>(async (values) => {
    const adapter = this.#own.adapter;
    if (values.length === 1)
      await adapter.send(['XADD', this.#stream, '*', 'd', values[0] as string]);
    else await adapter.run(PUT_MANY, [this.#stream], ['d', ...values]);
    return [];
  });

  /**
   * @param conn The connection, from `connect()`.
   * @param name The queue's name: 1 to 200 letters, digits or `_ . : - /`.
   * @param opts `group`, `consumer`, `maxsize`, `visibilityTimeoutMs`, `maxDeliveries`,
   *   `codec`, `blockMs`.
   * @throws {TypeError} when `conn` is not a `RedisConnection` or an option has the wrong type.
   * @throws {InvalidNameError} when `name`, `group` or `consumer` cannot name Redis keys.
   * @throws {RangeError} when a number option is out of range.
   */
  constructor(conn: RedisConnection, name: string, opts?: RedisQueueOptions<T>) {
    const where = 'RedisQueue';
    const own = internalsOf(conn, where);
    this.name = checkName(name, 'name', where);
    checkOptions(opts, where);
    this.group = checkName(opts?.group ?? 'aiots', 'group', where);
    this.consumer = consumerName(opts?.consumer, where);
    this.maxsize = checkInt(opts?.maxsize, 0, 'maxsize', where, 0);
    const visibility = checkInt(
      opts?.visibilityTimeoutMs,
      30_000,
      'visibilityTimeoutMs',
      where,
      30,
      86_400_000,
    );
    const timings = checkTimings(opts, visibility, where);
    this.#codec = opts?.codec === undefined ? jsonCodec : checkCodec<T>(opts.codec, where);
    if (own.closed)
      throw new InvalidStateError('RedisQueue expected an open connection, got a closed one');
    const keys = queueKeys(this.name);
    this.#stream = keys.stream;
    this.#own = own;
    this.#core = new StreamConsumer({
      adapter: own.adapter,
      name: this.name,
      keys,
      group: this.group,
      consumer: this.consumer,
      field: 'd',
      ...timings,
    });
    own.resources.add(this);
  }

  /**
   * Adds an item at the end of the queue. With `maxsize`, waits while that many items are
   * not yet delivered (a cancellation point). A cancel before the item reached Redis puts
   * nothing; once it has, the item stays put.
   *
   * @param item The item; the codec must be able to encode it.
   * @param opts `{ signal }`.
   * @throws {CodecError} when the codec cannot encode `item` (nothing is put).
   * @throws {QueueShutDown} when this instance was shut down.
   * @throws {RedisUnavailableError} when the connection dropped while the item was on its way
   *   (it may or may not have been put).
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @example
   * ```ts
   * import { connect, RedisQueue } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * const q = new RedisQueue<number>(conn, 'numbers');
   * await q.put(1);
   * await q.put(2);
   * console.log(await q.qsize()); // 2
   * ```
   */
  async put(item: T, opts?: WaitOptions): Promise<void> {
    const signal = signalOf(opts, 'RedisQueue.put()');
    signal?.throwIfAborted();
    if (this.#shutdown)
      throw new QueueShutDown('RedisQueue.put(): this queue instance is shut down');
    const data = encodeWith(this.#codec, item, 'RedisQueue.put()');
    const adapter = this.#own.adapter;
    const maxsize = this.maxsize;
    if (maxsize === 0) {
      await io((s) => this.#puts.add(data, s), signal, PUT_LABEL);
      return;
    }
    const args = [this.group, String(maxsize), 'd', data];
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      const r = await io(
        (s) => adapter.run(PUT_BOUNDED, [this.#stream], args, s),
        signal,
        PUT_LABEL,
      );
      if (r !== 0) return;
      const why = await this.#putAlarm.nap(wait, signal);
      if (why === 'shutdown' || this.#shutdown) {
        throw new QueueShutDown(
          'RedisQueue.put(): this queue instance was shut down while waiting',
        );
      }
    }
  }

  /**
   * Takes the next item, waiting until there is one (a cancellation point). The item is
   * this instance's until `taskDone()`; its lease is renewed while the process runs. An
   * item read for a `get()` that was cancelled, at any moment, goes to the next `get()` on
   * this instance. After `shutdown()`, returns the items this instance already read, then
   * throws `QueueShutDown`.
   *
   * @param opts `{ signal }`.
   * @returns The item.
   * @throws {QueueShutDown} when this instance is shut down (waiting getters at once).
   * @throws {CodecError} when an entry cannot be decoded (it goes to the dead letters).
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @example
   * ```ts
   * import { connect, RedisQueue } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * const q = new RedisQueue<string>(conn, 'mail');
   * await q.put('first');
   * console.log(await q.get()); // first
   * await q.taskDone();
   * ```
   */
  async get(opts?: WaitOptions): Promise<T> {
    const signal = signalOf(opts, 'RedisQueue.get()');
    signal?.throwIfAborted();
    const got = await this.#core.next(signal);
    if (got instanceof Signal) {
      if (got.kind === 'error') throw got.error;
      throw new QueueShutDown('RedisQueue.get(): this queue instance is shut down');
    }
    this.#putAlarm.ring('wake');
    try {
      return decodeWith(this.#codec, got.data, got.id);
    } catch (e) {
      const held = this.#core.unhold(got.id);
      if (held !== undefined) await this.#core.deadLetter(held, (e as CodecError).message);
      throw e;
    }
  }

  /**
   * Marks an item this instance got as done: it is acknowledged and deleted from Redis, and
   * will not be delivered again. As in asyncio it takes no argument: it settles the oldest
   * item the calling task got and has not settled (outside a task, or when the task got
   * none, the oldest this instance got).
   *
   * @throws {LeaseLostError} when this consumer had lost the item's lease (it stalled past
   *   the visibility timeout and another consumer took the item over): nothing is settled.
   * @throws {InvalidStateError} when this instance holds no unsettled item.
   * @throws {RedisUnavailableError} when the connection dropped on the way; the item stays
   *   held, so `taskDone()` can be called again.
   * @example
   * ```ts
   * import { connect, RedisQueue } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * const q = new RedisQueue<string>(conn, 'tasks');
   * await q.put('x');
   * await q.get();
   * await q.taskDone();
   * await q.join(); // nothing left anywhere
   * console.log('done'); // done
   * ```
   */
  async taskDone(): Promise<void> {
    const held = this.#core.unhold();
    if (held === undefined) {
      throw new InvalidStateError(
        'taskDone() called too many times: expected an item this instance got and has not settled, but it holds none',
      );
    }
    let left: number;
    try {
      left = await io((s) => this.#core.ack(held, s), undefined, DONE_LABEL);
    } catch (e) {
      // Not acknowledged (cancelled, or the connection dropped): still held. A lost lease
      // is final.
      if (!LeaseLostError.is(e)) this.#core.rehold(held);
      throw e;
    }
    if (left === 0) this.#joinAlarm.ring('wake');
  }

  /**
   * Waits until the queue is empty everywhere: no item waiting to be delivered and none held
   * by any consumer (the group's lag and pending list are both empty). A cancellation point.
   *
   * @param opts `{ signal }`.
   * @throws {QueueShutDown} when this instance is shut down while waiting.
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @example
   * ```ts
   * import { connect, RedisQueue } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * await new RedisQueue(conn, 'empty').join(); // nothing put: returns at once
   * console.log('joined'); // joined
   * ```
   */
  async join(opts?: WaitOptions): Promise<void> {
    const signal = signalOf(opts, 'RedisQueue.join()');
    signal?.throwIfAborted();
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      if (this.#shutdown)
        throw new QueueShutDown('RedisQueue.join(): this queue instance is shut down');
      const { lag, pending } = await io((s) => this.#core.state(s), signal, STATE_LABEL);
      if (lag === 0 && pending === 0) return;
      await this.#joinAlarm.nap(wait, signal);
    }
  }

  /**
   * The number of items waiting to be delivered to any consumer (the group's lag).
   *
   * @returns The count.
   * @example
   * ```ts
   * import { connect, RedisQueue } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * console.log(await new RedisQueue(conn, 'fresh').qsize()); // 0
   * ```
   */
  async qsize(): Promise<number> {
    return (await io((s) => this.#core.state(s), undefined, STATE_LABEL)).lag;
  }

  /**
   * Shuts this instance down (other instances of the queue carry on): `put()` and `join()`
   * throw `QueueShutDown`, and so do the tasks waiting in them and in `get()`, at once;
   * `get()` returns the items this instance already read, then throws. With `immediate`,
   * those items go back to the queue at once for other consumers. Items got and not done
   * stay held: `taskDone()` still works. Calling it again does nothing more (except an
   * `immediate` call after a plain one).
   *
   * @param immediate Give back the items read and not handed out (default false).
   * @returns When the reader has stopped and the items are given back.
   * @throws {TypeError} when `immediate` is not a boolean.
   * @example
   * ```ts
   * import { QueueShutDown } from '@aiots/sync';
   * import { connect, RedisQueue } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * const q = new RedisQueue(conn, 'closing');
   * await q.shutdown();
   * await q.put(1).catch((e) => console.log(QueueShutDown.is(e))); // true
   * ```
   */
  async shutdown(immediate = false): Promise<void> {
    if (typeof immediate !== 'boolean') {
      throw new TypeError(
        `RedisQueue.shutdown() expected \`immediate\` to be a boolean, got ${typeof immediate}`,
      );
    }
    this.#shutdown = true;
    this.#putAlarm.ring('shutdown');
    this.#joinAlarm.ring('shutdown');
    await this.#core.shutdown(immediate);
  }

  /**
   * Yields items as `get()` returns them until this instance is shut down. Call
   * `taskDone()` for each.
   *
   * @example
   * ```ts
   * import { connect, RedisQueue } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * const q = new RedisQueue<string>(conn, 'letters');
   * for (const s of ['a', 'b']) await q.put(s);
   * const seen: string[] = [];
   * for await (const s of q) {
   *   seen.push(s);
   *   await q.taskDone();
   *   if (seen.length === 2) await q.shutdown();
   * }
   * console.log(seen); // ['a', 'b']
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (e) {
        if (QueueShutDown.is(e)) return;
        throw e;
      }
      yield item;
    }
  }

  /**
   * The items that went to the dead letters (delivered `maxDeliveries` times without being
   * done, or impossible to decode), oldest first, as they are now; they stay there.
   *
   * @throws {CodecError} for a dead letter the codec cannot decode.
   * @example
   * ```ts
   * import { connect, RedisQueue } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * const q = new RedisQueue(conn, 'healthy');
   * const dead = [];
   * for await (const item of q.deadLetters()) dead.push(item);
   * console.log(dead.length); // 0
   * ```
   */
  async *deadLetters(): AsyncGenerator<T, void, undefined> {
    const adapter = this.#own.adapter;
    const key = queueKeys(this.name).dead;
    let from = '-';
    for (;;) {
      const page = (await io(
        (s) => adapter.send(['XRANGE', key, from, '+', 'COUNT', '100'], s),
        undefined,
        STATE_LABEL,
      )) as [string, string[]][];
      for (const [id, fields] of page)
        yield decodeWith(this.#codec, fieldOf(fields, 'd') ?? '', id);
      if (page.length < 100) return;
      from = `(${(page[page.length - 1] as [string, string[]])[0]}`;
    }
  }

  /**
   * A frozen snapshot of this instance: `{ held, buffered, getters, shutdown }`.
   *
   * @example
   * ```ts
   * import { connect, RedisQueue } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * console.log(new RedisQueue(conn, 'q').stats()); // { held: 0, buffered: 0, getters: 0, shutdown: false }
   * ```
   */
  stats(): RedisQueueStats {
    return Object.freeze({
      held: this.#core.heldCount,
      buffered: this.#core.inbox.buffered,
      getters: this.#core.inbox.waiting,
      shutdown: this.#shutdown,
    });
  }

  /**
   * Shuts this instance down for good: gives back the items it read and did not hand out,
   * stops its reader and heartbeat, and closes its reading connection. Items got and not
   * done stay with this consumer until the visibility timeout, then go to another. Also done
   * by the connection's `close()`.
   *
   * @example
   * ```ts
   * import { connect, RedisQueue } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * await using q = new RedisQueue(conn, 'short-lived');
   * await q.put('x');
   * console.log(await q.qsize()); // 1
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#shutdown = true;
      this.#putAlarm.ring('shutdown');
      this.#joinAlarm.ring('shutdown');
      await this.#core.close();
      this.#own.resources.delete(this);
    })();
    return this.#closing;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  toString(): string {
    const { held, buffered, getters, shutdown } = this.stats();
    return `<RedisQueue ${this.name} consumer=${this.consumer} held=${held} buffered=${buffered} getters=${getters}${shutdown ? ' shutdown' : ''}>`;
  }
}
