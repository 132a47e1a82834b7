/**
 * RedisFrontier: the to-do list of a crawl shared by N worker processes: every URL claimed
 * once across all of them (a seen-set), handed out once (a work stream with its consumer
 * group, the same engine as `RedisQueue`), and an end that every worker sees.
 *
 * The end of a crawl is the hard part: "nothing to do" must not be mistaken for "done" while
 * a page that is being fetched may still add links. A crawl has ended when, at one instant
 * (one Lua script), no URL waits to be handed out (lag 0), none is held by a worker (pending
 * 0: a page being fetched stays pending until `done()`, and its links must be claimed before
 * that), and no worker is busy. A worker is busy from its first `claim()` (the seeding, before
 * anything is pending) until it waits in `next()` holding nothing; the busy mark is a lease in
 * a sorted set, renewed by the heartbeat, so a worker killed while busy stops counting when
 * its lease runs out, and the URLs it held come back to the others after the same lease.
 */
import { InvalidStateError } from '@aiots/loop';
import { signalOf, type WaitOptions } from '@aiots/loop/lowlevel';
import { type ConnectionInternals, internalsOf, type RedisConnection } from './connection.ts';
import { LeaseLostError } from './errors.ts';
import { Signal } from './inbox.ts';
import { type CrawlKeys, checkName, crawlKeys } from './names.ts';
import { checkInt, checkOptions, checkTimings, consumerName } from './options.ts';
import { checkMember } from './redis-set.ts';
import { CLAIM, FINISHED } from './scripts.ts';
import { fieldOf, StreamConsumer } from './stream-consumer.ts';
import { io } from './waits.ts';

/** Options of `new RedisFrontier()`. */
export interface RedisFrontierOptions {
  /** Goes into this worker's consumer name, which is unique per instance either way. */
  consumer?: string | undefined;
  /**
   * The lease of a page and of a worker's busy mark, in milliseconds (default 30 000): a
   * worker that shows no sign of life for this long loses its pages to the others and stops
   * counting as busy. A live worker keeps both however long a page takes (heartbeat).
   */
  leaseMs?: number | undefined;
  /** Deliveries of a URL before it goes to the dead letters (default 5). */
  maxDeliveries?: number | undefined;
  /**
   * The longest a blocking read waits before it is re-issued, in milliseconds (10 to 2 000,
   * default 2 000); also how late an idle worker may notice the end of the crawl.
   */
  blockMs?: number | undefined;
}

/** Options of `RedisFrontier.claim()`. */
export interface ClaimOptions extends WaitOptions {
  /** How many links from a start URL (default 0), given back by `depthOf()`. */
  depth?: number | undefined;
}

/** What `RedisFrontier.stats()` returns: this worker's side of the crawl. */
export interface RedisFrontierStats {
  /** URLs this worker got from `next()` and has not marked `done()`. */
  readonly held: number;
  /** Tasks waiting in `next()`. */
  readonly waiting: number;
  /** True while this worker counts as busy. */
  readonly busy: boolean;
}

const GROUP = 'crawlers';
const LABEL = { label: 'RedisFrontier' };

/**
 * The shared frontier of a distributed crawl: `claim(url)` adds a URL unless any worker ever
 * claimed it, `next()` hands out the next URL to fetch (once across all workers, again only
 * if the worker holding it dies), `done(url)` marks it fetched, and `next()` returns
 * `undefined` once the whole crawl has ended.
 *
 * Rules for workers: claim the start URLs in every worker before its first `next()` (a
 * worker that starts late then simply finds them claimed), and claim the links of a page
 * before calling `done()` for it.
 *
 * @example
 * ```ts
 * import { taskGroup } from '@aiots/loop';
 * import { connect, RedisFrontier } from '@aiots/redis';
 * import { startRedisServer } from '@aiots/redis/testing';
 * await using server = await startRedisServer();
 * await using conn = await connect(server.url);
 * // A site of pages 1..20 where page n links to 2n and 2n + 1.
 * const links = (n: number) => [2 * n, 2 * n + 1].filter((m) => m <= 20);
 * const fetched: number[] = [];
 * await taskGroup(async (tg) => {
 *   for (let w = 0; w < 3; w++) {
 *     tg.createTask(async () => {
 *       const frontier = new RedisFrontier(conn, 'site', { blockMs: 50 });
 *       await frontier.claim('1');
 *       for (let url = await frontier.next(); url !== undefined; url = await frontier.next()) {
 *         fetched.push(Number(url));
 *         for (const m of links(Number(url))) await frontier.claim(String(m));
 *         await frontier.done(url);
 *       }
 *       await frontier.close();
 *     });
 *   }
 * });
 * console.log(fetched.length, new Set(fetched).size); // 20 20
 * ```
 */
export class RedisFrontier implements AsyncDisposable {
  /** The crawl id. */
  readonly crawlId: string;
  /** This worker's consumer name. */
  readonly consumer: string;
  readonly #own: ConnectionInternals;
  readonly #keys: CrawlKeys;
  readonly #core: StreamConsumer;
  readonly #leaseMs: number;
  /** Claims that marked this worker busy, so far. */
  #claims = 0;
  #closing: Promise<void> | undefined;

  /**
   * @param conn The connection, from `connect()`.
   * @param crawlId The crawl's id: 1 to 200 letters, digits or `_ . : - /` (no spaces).
   * @param opts `consumer`, `leaseMs`, `maxDeliveries`, `blockMs`.
   * @throws {InvalidNameError} when `crawlId` or `consumer` cannot name Redis keys.
   * @throws {TypeError} when `conn` is not a `RedisConnection` or an option has the wrong type.
   * @throws {RangeError} when a number option is out of range.
   */
  constructor(conn: RedisConnection, crawlId: string, opts?: RedisFrontierOptions) {
    const where = 'RedisFrontier';
    const own = internalsOf(conn, where);
    this.crawlId = checkName(crawlId, 'crawlId', where);
    checkOptions(opts, where);
    this.consumer = consumerName(opts?.consumer, where);
    this.#leaseMs = checkInt(opts?.leaseMs, 30_000, 'leaseMs', where, 30, 86_400_000);
    const timings = checkTimings(opts, this.#leaseMs, where);
    if (own.closed) {
      throw new InvalidStateError('RedisFrontier expected an open connection, got a closed one');
    }
    this.#own = own;
    this.#keys = crawlKeys(this.crawlId);
    this.#core = new StreamConsumer({
      adapter: own.adapter,
      name: this.crawlId,
      keys: this.#keys,
      group: GROUP,
      consumer: this.consumer,
      field: 'u',
      ...timings,
      onIdle: () => this.#check(this.#core.heldCount === 0),
    });
    own.resources.add(this);
  }

  /**
   * Adds `url` to the crawl unless it was ever claimed, atomically across every worker;
   * marks this worker busy when it holds no page (the seeding).
   *
   * @param url The URL (any string; normalise it first, as the seen-set compares strings).
   * @param opts `depth` (how many links from a start URL, for `depthOf()`; default 0),
   *   `signal`.
   * @returns `true` when this call added it, `false` when it was claimed before.
   * @throws {TypeError} when `url` is not a string or `depth` not a number.
   * @throws {RangeError} when `depth` is not an integer from 0 up.
   * @throws {InvalidStateError} when this frontier is closed.
   * @example
   * ```ts
   * import { connect, RedisFrontier } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * await using frontier = new RedisFrontier(conn, 'claims');
   * console.log(await frontier.claim('https://example.com/'), await frontier.claim('https://example.com/')); // true false
   * ```
   */
  async claim(url: string, opts?: ClaimOptions): Promise<boolean> {
    const u = checkMember(url, 'RedisFrontier.claim()');
    const signal = signalOf(opts, 'RedisFrontier.claim()');
    const depth = checkInt(opts?.depth, 0, 'depth', 'RedisFrontier.claim()', 0);
    const core = this.#core;
    if (core.stopped) throw new InvalidStateError('RedisFrontier.claim(): this frontier is closed');
    await io(() => core.ensure(), signal, LABEL);
    const register = !core.busy && core.heldCount === 0;
    const k = this.#keys;
    const added = await io(
      (s) =>
        this.#own.adapter.run(
          CLAIM,
          [k.seen, k.stream, k.busy],
          [u, this.consumer, String(this.#leaseMs), register ? '1' : '0', String(depth)],
          s,
        ),
      signal,
      LABEL,
    );
    if (register) {
      this.#claims++;
      core.busy = true;
      core.keepAlive();
    }
    return added === 1;
  }

  /**
   * The next URL for this worker to fetch, waiting for one (a cancellation point); it is
   * this worker's until `done(url)`, its lease renewed while the process runs.
   * `undefined` when the crawl has ended (nothing waiting, nothing held, no worker busy),
   * noticed within `blockMs`, or after `close()`.
   *
   * @param opts `{ signal }`.
   * @returns The URL, or `undefined` at the end.
   * @throws {CancelledError} when the task is cancelled while waiting; a URL read for it goes
   *   to the next `next()` of this worker.
   * @example
   * ```ts
   * import { connect, RedisFrontier } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * await using frontier = new RedisFrontier(conn, 'tiny');
   * await frontier.claim('a');
   * const url = await frontier.next();
   * await frontier.done(url as string);
   * console.log(url, await frontier.next()); // a undefined
   * ```
   */
  async next(opts?: WaitOptions): Promise<string | undefined> {
    const signal = signalOf(opts, 'RedisFrontier.next()');
    signal?.throwIfAborted();
    const got = await this.#core.next(signal);
    if (got instanceof Signal) {
      if (got.kind === 'error') throw got.error;
      return undefined;
    }
    return got.data;
  }

  /**
   * The depth a URL this worker holds was claimed with (`claim(url, { depth })`), for
   * depth-limited crawls: claim a page's links with its depth + 1.
   *
   * @param url A URL `next()` returned and not yet marked `done()`.
   * @returns Its depth, or `undefined` when this worker holds no such URL.
   * @example
   * ```ts
   * import { connect, RedisFrontier } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * await using frontier = new RedisFrontier(conn, 'depths');
   * await frontier.claim('/deep', { depth: 3 });
   * const url = (await frontier.next()) as string;
   * console.log(frontier.depthOf(url), frontier.depthOf('/other')); // 3 undefined
   * await frontier.done(url);
   * ```
   */
  depthOf(url: string): number | undefined {
    const entry = this.#core.findHeld(checkMember(url, 'RedisFrontier.depthOf()'));
    if (entry === undefined) return undefined;
    return Number(fieldOf(entry.fields, 'depth') ?? 0);
  }

  /**
   * Marks a URL this worker got from `next()` as fetched: it is acknowledged and never
   * handed out again. Claim its links first.
   *
   * @param url The URL, as `next()` returned it.
   * @param opts `{ signal }`.
   * @throws {LeaseLostError} when this worker had lost the URL's lease (it stalled past
   *   `leaseMs` and another worker took it over).
   * @throws {InvalidStateError} when this worker holds no such URL.
   * @throws {RedisUnavailableError} when the connection dropped on the way (still held).
   * @example
   * ```ts
   * import { connect, RedisFrontier } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * await using frontier = new RedisFrontier(conn, 'one-page');
   * await frontier.claim('/');
   * await frontier.done((await frontier.next()) as string);
   * console.log(await frontier.finished()); // true
   * ```
   */
  async done(url: string, opts?: WaitOptions): Promise<void> {
    const u = checkMember(url, 'RedisFrontier.done()');
    const signal = signalOf(opts, 'RedisFrontier.done()');
    const entry = this.#core.findHeld(u);
    const held = entry === undefined ? undefined : this.#core.unhold(entry.id);
    if (held === undefined) {
      throw new InvalidStateError(
        `RedisFrontier.done() expected a URL this worker got from next() and has not marked done, got "${u}"`,
      );
    }
    try {
      await io((s) => this.#core.ack(held, s), signal, LABEL);
    } catch (e) {
      if (!LeaseLostError.is(e)) this.#core.rehold(held);
      throw e;
    }
  }

  /**
   * Whether the crawl has ended: no URL waiting, none held by any worker, no worker busy.
   * Asking counts this worker as idle when it holds no URL (it is not about to add any).
   *
   * @param opts `{ signal }`.
   * @returns `true` once the crawl has ended.
   * @example
   * ```ts
   * import { connect, RedisFrontier } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * await using frontier = new RedisFrontier(conn, 'pending');
   * await frontier.claim('/');
   * console.log(await frontier.finished()); // false
   * ```
   */
  async finished(opts?: WaitOptions): Promise<boolean> {
    const signal = signalOf(opts, 'RedisFrontier.finished()');
    if (this.#core.stopped) {
      throw new InvalidStateError('RedisFrontier.finished(): this frontier is closed');
    }
    await io(() => this.#core.ensure(), signal, LABEL);
    return await io(() => this.#check(this.#core.heldCount === 0), signal, LABEL);
  }

  async #check(idle: boolean): Promise<boolean> {
    // A claim that registers this worker while the check is on its way wins: the worker
    // stays busy (if the check's removal came after the claim's mark, the next heartbeat
    // marks it again).
    const claims = this.#claims;
    const k = this.#keys;
    const r = (await this.#own.adapter.run(
      FINISHED,
      [k.stream, k.busy],
      [GROUP, this.consumer, idle ? '1' : '0'],
    )) as number[];
    if (idle && claims === this.#claims) this.#core.busy = false;
    return r[0] === 0 && r[1] === 0 && r[2] === 0;
  }

  /**
   * The URLs that went to the dead letters (handed out `maxDeliveries` times, each time to a
   * worker that died before `done()`), oldest first.
   *
   * @example
   * ```ts
   * import { connect, RedisFrontier } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * await using frontier = new RedisFrontier(conn, 'fine');
   * const dead: string[] = [];
   * for await (const url of frontier.deadLetters()) dead.push(url);
   * console.log(dead); // []
   * ```
   */
  async *deadLetters(): AsyncGenerator<string, void, undefined> {
    const adapter = this.#own.adapter;
    let from = '-';
    for (;;) {
      const page = (await io(
        (s) => adapter.send(['XRANGE', this.#keys.dead, from, '+', 'COUNT', '100'], s),
        undefined,
        LABEL,
      )) as [string, string[]][];
      for (const [, fields] of page) {
        const url = fieldOf(fields, 'u');
        if (url !== undefined) yield url;
      }
      if (page.length < 100) return;
      from = `(${(page[page.length - 1] as [string, string[]])[0]}`;
    }
  }

  /**
   * A frozen snapshot of this worker: `{ held, waiting, busy }`.
   *
   * @example
   * ```ts
   * import { connect, RedisFrontier } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * await using frontier = new RedisFrontier(conn, 'stats');
   * console.log(frontier.stats()); // { held: 0, waiting: 0, busy: false }
   * ```
   */
  stats(): RedisFrontierStats {
    return Object.freeze({
      held: this.#core.heldCount,
      waiting: this.#core.inbox.waiting,
      busy: this.#core.busy,
    });
  }

  /**
   * Leaves the crawl: tasks waiting in `next()` get `undefined`, URLs read and not handed
   * out go back to the others at once, the busy mark is dropped. URLs got and not done stay
   * with this worker until their lease runs out, then go to another. Also done by the
   * connection's `close()`.
   *
   * @example
   * ```ts
   * import { connect, RedisFrontier } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * const frontier = new RedisFrontier(conn, 'leaving');
   * await frontier.close();
   * console.log(await frontier.next()); // undefined
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const core = this.#core;
      await core.shutdown(true);
      if (core.busy) await this.#check(core.heldCount === 0).catch(() => {});
      await core.close();
      this.#own.resources.delete(this);
    })();
    return this.#closing;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  toString(): string {
    const { held, waiting, busy } = this.stats();
    return `<RedisFrontier ${this.crawlId} consumer=${this.consumer} held=${held} waiting=${waiting}${busy ? ' busy' : ''}>`;
  }
}
