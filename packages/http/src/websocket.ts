/**
 * The WebSocket client of `session.wsConnect()`, on undici's WebSocket: messages are queued
 * as they arrive and taken with `receive()`, a cancellation point that loses nothing (a
 * message not handed to a cancelled receiver stays for the next one). Each connection has a
 * pool of its own, so `maxMessageBytes` applies to it alone and a dead peer found by the
 * heartbeat can be cut off at the socket.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { getLoop, type Loop, type TimerHandle } from '@aiots/loop';
import { Deque, ParkingLot } from '@aiots/loop/lowlevel';
import { Agent, buildConnector, ping, WebSocket } from 'undici';
import { ClientConnectionError, ClientConnectorError, ServerTimeoutError } from './errors.ts';
import { addHeaders, type HeadersInit } from './headers.ts';
import { kActivity, kOpened } from './internal.ts';
import type { Resolved } from './options.ts';
import { buildUrl } from './url.ts';
import { checkInt, checkMs, checkOptions, checkSignal, describe } from './validate.ts';
import { latch, Waiters, wake, wakeWithError } from './wake.ts';

/** Options of `session.wsConnect(url, opts)`. */
export interface WsConnectOptions {
  /** Subprotocols to offer; the one the server picked is `connection.protocol`. */
  protocols?: string | string[];
  /** Headers for the handshake, on top of the session's. */
  headers?: HeadersInit;
  /**
   * Send a ping this often (ms) when nothing was received; a peer that does not answer
   * within half of it is taken for dead: the connection is cut and `receive()` throws
   * `ServerTimeoutError` (`timeout: 'heartbeat'`). Default: no heartbeat.
   */
  heartbeatMs?: number;
  /** The largest message accepted (default 128 MiB); a larger one closes the connection (1009). */
  maxMessageBytes?: number;
  /** Aborting it abandons the handshake (the call rejects with `signal.reason`). */
  signal?: AbortSignal;
}

/** A message of `receive()`: text, binary, or the close of the connection. */
export type WsMessage =
  | { readonly type: 'text'; readonly data: string }
  | { readonly type: 'binary'; readonly data: Uint8Array }
  | { readonly type: 'close'; readonly data: { readonly code: number; readonly reason: string } };

type Terminal = { message: WsMessage } | { error: unknown };

const byWebSocket = new WeakMap<object, WebSocketConnection>();
let pongSubscribed = false;

function onPong(msg: unknown): void {
  const ws = (msg as { websocket?: object }).websocket;
  if (ws !== undefined) byWebSocket.get(ws)?.[kActivity]();
}

/**
 * An open WebSocket connection. `receive()` returns the next message or the close; async
 * iteration yields messages until the peer closes cleanly and throws when the connection was
 * lost (`ClientConnectionError`) or the heartbeat found the peer dead (`ServerTimeoutError`).
 *
 * @example
 * ```ts
 * import { ClientSession } from '@aiots/http';
 * import { WebSocketServer } from 'ws';
 * const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
 * wss.on('connection', (s) => { s.send('{"n":1}'); s.send('{"n":2}'); s.close(1000, 'bye'); });
 * await new Promise((r) => wss.once('listening', r));
 * await using session = new ClientSession();
 * const ws = await session.wsConnect(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
 * for await (const msg of ws) if (msg.type === 'text') console.log(JSON.parse(msg.data).n); // 1
 * console.log(ws.closeCode); // 1000
 * wss.close();
 * ```
 */
export class WebSocketConnection implements AsyncDisposable, AsyncIterable<WsMessage> {
  /** The URL connected to. */
  readonly url: string;
  readonly #ws: WebSocket;
  readonly #agent: Agent;
  readonly #socket: () => Socket | undefined;
  readonly #loop: Loop;
  readonly #queue = new Deque<WsMessage>();
  /**
   * Receivers waiting, FIFO: a message goes straight to the oldest; one handed to a
   * receiver cancelled before it resumed comes back to the front of the queue. `null` wakes
   * a receiver to look at the close.
   */
  readonly #receivers = new ParkingLot<WsMessage | null>({
    label: 'WebSocketConnection.receive',
    onReturned: (msg) => {
      if (msg === null) return;
      if (!this.#receivers.unpark(msg)) this.#queue.unshift(msg);
    },
  });
  readonly #closing = new Waiters('WebSocketConnection.close');
  #terminal: Terminal | undefined;
  #closeCode: number | undefined;
  #heartbeatMs: number;
  #pingTimer: TimerHandle | undefined;
  #pongTimer: TimerHandle | undefined;
  #heartbeatError: ServerTimeoutError | undefined;
  readonly #maxMessageBytes: number | undefined;

  /** @internal Made by `session.wsConnect()`. */
  constructor(
    ws: WebSocket,
    agent: Agent,
    socket: () => Socket | undefined,
    heartbeatMs: number,
    maxMessageBytes: number | undefined,
  ) {
    this.url = ws.url;
    this.#ws = ws;
    this.#agent = agent;
    this.#socket = socket;
    this.#loop = getLoop();
    this.#heartbeatMs = heartbeatMs;
    this.#maxMessageBytes = maxMessageBytes;
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('message', (ev) => this.#onMessage(ev.data));
    ws.addEventListener('close', (ev) => this.#onClose(ev.code, ev.reason, ev.wasClean));
    byWebSocket.set(ws, this);
  }

  /** @internal The handshake is done: start the heartbeat. */
  [kOpened](): void {
    if (this.#heartbeatMs > 0 && this.#terminal === undefined) {
      if (!pongSubscribed) {
        pongSubscribed = true;
        subscribe('undici:websocket:pong', onPong);
      }
      this.#schedulePing();
    }
  }

  /** The subprotocol the server chose (`''` when none). */
  get protocol(): string {
    return this.#ws.protocol;
  }

  /** The close code once the connection is closed (1006 when it was lost); else undefined. */
  get closeCode(): number | undefined {
    return this.#closeCode;
  }

  /** True once the connection is closed or closing. */
  get closed(): boolean {
    return this.#ws.readyState >= WebSocket.CLOSING;
  }

  /**
   * Sends a text (string) or binary (bytes) message.
   *
   * @param data The message.
   * @throws {ClientConnectionError} when the connection is closed or closing.
   * @throws {TypeError} for data that is neither a string nor bytes.
   * @example
   * ```ts
   * import { ClientSession } from '@aiots/http';
   * import { WebSocketServer } from 'ws';
   * const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
   * wss.on('connection', (s) => s.on('message', (m, binary) => s.send(m, { binary })));
   * await new Promise((r) => wss.once('listening', r));
   * await using session = new ClientSession();
   * await using ws = await session.wsConnect(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
   * await ws.send(new Uint8Array([1, 2]));
   * console.log(await ws.receive()); // { type: 'binary', data: Uint8Array(2) [ 1, 2 ] }
   * await ws.close();
   * wss.close();
   * ```
   */
  async send(data: string | Uint8Array | ArrayBuffer): Promise<void> {
    if (
      typeof data !== 'string' &&
      !(data instanceof Uint8Array) &&
      !(data instanceof ArrayBuffer)
    ) {
      throw new TypeError(`send() expected a string or bytes, got ${describe(data)}`);
    }
    if (this.#ws.readyState !== WebSocket.OPEN) {
      throw new ClientConnectionError(`Cannot send on the WebSocket to ${this.url}: it is closed`);
    }
    this.#ws.send(data);
  }

  /**
   * Sends `JSON.stringify(value)` as a text message.
   *
   * @throws {TypeError} when the value cannot be serialized; as `send()` otherwise.
   */
  async sendJson(value: unknown): Promise<void> {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      throw new TypeError(
        `sendJson() expected a value JSON can serialize, got ${describe(value)}`,
        { cause: e },
      );
    }
    if (text === undefined) {
      throw new TypeError(`sendJson() expected a value JSON can serialize, got ${describe(value)}`);
    }
    return this.send(text);
  }

  /**
   * The next message; once the connection closed cleanly, `{ type: 'close', data: { code,
   * reason } }` (again on every later call). A cancellation point: a cancelled receive takes
   * no message.
   *
   * @returns The message.
   * @throws {ClientConnectionError} when the connection was lost (no close frame, code 1006).
   * @throws {ServerTimeoutError} when the heartbeat found the peer dead.
   * @throws {CancelledError} when the task is cancelled.
   */
  async receive(): Promise<WsMessage> {
    for (;;) {
      if (this.#queue.size > 0) return this.#queue.shift() as WsMessage;
      const t = this.#terminal;
      if (t !== undefined) {
        if ('error' in t) throw t.error;
        return t.message;
      }
      const msg = await this.#receivers.park();
      if (msg !== null) return msg;
    }
  }

  /**
   * The next message, parsed as JSON (a binary one is read as UTF-8).
   *
   * @throws {TypeError} when the connection closed instead; {SyntaxError} for bad JSON; as `receive()`.
   */
  async receiveJson<T = unknown>(): Promise<T> {
    const msg = await this.receive();
    if (msg.type === 'close') {
      throw new TypeError(
        `receiveJson() expected a message, but the WebSocket closed (code ${msg.data.code})`,
      );
    }
    const text = msg.type === 'text' ? msg.data : Buffer.from(msg.data).toString('utf8');
    return JSON.parse(text) as T;
  }

  /**
   * Closes the connection with `code` and `reason` and waits for the peer's close (a
   * cancellation point). Idempotent.
   *
   * @param code 1000 (normal, the default) or an application code from 3000 to 4999.
   * @param reason Up to 123 bytes of UTF-8.
   * @throws {RangeError} for another code or a longer reason.
   */
  async close(code = 1000, reason = ''): Promise<void> {
    if (code !== 1000 && (!Number.isInteger(code) || code < 3000 || code > 4999)) {
      throw new RangeError(
        `close() expected \`code\` to be 1000 or an integer from 3000 to 4999, got ${describe(code)}`,
      );
    }
    if (Buffer.byteLength(reason) > 123) {
      throw new RangeError(
        `close() expected \`reason\` of at most 123 bytes, got ${Buffer.byteLength(reason)}`,
      );
    }
    if (this.#ws.readyState < WebSocket.CLOSING) this.#ws.close(code, reason);
    while (this.#terminal === undefined) await this.#closing.wait();
  }

  /** Closes the connection (see `close()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#terminal === undefined) await this.close();
  }

  /** Yields messages until the connection closes; throws when it was lost. */
  async *[Symbol.asyncIterator](): AsyncIterator<WsMessage> {
    for (;;) {
      const msg = await this.receive();
      if (msg.type === 'close') return;
      yield msg;
    }
  }

  /** @internal Something arrived (a message or a pong): the peer is alive. */
  [kActivity](): void {
    if (this.#heartbeatMs === 0 || this.#terminal !== undefined) return;
    this.#pongTimer?.cancel();
    this.#pongTimer = undefined;
    this.#schedulePing();
  }

  #schedulePing(): void {
    this.#pingTimer?.cancel();
    this.#pingTimer = this.#loop.callLater(this.#heartbeatMs, () => {
      this.#pingTimer = undefined;
      if (this.#ws.readyState !== WebSocket.OPEN) return;
      ping(this.#ws);
      const half = this.#heartbeatMs / 2;
      this.#pongTimer = this.#loop.callLater(half, () => {
        this.#heartbeatError = new ServerTimeoutError(
          'heartbeat',
          half,
          `The WebSocket peer at ${this.url} did not answer a ping within ${half} ms`,
        );
        this.#socket()?.destroy();
      });
    });
  }

  #onMessage(data: unknown): void {
    const msg: WsMessage =
      typeof data === 'string'
        ? { type: 'text', data }
        : { type: 'binary', data: new Uint8Array(data as ArrayBuffer) };
    this[kActivity]();
    if (!this.#receivers.unpark(msg)) this.#queue.push(msg);
  }

  #onClose(code: number, reason: string, wasClean: boolean): void {
    this.#closeCode = code;
    this.#pingTimer?.cancel();
    this.#pongTimer?.cancel();
    if (this.#heartbeatError !== undefined) this.#terminal = { error: this.#heartbeatError };
    else if (code === 1006 || (!wasClean && code !== 1009)) {
      this.#terminal = {
        error: new ClientConnectionError(
          `The WebSocket connection to ${this.url} was lost without a close frame (code ${code})${
            this.#maxMessageBytes === undefined
              ? ''
              : `, or closed for a message over maxMessageBytes (${this.#maxMessageBytes}, code 1009 to the peer)`
          }`,
        ),
      };
    } else this.#terminal = { message: { type: 'close', data: { code, reason } } };
    this.#receivers.unparkAll(null);
    this.#closing.wakeAll();
    void this.#agent.close().catch(() => {});
  }
}

/** @internal The handshake of `session.wsConnect()`. */
export async function connectWebSocket(
  url: string | URL,
  opts: WsConnectOptions | undefined,
  cfg: Resolved,
  tls: ConnectionOptions | undefined,
): Promise<WebSocketConnection> {
  const where = 'wsConnect()';
  const o = checkOptions<WsConnectOptions>(opts, where) ?? {};
  const heartbeatMs = checkMs(o.heartbeatMs, 'heartbeatMs', where, false) ?? 0;
  const maxMessageBytes = checkInt(o.maxMessageBytes, 'maxMessageBytes', where, 1);
  const signal = checkSignal(o.signal, where) ?? cfg.signal;
  const protocols = o.protocols;
  if (
    protocols !== undefined &&
    typeof protocols !== 'string' &&
    !(Array.isArray(protocols) && protocols.every((p) => typeof p === 'string'))
  ) {
    throw new TypeError(
      `${where} expected \`protocols\` to be a string or an array of strings, got ${describe(protocols)}`,
    );
  }
  const target = buildUrl(url, cfg.baseUrl, cfg.params, ['ws:', 'wss:', 'http:', 'https:']);
  if (target.protocol === 'http:') target.protocol = 'ws:';
  else if (target.protocol === 'https:') target.protocol = 'wss:';
  const headers = addHeaders(new Map(cfg.headers), o.headers, where);
  headers.delete('accept-encoding');
  headers.delete('accept');
  const cookieUrl = new URL(target.href);
  cookieUrl.protocol = target.protocol === 'wss:' ? 'https:' : 'http:';
  const cookies = cfg.cookieJar?.getCookieHeader(cookieUrl) ?? '';
  if (cookies !== '') headers.set('cookie', ['cookie', cookies]);

  let socket: Socket | undefined;
  const connector = buildConnector({
    ...tls,
    timeout: Number.isFinite(cfg.sockConnectMs) ? cfg.sockConnectMs : 0,
  });
  const agent = new Agent({
    connections: 1,
    connect: (options, callback) => {
      connector(options, (err, s) => {
        if (s !== null) socket = s;
        (callback as (...args: unknown[]) => void)(err, s);
      });
    },
    ...(maxMessageBytes === undefined ? {} : { webSocket: { maxPayloadSize: maxMessageBytes } }),
  });
  if (signal?.aborted) {
    void agent.close();
    throw signal.reason;
  }
  const ws = new WebSocket(target.href, {
    protocols: protocols ?? [],
    dispatcher: agent,
    headers: [...headers.values()].map(([k, v]) => [k, v] as [string, string]),
  });
  // Listening from the start: messages sent right after the handshake are queued, not lost.
  const conn = new WebSocketConnection(ws, agent, () => socket, heartbeatMs, maxMessageBytes);
  const opened = latch<void>();
  let failure: unknown;
  const onOpen = () => wake(opened, undefined);
  const onError = (ev: Event) => {
    failure = (ev as unknown as { error?: unknown }).error;
  };
  const onClose = (ev: Event) => {
    const code = (ev as unknown as { code: number }).code;
    wakeWithError(
      opened,
      new ClientConnectorError(
        `The WebSocket handshake with ${target.href} failed (close code ${code})`,
        {
          cause: failure,
        },
      ),
    );
  };
  const onAbort = () => wakeWithError(opened, signal?.reason);
  ws.addEventListener('open', onOpen);
  ws.addEventListener('error', onError);
  ws.addEventListener('close', onClose);
  signal?.addEventListener('abort', onAbort);
  try {
    await opened;
  } catch (e) {
    // A cancel or abort during the handshake fails the connection at once.
    ws.close();
    void agent.close().catch(() => {});
    throw e;
  } finally {
    ws.removeEventListener('open', onOpen);
    ws.removeEventListener('error', onError);
    ws.removeEventListener('close', onClose);
    signal?.removeEventListener('abort', onAbort);
  }
  conn[kOpened]();
  return conn;
}
