/**
 * connect() and RedisConnection: one command connection to a Redis server, shared by the
 * queues, sets and frontiers made on it (each reader that blocks gets a connection of its
 * own, made from this one).
 */
import { bridge, describe, signalOf, type WaitOptions } from '@aiots/loop/lowlevel';
import { type ClientAdapter, NodeRedisAdapter, type RedisTarget } from './adapter.ts';
import { InvalidRedisUrlError } from './errors.ts';

/** Options of `connect()`. */
export interface ConnectOptions extends WaitOptions {
  /**
   * How long to keep trying while the server does not answer at start, in milliseconds
   * (default 5 000; from 0 to 600 000). Then `connect()` rejects with
   * `RedisUnavailableError`. Once connected, the connection comes back by itself after a
   * drop, for as long as it is open.
   */
  connectTimeoutMs?: number | undefined;
}

/** Something that lives on a connection and is closed with it (a queue's reader). */
export interface Resource {
  close(): Promise<void>;
}

/** Package-internal: what the package's classes reach through a `RedisConnection`. */
export interface ConnectionInternals {
  readonly adapter: ClientAdapter;
  readonly resources: Set<Resource>;
  closed: boolean;
}

const internals = new WeakMap<RedisConnection, ConnectionInternals>();

/**
 * Package-internal: the adapter and resources of `conn`.
 *
 * @throws {TypeError} when `conn` is not a `RedisConnection`.
 */
export function internalsOf(conn: unknown, where: string): ConnectionInternals {
  const found = internals.get(conn as RedisConnection);
  if (found === undefined) {
    throw new TypeError(
      `${where} expected a RedisConnection from connect(), got ${describe(conn)}`,
    );
  }
  return found;
}

/**
 * A connection to one Redis server, made by `connect()`. Queues, sets and frontiers are made
 * on it; `close()` closes them and the connection. Disposable with `await using`.
 *
 * @example
 * ```ts
 * import { connect } from '@aiots/redis';
 * import { startRedisServer } from '@aiots/redis/testing';
 * await using server = await startRedisServer();
 * await using conn = await connect(server.url);
 * console.log(conn.closed); // false
 * ```
 */
export class RedisConnection implements AsyncDisposable {
  /** The server's URL, its password masked. */
  readonly url: string;
  #closing: Promise<void> | undefined;

  /** Made by `connect()`; not constructed directly. */
  private constructor(url: string, adapter: ClientAdapter) {
    this.url = url;
    internals.set(this, { adapter, resources: new Set(), closed: false });
  }

  /** @internal */
  static make(url: string, adapter: ClientAdapter): RedisConnection {
    return new RedisConnection(url, adapter);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return (internals.get(this) as ConnectionInternals).closed;
  }

  /**
   * Closes every queue, set and frontier made on this connection (their unhanded items are
   * released to other consumers, see `RedisQueue.close()`), then the connection. Calling it
   * again returns the same promise.
   *
   * @returns When everything is closed.
   * @example
   * ```ts
   * import { connect } from '@aiots/redis';
   * import { startRedisServer } from '@aiots/redis/testing';
   * const server = await startRedisServer();
   * const conn = await connect(server.url);
   * await conn.close();
   * console.log(conn.closed); // true
   * await server.stop();
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const own = internals.get(this) as ConnectionInternals;
    own.closed = true;
    await Promise.allSettled([...own.resources].map((r) => r.close()));
    own.resources.clear();
    await own.adapter.close();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  toString(): string {
    return `<RedisConnection ${this.url}${this.closed ? ' closed' : ''}>`;
  }
}

/** Package-internal: a Redis URL checked, with the password masked for messages. */
export function parseRedisUrl(
  input: unknown,
  where = 'connect()',
): RedisTarget & { shown: string } {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    throw new TypeError(
      `${where} expected a Redis URL string like redis://localhost:6379, got ${describe(input)}`,
    );
  }
  const text = String(input);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidRedisUrlError(
      text,
      `${where} expected a Redis URL like redis://localhost:6379, got "${text}"`,
    );
  }
  if (url.password !== '') url.password = '***';
  const shown = url.protocol === 'redis:' || url.protocol === 'rediss:' ? url.href : text;
  const fail = (why: string) =>
    new InvalidRedisUrlError(
      shown,
      `${where} expected a Redis URL like redis://localhost:6379 (${why}), got "${shown}"`,
    );
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw fail('scheme redis: or rediss:');
  }
  if (url.hostname === '') throw fail('a host');
  const port = url.port === '' ? 6379 : Number(url.port);
  if (port < 1) throw fail('a port from 1 to 65535');
  if (!/^\/?(\d+)?$/.test(url.pathname)) throw fail('an optional database number as the path');
  if (url.search !== '' || url.hash !== '') throw fail('no query or fragment');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url: text, endpoint: { host, port }, shown };
}

/**
 * Connects to a Redis server. While the server does not answer, it retries for
 * `connectTimeoutMs` (5 s by default) and then rejects with `RedisUnavailableError` naming
 * the host and port. A cancellation point: cancelling the task (or aborting `signal`) stops
 * trying.
 *
 * @param url `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS.
 * @param opts `connectTimeoutMs`, `signal`.
 * @returns The open connection.
 * @throws {InvalidRedisUrlError} at once, when `url` is not a Redis URL (the message shows it).
 * @throws {RedisUnavailableError} when the server did not answer in time.
 * @throws {TypeError} when `url` is not a string or an option has the wrong type.
 * @throws {RangeError} when `connectTimeoutMs` is out of range.
 * @throws {CancelledError} when the task is cancelled while connecting.
 * @example
 * ```ts
 * import { connect, RedisQueue } from '@aiots/redis';
 * import { startRedisServer } from '@aiots/redis/testing';
 * await using server = await startRedisServer();
 * await using conn = await connect(server.url);
 * const q = new RedisQueue<string>(conn, 'greetings');
 * await q.put('hello');
 * console.log(await q.get()); // hello
 * await q.taskDone();
 * ```
 */
export async function connect(url: string | URL, opts?: ConnectOptions): Promise<RedisConnection> {
  const target = parseRedisUrl(url);
  const signal = signalOf(opts, 'connect()');
  const timeoutMs = opts?.connectTimeoutMs ?? 5_000;
  if (typeof timeoutMs !== 'number') {
    throw new TypeError(
      `connect() expected \`connectTimeoutMs\` to be a number of milliseconds, got ${describe(timeoutMs)}`,
    );
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 600_000) {
    throw new RangeError(
      `connect() expected \`connectTimeoutMs\` to be an integer from 0 to 600000, got ${timeoutMs}`,
    );
  }
  signal?.throwIfAborted();
  const adapter = new NodeRedisAdapter(target);
  const deadline = Date.now() + timeoutMs;
  const connecting = bridge((bridged) => adapter.connect(deadline, any(bridged, signal)), {
    label: 'connect',
  });
  try {
    await connecting;
  } catch (e) {
    adapter.destroy();
    throw e;
  }
  return RedisConnection.make(target.shown, adapter);
}

function any(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  return b === undefined ? a : AbortSignal.any([a, b]);
}
