/**
 * The one place that knows the Redis client library. Everything else in the package speaks
 * `ClientAdapter`: raw commands in, RESP2 replies out (strings, integers, arrays, null), Lua
 * scripts by SHA, a second connection for blocking reads, and errors already translated to
 * ours. Another client (ioredis, a cluster client) fits by implementing this interface.
 *
 * Over node-redis: RESP2 (stable array replies), no client-side command timeout (a blocking
 * `XREADGROUP` waits as long as its own `BLOCK`), commands issued while reconnecting wait in
 * the client's offline queue, and the reconnect strategy gives up only during `connect()`'s
 * start-up window; once connected, the client reconnects for as long as it lives.
 */
import { createHash } from 'node:crypto';
import { AbortError, createClient, ErrorReply } from 'redis';
import { RedisCommandError, RedisUnavailableError } from './errors.ts';

/** A RESP2 reply as the adapter returns it. */
export type Reply = string | number | null | Reply[];

/** Package-internal: a Lua script with its SHA1, run by `EVALSHA` (loaded on `NOSCRIPT`). */
export class Script {
  readonly sha: string;
  readonly source: string;
  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

/** Package-internal: where the server is, for error messages. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Package-internal: what the package needs from a Redis client. */
export interface ClientAdapter {
  readonly endpoint: Endpoint;
  /** True while the connection is up. */
  readonly ready: boolean;
  /** Connects, retrying until `deadline` (a `Date.now()` value); aborted by `signal`. */
  connect(deadline: number, signal?: AbortSignal): Promise<void>;
  /** Sends one command. Aborting `signal` drops it if it was not written yet. */
  send(args: readonly string[], signal?: AbortSignal): Promise<Reply>;
  /** Runs `script` with `keys` and `args` (EVALSHA, then EVAL on NOSCRIPT). */
  run(
    script: Script,
    keys: readonly string[],
    args: readonly string[],
    signal?: AbortSignal,
  ): Promise<Reply>;
  /** A new, unconnected client to the same server with the same options. */
  duplicate(): ClientAdapter;
  /** Called after every (re)connection. */
  onReady(listener: () => void): void;
  /** Closes after the commands in flight. */
  close(): Promise<void>;
  /** Closes at once; commands in flight reject. */
  destroy(): void;
}

/** Package-internal: the parts of a parsed Redis URL the adapter needs. */
export interface RedisTarget {
  readonly url: string;
  readonly endpoint: Endpoint;
}

type NodeRedisClient = ReturnType<typeof createClient>;

/** Package-internal: the node-redis adapter. */
export class NodeRedisAdapter implements ClientAdapter {
  readonly endpoint: Endpoint;
  readonly #target: RedisTarget;
  readonly #client: NodeRedisClient;
  /** During `connect()`: give up after this `Date.now()`. Afterwards: never give up. */
  #deadline = Number.POSITIVE_INFINITY;
  #lastError: unknown;
  readonly #readyListeners: (() => void)[] = [];

  constructor(target: RedisTarget) {
    this.#target = target;
    this.endpoint = target.endpoint;
    this.#client = createClient({
      url: target.url,
      RESP: 2,
      socket: {
        connectTimeout: 5_000,
        reconnectStrategy: (retries: number, cause: Error) => {
          this.#lastError = cause;
          if (Date.now() >= this.#deadline) return cause;
          return Math.min(25 * 2 ** retries, 500);
        },
      },
    });
    // Connection errors are reported through the commands that fail and through connect();
    // without a listener, node-redis would throw them as unhandled 'error' events.
    this.#client.on('error', (e: unknown) => {
      this.#lastError = e;
    });
    this.#client.on('ready', () => {
      for (const listener of this.#readyListeners) listener();
    });
  }

  get ready(): boolean {
    return this.#client.isReady;
  }

  async connect(deadline: number, signal?: AbortSignal): Promise<void> {
    this.#deadline = deadline;
    const onAbort = () => this.#client.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#client.connect();
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const { host, port } = this.endpoint;
      const cause = this.#lastError ?? e;
      const why = cause instanceof Error ? `: ${cause.message}` : '';
      throw new RedisUnavailableError(host, port, `Redis at ${host}:${port} is unavailable${why}`, {
        cause,
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#deadline = Number.POSITIVE_INFINITY;
    }
  }

  async send(args: readonly string[], signal?: AbortSignal): Promise<Reply> {
    const options = signal === undefined ? undefined : { abortSignal: signal };
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.#client.sendCommand(args as string[], options)) as Reply;
      } catch (e) {
        // A server that has just restarted refuses commands while it loads its data: the
        // command was not run, so it waits and goes again, as it would have waited in the
        // client's queue while the server was down.
        if (e instanceof ErrorReply && e.message.startsWith('LOADING') && !signal?.aborted) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** attempt, 200)));
          continue;
        }
        throw this.#translate(e, args[0] as string, signal);
      }
    }
  }

  async run(
    script: Script,
    keys: readonly string[],
    args: readonly string[],
    signal?: AbortSignal,
  ): Promise<Reply> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.send(['EVALSHA', script.sha, ...tail], signal);
    } catch (e) {
      // A restarted server has lost its script cache.
      if (!RedisCommandError.is(e) || !e.message.startsWith('NOSCRIPT')) throw e;
      return await this.send(['EVAL', script.source, ...tail], signal);
    }
  }

  duplicate(): ClientAdapter {
    return new NodeRedisAdapter(this.#target);
  }

  onReady(listener: () => void): void {
    this.#readyListeners.push(listener);
  }

  async close(): Promise<void> {
    if (!this.#client.isOpen) return;
    // Reconnecting: a graceful close would wait for the server to come back.
    if (!this.#client.isReady) {
      this.#client.destroy();
      return;
    }
    try {
      await this.#client.close();
    } catch {
      this.#client.destroy();
    }
  }

  destroy(): void {
    if (this.#client.isOpen) this.#client.destroy();
  }

  #translate(e: unknown, command: string, signal: AbortSignal | undefined): unknown {
    if (e instanceof AbortError && signal?.aborted) return signal.reason;
    if (e instanceof ErrorReply) return new RedisCommandError(command, e.message, { cause: e });
    const { host, port } = this.endpoint;
    const why = e instanceof Error ? `: ${e.message}` : '';
    return new RedisUnavailableError(
      host,
      port,
      `Redis at ${host}:${port} is unavailable (${command} failed${why})`,
      { cause: e },
    );
  }
}
