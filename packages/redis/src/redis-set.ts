/**
 * RedisSet: a set of strings in Redis, shared by every process that opens the same name; the
 * seen-set of a distributed crawl.
 */
import { describe, signalOf, type WaitOptions } from '@aiots/loop/lowlevel';
import { type ConnectionInternals, internalsOf, type RedisConnection } from './connection.ts';
import { checkName, setKey } from './names.ts';
import { io } from './waits.ts';

const LABEL = { label: 'RedisSet' };

/**
 * A set of strings in Redis (`SADD`, `SISMEMBER`, `SCARD`). `add()` is atomic across every
 * process: of many that add the same member at once, exactly one gets `true`, so it can
 * decide who handles something first.
 *
 * @example
 * ```ts
 * import { connect, RedisSet } from '@aiots/redis';
 * import { startRedisServer } from '@aiots/redis/testing';
 * await using server = await startRedisServer();
 * await using conn = await connect(server.url);
 * const seen = new RedisSet(conn, 'urls');
 * const fresh = await Promise.all(['a', 'b', 'a'].map((u) => seen.add(u)));
 * console.log(fresh, await seen.size()); // [true, true, false] 2
 * ```
 */
export class RedisSet {
  /** The set's name. */
  readonly name: string;
  /** The Redis key it lives under. */
  readonly key: string;
  readonly #own: ConnectionInternals;

  /**
   * @param conn The connection, from `connect()`.
   * @param name The set's name: 1 to 200 letters, digits or `_ . : - /`.
   * @throws {InvalidNameError} when `name` cannot name a Redis key.
   * @throws {TypeError} when `conn` is not a `RedisConnection`.
   */
  constructor(conn: RedisConnection, name: string) {
    this.name = checkName(name, 'name', 'RedisSet');
    this.#own = internalsOf(conn, 'RedisSet');
    this.key = setKey(this.name);
  }

  /**
   * Adds `member`.
   *
   * @param member The string to add.
   * @param opts `{ signal }`.
   * @returns `true` when it was not in the set (this call added it), `false` when it was.
   * @throws {TypeError} when `member` is not a string.
   * @example
   * ```ts
   * import { connect, RedisSet } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * const s = new RedisSet(conn, 'once');
   * console.log(await s.add('x'), await s.add('x')); // true false
   * ```
   */
  async add(member: string, opts?: WaitOptions): Promise<boolean> {
    const m = checkMember(member, 'RedisSet.add()');
    const signal = signalOf(opts, 'RedisSet.add()');
    const adapter = this.#own.adapter;
    return (await io((s) => adapter.send(['SADD', this.key, m], s), signal, LABEL)) === 1;
  }

  /**
   * Whether `member` is in the set.
   *
   * @param member The string to look for.
   * @param opts `{ signal }`.
   * @returns `true` when it is.
   * @throws {TypeError} when `member` is not a string.
   * @example
   * ```ts
   * import { connect, RedisSet } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * const s = new RedisSet(conn, 'lookup');
   * await s.add('x');
   * console.log(await s.has('x'), await s.has('y')); // true false
   * ```
   */
  async has(member: string, opts?: WaitOptions): Promise<boolean> {
    const m = checkMember(member, 'RedisSet.has()');
    const signal = signalOf(opts, 'RedisSet.has()');
    const adapter = this.#own.adapter;
    return (await io((s) => adapter.send(['SISMEMBER', this.key, m], s), signal, LABEL)) === 1;
  }

  /**
   * The number of members.
   *
   * @param opts `{ signal }`.
   * @returns The count.
   * @example
   * ```ts
   * import { connect, RedisSet } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * await using server = await startRedisServer();
   * await using conn = await connect(server.url);
   * console.log(await new RedisSet(conn, 'nothing-yet').size()); // 0
   * ```
   */
  async size(opts?: WaitOptions): Promise<number> {
    const signal = signalOf(opts, 'RedisSet.size()');
    const adapter = this.#own.adapter;
    return (await io((s) => adapter.send(['SCARD', this.key], s), signal, LABEL)) as number;
  }

  toString(): string {
    return `<RedisSet ${this.name}>`;
  }
}

/** Package-internal: checks a member or URL argument. */
export function checkMember(value: unknown, where: string): string {
  if (typeof value !== 'string') {
    throw new TypeError(`${where} expected a string, got ${describe(value)}`);
  }
  return value;
}
