/**
 * ClientSession: aiohttp's session on undici. One pool of connections for many requests,
 * with `limit`/`limitPerHost` caps, shared settings, a cookie jar, and cancellable requests.
 */
import type { ConnectionOptions } from 'node:tls';
import { InvalidStateError } from '@aiots/loop';
import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import type { CookieJar } from './cookie-jar.ts';
import { ClientConnectionError } from './errors.ts';
import type { Exchange } from './exchange.ts';
import { Limits } from './limits.ts';
import {
  type RequestOptions,
  type Resolved,
  resolveRequest,
  resolveSession,
  type SessionOptions,
} from './options.ts';
import { type EncodedBody, encodeBody } from './request-body.ts';
import { RequestRun, type SessionPort } from './request-run.ts';
import type { ClientResponse } from './response.ts';
import { buildUrl } from './url.ts';
import { checkInt, checkOptions, describe } from './validate.ts';
import { connectWebSocket, type WebSocketConnection, type WsConnectOptions } from './websocket.ts';

/** Options of `new ClientSession()`: the request settings, the caps, and TLS. */
export interface ClientSessionOptions extends SessionOptions {
  /**
   * TLS options for https connections (`ca` to trust a private CA or a self-signed
   * certificate, `cert`/`key` for client certificates, `rejectUnauthorized`).
   */
  tls?: ConnectionOptions;
}

/** What `session.stats()` returns. */
export interface SessionStats {
  /** Requests holding a connection slot (sent, or their body not read yet). */
  readonly inFlight: number;
  /** Requests waiting for a slot under `limit` or `limitPerHost`. */
  readonly waiting: number;
  /** Connections of the session's own pool, per origin: open, and idle among them. */
  readonly origins: Readonly<Record<string, { readonly open: number; readonly idle: number }>>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function checkMethod(method: unknown): string {
  if (typeof method !== 'string' || !TOKEN.test(method)) {
    throw new TypeError(
      `Expected \`method\` to be an HTTP method token such as 'GET', got ${describe(method)}`,
    );
  }
  return method.toUpperCase();
}

/**
 * A pool of connections and the settings for the requests sent through it, as aiohttp's
 * `ClientSession`: make one per application (or per job) and send every request through
 * it. `limit` caps the connections in use across all hosts (100 by default), `limitPerHost`
 * per origin; a request over a cap waits, first come first served. Every request, body read
 * and wait for a connection is a cancellation point: cancelling the task aborts the request
 * and frees its connection.
 *
 * @example
 * ```ts
 * import { ClientSession, serve } from '@aiots/http';
 * import { run, taskGroup } from '@aiots/loop';
 *
 * await using server = await serve(async (req) => ({ page: req.query.get('page') }));
 * await run(async () => {
 *   await using session = new ClientSession({ baseUrl: server.url, limitPerHost: 4 });
 *   const pages = await taskGroup(async (tg) => {
 *     const tasks = [1, 2, 3].map((page) =>
 *       tg.createTask(async () => (await session.get('/items', { params: { page } })).json()),
 *     );
 *     return tasks;
 *   });
 *   console.log(pages.map((t) => t.result())); // [ { page: '1' }, { page: '2' }, { page: '3' } ]
 * });
 * ```
 */
export class ClientSession implements AsyncDisposable {
  readonly #cfg: Resolved;
  readonly #limits: Limits;
  readonly #tls: ConnectionOptions | undefined;
  readonly #agent: Agent | undefined;
  readonly #proxies = new Map<string, ProxyAgent>();
  readonly #active = new Set<Exchange>();
  readonly #port: SessionPort;
  #closing: Promise<void> | undefined;

  /**
   * Makes a session. Nothing connects until the first request.
   *
   * @param opts The caps (`limit`, `limitPerHost`), `tls`, and defaults for every request
   *   (see `RequestOptions`).
   * @throws {TypeError} for an option of the wrong type; {RangeError} for one out of range,
   *   such as `limit: 0` (aiohttp reads 0 as "no cap"; here that is `Infinity`).
   * @throws {InvalidURL} for a `baseUrl` that is not an absolute http(s) URL.
   */
  constructor(opts?: ClientSessionOptions) {
    const where = 'new ClientSession()';
    const o = checkOptions<ClientSessionOptions>(opts, where) ?? {};
    const limit = checkInt(o.limit, 'limit', where, 1, true) ?? 100;
    const limitPerHost =
      o.limitPerHost === 0 ? 0 : (checkInt(o.limitPerHost, 'limitPerHost', where, 1, true) ?? 0);
    this.#cfg = resolveSession(o, where);
    this.#tls = checkOptions<ConnectionOptions>(o.tls, `${where} \`tls\``);
    this.#limits = new Limits(limit, limitPerHost === Number.POSITIVE_INFINITY ? 0 : limitPerHost);
    if (this.#cfg.dispatcher === undefined && this.#cfg.proxy === undefined) {
      this.#agent = new Agent(this.#poolOptions());
    }
    this.#port = {
      limits: this.#limits,
      poolSockConnectMs: this.#cfg.sockConnectMs,
      dispatcherFor: (cfg) => this.#dispatcherFor(cfg),
      track: (ex) => this.#active.add(ex),
      untrack: (ex) => this.#active.delete(ex),
    };
  }

  /** The session's cookie jar, or null when it keeps no cookies. */
  get cookieJar(): CookieJar | null {
    return this.#cfg.cookieJar;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Sends a request and resolves with the response once its headers arrived (the body is
   * read from the response). Redirects are followed, retries made and cookies kept as the
   * session and `opts` say.
   *
   * @param method An HTTP method, such as `'GET'` (upper-cased).
   * @param url An absolute http(s) URL, or one relative to `baseUrl`.
   * @param opts Per-request settings; each replaces the session's.
   * @returns The response; read or release its body (see `ClientResponse`).
   * @throws {InvalidURL} for a URL that is not one.
   * @throws {ClientConnectorError} when no connection could be made.
   * @throws {ClientConnectionError} when the connection broke; {ServerTimeoutError} on a timeout.
   * @throws {ClientResponseError} for a status >= 400 with `raiseForStatus`.
   * @throws {TooManyRedirects} past `maxRedirects`.
   * @throws {TypeError} / {RangeError} for bad arguments (a method with spaces, a header with
   *   a newline, a negative timeout, a `json` value that cannot be serialized).
   * @throws {InvalidStateError} when the session is closed.
   * @throws {CancelledError} when the task is cancelled: the request is aborted at once.
   * @throws `signal.reason` when `opts.signal` is aborted.
   * @example
   * ```ts
   * import { ClientSession, serve } from '@aiots/http';
   * await using server = await serve(async (req) => ({ method: req.method, got: await req.json() }));
   * await using session = new ClientSession();
   * const res = await session.request('PUT', server.url, { json: { a: 1 } });
   * console.log(await res.json()); // { method: 'PUT', got: { a: 1 } }
   * ```
   */
  request(method: string, url: string | URL, opts?: RequestOptions): Promise<ClientResponse> {
    try {
      if (this.#closing !== undefined) {
        throw new InvalidStateError('This ClientSession is closed; make a new one');
      }
      const m = checkMethod(method);
      const where = `${m} request`;
      let cfg = this.#cfg;
      let body: EncodedBody = NO_BODY;
      if (opts !== undefined && opts !== null) {
        checkOptions<RequestOptions>(opts, where);
        cfg = resolveRequest(cfg, opts, where);
        if ('json' in opts || opts.data !== undefined) {
          body = encodeBody(opts.json, 'json' in opts && opts.json !== undefined, opts.data, where);
        }
      }
      const target = buildUrl(url, cfg.baseUrl, cfg.params);
      return new RequestRun(this.#port, m, target, cfg, body).run();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * `request('GET', url, opts)`.
   *
   * @example
   * ```ts
   * import { ClientSession, serve } from '@aiots/http';
   * await using server = await serve(async () => 'hi');
   * await using session = new ClientSession();
   * console.log(await (await session.get(server.url)).text()); // hi
   * ```
   */
  get(url: string | URL, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('GET', url, opts);
  }

  /**
   * `request('POST', url, opts)`.
   *
   * @example
   * ```ts
   * import { ClientSession, serve } from '@aiots/http';
   * await using server = await serve(async (req) => ({ form: Object.fromEntries(new URLSearchParams(await req.text())) }));
   * await using session = new ClientSession();
   * const res = await session.post(server.url, { data: { name: 'ada' } });
   * console.log(await res.json()); // { form: { name: 'ada' } }
   * ```
   */
  post(url: string | URL, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('POST', url, opts);
  }

  /** `request('PUT', url, opts)`. */
  put(url: string | URL, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('PUT', url, opts);
  }

  /** `request('PATCH', url, opts)`. */
  patch(url: string | URL, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('PATCH', url, opts);
  }

  /** `request('DELETE', url, opts)`. */
  delete(url: string | URL, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('DELETE', url, opts);
  }

  /** `request('HEAD', url, opts)`. */
  head(url: string | URL, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('HEAD', url, opts);
  }

  /** `request('OPTIONS', url, opts)`. */
  options(url: string | URL, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('OPTIONS', url, opts);
  }

  /**
   * Opens a WebSocket connection (on undici's WebSocket), with the session's headers and
   * cookies. Resolves once the handshake is done.
   *
   * @param url A `ws:`/`wss:` URL (`http(s):` is accepted too), or one relative to `baseUrl`.
   * @param opts `protocols`, `headers`, `heartbeatMs`, `maxMessageBytes`, `signal`.
   * @returns The open connection.
   * @throws {ClientConnectorError} when the handshake fails; {InvalidURL}; {CancelledError}.
   * @example
   * ```ts
   * import { ClientSession } from '@aiots/http';
   * import { WebSocketServer } from 'ws';
   * const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
   * wss.on('connection', (s) => s.on('message', (m, binary) => s.send(m, { binary })));
   * await new Promise((r) => wss.once('listening', r));
   * const { port } = wss.address() as { port: number };
   * await using session = new ClientSession();
   * await using ws = await session.wsConnect(`ws://127.0.0.1:${port}/`);
   * await ws.send('ping');
   * console.log(await ws.receive()); // { type: 'text', data: 'ping' }
   * await ws.close();
   * wss.close();
   * ```
   */
  wsConnect(url: string | URL, opts?: WsConnectOptions): Promise<WebSocketConnection> {
    try {
      if (this.#closing !== undefined) {
        throw new InvalidStateError('This ClientSession is closed; make a new one');
      }
      return connectWebSocket(url, opts, this.#cfg, this.#tls);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A snapshot of the session: requests in flight and waiting, connections per origin.
   *
   * @returns A frozen `{ inFlight, waiting, origins }`.
   * @example
   * ```ts
   * import { ClientSession } from '@aiots/http';
   * const session = new ClientSession();
   * console.log(session.stats()); // { inFlight: 0, waiting: 0, origins: {} }
   * await session.close();
   * ```
   */
  stats(): SessionStats {
    const origins: Record<string, { open: number; idle: number }> = {};
    // The session's own pool only: a ProxyAgent or a dispatcher passed in keeps its own books.
    const st = (
      this.#agent as unknown as { stats?: Record<string, Record<string, unknown>> } | undefined
    )?.stats;
    if (st !== undefined) {
      for (const [origin, s] of Object.entries(st)) {
        const connected = s.connected;
        const open = typeof connected === 'boolean' ? (connected ? 1 : 0) : Number(connected ?? 0);
        const idle =
          typeof s.free === 'number' ? s.free : open === 1 && Number(s.running ?? 0) === 0 ? 1 : 0;
        origins[origin] = Object.freeze({ open, idle });
      }
    }
    return Object.freeze({
      inFlight: this.#limits.inFlight,
      waiting: this.#limits.waiting,
      origins: Object.freeze(origins),
    });
  }

  /**
   * Closes the session: requests still running and bodies still being read fail with
   * `ClientConnectionError`, then the session's connections are closed. A later request
   * throws `InvalidStateError`. Idempotent; `await using` calls it. A `dispatcher` passed in
   * is left open (it is the caller's).
   *
   * @example
   * ```ts
   * import { ClientSession } from '@aiots/http';
   * const session = new ClientSession();
   * await session.close();
   * console.log(session.closed); // true
   * ```
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const err = new ClientConnectionError('The ClientSession was closed');
    for (const ex of [...this.#active]) ex.fail(err);
    const closing: Promise<void>[] = [];
    if (this.#agent !== undefined) closing.push(this.#agent.close());
    for (const p of this.#proxies.values()) closing.push(p.close());
    this.#closing = Promise.all(closing).then(() => undefined);
    return this.#closing;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #poolOptions(): Agent.Options {
    const perHost = Math.min(
      this.#limits.limit,
      this.#limits.limitPerHost === 0 ? Number.POSITIVE_INFINITY : this.#limits.limitPerHost,
    );
    const ms = this.#cfg.sockConnectMs;
    return {
      connections: Number.isFinite(perHost) ? perHost : null,
      connect: { ...this.#tls, timeout: Number.isFinite(ms) ? ms : 0 },
    };
  }

  #dispatcherFor(cfg: Resolved): Dispatcher {
    if (cfg.dispatcher !== undefined) return cfg.dispatcher;
    if (cfg.proxy !== undefined) {
      let p = this.#proxies.get(cfg.proxy);
      if (p === undefined) {
        const pool = this.#poolOptions();
        p = new ProxyAgent({
          uri: cfg.proxy,
          connections: pool.connections ?? null,
          requestTls: this.#tls,
        } as ProxyAgent.Options);
        this.#proxies.set(cfg.proxy, p);
      }
      return p;
    }
    return this.#agent as Agent;
  }
}

const NO_BODY: EncodedBody = { contentType: undefined, replayable: true, make: () => null };
