/**
 * The named errors of `@aiots/redis`. Each extends `AiotsError` from `@aiots/loop`, carries a
 * stable `name` and `code`, passes `{ cause }` through, and is recognised by `is()` through a
 * `Symbol.for` brand, so the check holds even when two copies of the package are loaded.
 *
 * Bad arguments throw `TypeError` (wrong type) or `RangeError` (a number out of range); a
 * queue that is shut down throws `QueueShutDown` from `@aiots/sync`, as an in-process queue
 * does.
 */
import { AiotsError } from '@aiots/loop';
import { isErrorKind as isKind, errorKind as kind } from '@aiots/loop/lowlevel';

/**
 * Redis could not be reached: at start, after `connect()` retried for its `connectTimeoutMs`;
 * later, by a command in flight when the connection dropped (a `put()` or `taskDone()` during
 * a Redis restart). `host` and `port` say which server; `cause` holds the client's error.
 *
 * @example
 * ```ts
 * import { connect, RedisUnavailableError } from '@aiots/redis';
 * // Nothing listens on port 1: connect() retries for a second, then gives up.
 * const err = await connect('redis://127.0.0.1:1', { connectTimeoutMs: 1_000 }).catch((e) => e);
 * console.log(RedisUnavailableError.is(err), err.host, err.port); // true 127.0.0.1 1
 * ```
 */
export class RedisUnavailableError extends AiotsError {
  readonly [kind] = 'RedisUnavailableError';
  override readonly code: string = 'AIOTS_REDIS_UNAVAILABLE';
  override name = 'RedisUnavailableError';
  /** The host of the server that could not be reached. */
  readonly host: string;
  /** Its port. */
  readonly port: number;

  /**
   * @param host The server's host.
   * @param port The server's port.
   * @param message What failed.
   * @param options `{ cause }`: the client's error.
   */
  constructor(host: string, port: number, message?: string, options?: ErrorOptions) {
    super(message ?? `Redis at ${host}:${port} is unavailable`, options);
    this.host = host;
    this.port = port;
  }

  /** True when `e` is a `RedisUnavailableError` from any copy of `@aiots/redis`. */
  static override is(e: unknown): e is RedisUnavailableError {
    return isKind(e, 'RedisUnavailableError');
  }
}

/**
 * `taskDone()` (or `RedisFrontier.done()`) settled an item whose lease this consumer had lost:
 * its heartbeat stopped for longer than the visibility timeout (a blocked event loop), and
 * another consumer reclaimed the item or it went to the dead letters. The item is not
 * acknowledged twice; whoever holds it now settles it. `id` is the stream entry's id.
 *
 * @example
 * ```ts
 * import { LeaseLostError } from '@aiots/redis';
 * const e = new LeaseLostError('1700000000000-0');
 * console.log(LeaseLostError.is(e), e.code, e.id); // true AIOTS_REDIS_LEASE_LOST 1700000000000-0
 * ```
 */
export class LeaseLostError extends AiotsError {
  readonly [kind] = 'LeaseLostError';
  override readonly code: string = 'AIOTS_REDIS_LEASE_LOST';
  override name = 'LeaseLostError';
  /** The stream entry id of the item. */
  readonly id: string;

  /**
   * @param id The stream entry id of the item whose lease was lost.
   * @param message What happened.
   * @param options `{ cause }`.
   */
  constructor(id: string, message?: string, options?: ErrorOptions) {
    super(
      message ??
        `the lease on item ${id} was lost (its consumer stalled past the visibility timeout and another consumer reclaimed it, or it went to the dead letters): it was not acknowledged`,
      options,
    );
    this.id = id;
  }

  /** True when `e` is a `LeaseLostError` from any copy of `@aiots/redis`. */
  static override is(e: unknown): e is LeaseLostError {
    return isKind(e, 'LeaseLostError');
  }
}

/**
 * `connect()` was given something that is not a Redis URL (`redis://` or `rediss://`, a host,
 * a port from 1 to 65535, an optional database number). `input` is what it got, with any
 * password masked.
 *
 * @example
 * ```ts
 * import { connect, InvalidRedisUrlError } from '@aiots/redis';
 * const err = await connect('http://localhost:6379').catch((e) => e);
 * console.log(InvalidRedisUrlError.is(err), err.input); // true http://localhost:6379
 * ```
 */
export class InvalidRedisUrlError extends AiotsError {
  readonly [kind] = 'InvalidRedisUrlError';
  override readonly code: string = 'AIOTS_REDIS_INVALID_URL';
  override name = 'InvalidRedisUrlError';
  /** The input, password masked. */
  readonly input: string;

  /**
   * @param input The input as shown in the message (password masked).
   * @param message What was expected and what came.
   */
  constructor(input: string, message: string) {
    super(message);
    this.input = input;
  }

  /** True when `e` is an `InvalidRedisUrlError` from any copy of `@aiots/redis`. */
  static override is(e: unknown): e is InvalidRedisUrlError {
    return isKind(e, 'InvalidRedisUrlError');
  }
}

/**
 * A queue name, set name, group, consumer or crawl id that cannot name Redis keys: empty,
 * longer than 200 characters, or with a character other than letters, digits and `_ . : - /`
 * (a space, a brace). `input` is what came.
 *
 * @example
 * ```ts
 * import { InvalidNameError, RedisSet } from '@aiots/redis';
 * try {
 *   new RedisSet(null as never, 'my crawl');
 * } catch (e) {
 *   console.log(InvalidNameError.is(e), (e as InvalidNameError).input); // true my crawl
 * }
 * ```
 */
export class InvalidNameError extends AiotsError {
  readonly [kind] = 'InvalidNameError';
  override readonly code: string = 'AIOTS_REDIS_INVALID_NAME';
  override name = 'InvalidNameError';
  /** The rejected name. */
  readonly input: string;

  /**
   * @param input The rejected name.
   * @param message What was expected and what came.
   */
  constructor(input: string, message: string) {
    super(message);
    this.input = input;
  }

  /** True when `e` is an `InvalidNameError` from any copy of `@aiots/redis`. */
  static override is(e: unknown): e is InvalidNameError {
    return isKind(e, 'InvalidNameError');
  }
}

/**
 * The queue's codec could not encode an item for `put()` (a `BigInt` or a cycle for JSON, or
 * an encoder that returned something other than a string), or could not decode an entry.
 * Nothing was put; an entry that cannot be decoded goes to the dead letters. `cause` holds
 * the codec's own error.
 *
 * @example
 * ```ts
 * import { CodecError, jsonCodec } from '@aiots/redis';
 * try {
 *   jsonCodec.encode(10n);
 * } catch (e) {
 *   console.log(CodecError.is(e)); // true
 * }
 * ```
 */
export class CodecError extends AiotsError {
  readonly [kind] = 'CodecError';
  override readonly code: string = 'AIOTS_REDIS_CODEC';
  override name = 'CodecError';

  /** True when `e` is a `CodecError` from any copy of `@aiots/redis`. */
  static override is(e: unknown): e is CodecError {
    return isKind(e, 'CodecError');
  }
}

/**
 * A `RedisQueue` was opened with a consumer group other than the one its stream is already
 * served by. A queue's items are work to share, acknowledged and deleted once done, so one
 * stream has one group; use another queue name for another set of consumers.
 *
 * @example
 * ```ts
 * import { GroupMismatchError } from '@aiots/redis';
 * const e = new GroupMismatchError('jobs', 'workers', 'other');
 * console.log(GroupMismatchError.is(e), e.message); // true queue "jobs" is served by group "workers", not "other": one queue has one group
 * ```
 */
export class GroupMismatchError extends AiotsError {
  readonly [kind] = 'GroupMismatchError';
  override readonly code: string = 'AIOTS_REDIS_GROUP_MISMATCH';
  override name = 'GroupMismatchError';

  /**
   * @param name The queue name.
   * @param existing The group the queue's stream is served by.
   * @param wanted The group asked for.
   */
  constructor(name: string, existing: string, wanted: string) {
    super(
      `queue "${name}" is served by group "${existing}", not "${wanted}": one queue has one group`,
    );
  }

  /** True when `e` is a `GroupMismatchError` from any copy of `@aiots/redis`. */
  static override is(e: unknown): e is GroupMismatchError {
    return isKind(e, 'GroupMismatchError');
  }
}

/**
 * Redis answered a command with an error reply (a `WRONGTYPE` when a key of the queue holds
 * something else, a script error, an `OOM`). The message is the server's; `command` names the
 * command that failed.
 *
 * @example
 * ```ts
 * import { RedisCommandError } from '@aiots/redis';
 * const e = new RedisCommandError('XADD', 'WRONGTYPE Operation against a key holding the wrong kind of value');
 * console.log(RedisCommandError.is(e), e.command); // true XADD
 * ```
 */
export class RedisCommandError extends AiotsError {
  readonly [kind] = 'RedisCommandError';
  override readonly code: string = 'AIOTS_REDIS_COMMAND';
  override name = 'RedisCommandError';
  /** The command that failed (`XADD`, `EVALSHA`). */
  readonly command: string;

  /**
   * @param command The command that failed.
   * @param message The server's error reply.
   * @param options `{ cause }`: the client's error.
   */
  constructor(command: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.command = command;
  }

  /** True when `e` is a `RedisCommandError` from any copy of `@aiots/redis`. */
  static override is(e: unknown): e is RedisCommandError {
    return isKind(e, 'RedisCommandError');
  }
}
