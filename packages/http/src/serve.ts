/**
 * serve(): a small HTTP server on `node:http` where each request's handler runs as a task,
 * aiohttp.web style. Enough for examples, test fixtures and demo sites; not a framework.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CancelledError, getLoop, type Loop, type Task, wait } from '@aiots/loop';
import { BodyTooLarge } from './errors.ts';
import { kTrack } from './internal.ts';
import { ServerRequest } from './server-request.ts';
import { checkInt, checkMs, checkOptions, checkSignal, describe } from './validate.ts';
import { latch, wake } from './wake.ts';

/** What a handler may return: a web `Response`, a string (text), bytes, or a value sent as JSON. */
export type HandlerResult = Response | string | Uint8Array | object | null | undefined;

/** A request handler: runs as a task of its own, cancelled when its client goes away. */
export type Handler = (request: ServerRequest) => Promise<HandlerResult> | HandlerResult;

/** Options of `serve()`. */
export interface ServeOptions {
  /** The address to listen on (default `'127.0.0.1'`: loopback only). */
  host?: string;
  /** The port (default 0: any free port; see `server.port`). */
  port?: number;
  /** Aborting it closes the server, as `close()` does. */
  signal?: AbortSignal;
  /** The largest request body `bytes()`/`text()`/`json()` accept (default 1 MiB); past it, 413. */
  maxBodyBytes?: number;
}

/** Options of `server.close()`. */
export interface CloseOptions {
  /** How long handlers still running may take to finish before they are cancelled (default 5 s). */
  graceMs?: number;
}

/**
 * A running server of `serve()`.
 *
 * @example
 * ```ts
 * import { serve } from '@aiots/http';
 * const server = await serve(async () => 'ok');
 * console.log(server.url.startsWith('http://127.0.0.1:'), server.port > 0); // true true
 * await server.close();
 * ```
 */
export class HttpServer implements AsyncDisposable {
  /** `http://host:port`, ready to put a path after. */
  readonly url: string;
  readonly #server: Server;
  readonly #tasks = new Set<Task<void>>();
  #closing: Promise<void> | undefined;

  /** @internal Made by `serve()`. */
  constructor(server: Server) {
    this.#server = server;
    const a = server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.url = `http://${host}:${a.port}`;
  }

  /** The port listened on. */
  get port(): number {
    return this.address().port;
  }

  /** Handlers running now. */
  get inFlight(): number {
    return this.#tasks.size;
  }

  /** The address listened on, as `net.Server.address()` gives it. */
  address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** @internal */
  [kTrack](task: Task<void>): void {
    this.#tasks.add(task);
    task.addDoneCallback(() => this.#tasks.delete(task));
  }

  /**
   * Stops accepting connections, lets the handlers in flight finish for up to `graceMs`,
   * cancels those still running, then closes every connection. Idempotent; a cancellation
   * point (a cancel skips the grace: the handlers are cancelled at once).
   *
   * @param opts `graceMs` (default 5000).
   * @throws {RangeError} for a negative `graceMs`.
   */
  close(opts?: CloseOptions): Promise<void> {
    let graceMs: number;
    try {
      const o = checkOptions<CloseOptions>(opts, 'close()') ?? {};
      graceMs = checkMs(o.graceMs, 'graceMs', 'close()') ?? 5000;
    } catch (e) {
      return Promise.reject(e);
    }
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    const server = this.#server;
    const closed = latch<void>();
    server.close(() => wake(closed, undefined));
    server.closeIdleConnections();
    try {
      if (this.#tasks.size > 0 && graceMs > 0) {
        await wait([...this.#tasks], { timeoutMs: Number.isFinite(graceMs) ? graceMs : undefined });
      }
    } finally {
      const pending = [...this.#tasks];
      for (const t of pending) t.cancel('the server is closing');
      if (pending.length > 0) await wait(pending);
      server.closeAllConnections();
    }
    await closed;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function send(res: ServerResponse, result: HandlerResult): Promise<void> {
  if (result instanceof Response) {
    res.statusCode = result.status;
    if (result.statusText !== '') res.statusMessage = result.statusText;
    const cookies = result.headers.getSetCookie();
    for (const [k, v] of result.headers) if (k !== 'set-cookie') res.setHeader(k, v);
    if (cookies.length > 0) res.setHeader('set-cookie', cookies);
    if (result.body === null) {
      res.end();
      return;
    }
    for await (const chunk of result.body as unknown as AsyncIterable<Uint8Array>) {
      if (!res.write(chunk)) {
        const drained = latch<void>();
        const onDrain = () => wake(drained, undefined);
        res.once('drain', onDrain);
        res.once('close', onDrain);
        try {
          await drained;
        } finally {
          res.off('drain', onDrain);
          res.off('close', onDrain);
        }
        if (res.destroyed) return;
      }
    }
    res.end();
    return;
  }
  if (result === undefined || result === null) {
    res.statusCode = 204;
    res.end();
    return;
  }
  if (typeof result === 'string') {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(result);
    return;
  }
  if (result instanceof Uint8Array) {
    res.setHeader('content-type', 'application/octet-stream');
    res.end(result);
    return;
  }
  const json = JSON.stringify(result);
  res.setHeader('content-type', 'application/json');
  res.end(json);
}

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(text);
}

async function handle(
  loop: Loop,
  handler: Handler,
  req: ServerRequest,
  res: ServerResponse,
): Promise<void> {
  let result: HandlerResult;
  try {
    result = await handler(req);
  } catch (e) {
    if (CancelledError.is(e)) {
      if (!res.destroyed) answer(res, 503, 'Service Unavailable');
      throw e;
    }
    if (BodyTooLarge.is(e)) {
      // The rest of the body is not read: the connection cannot be reused.
      res.setHeader('connection', 'close');
      answer(res, 413, 'Payload Too Large');
      return;
    }
    answer(res, 500, 'Internal Server Error');
    loop.callExceptionHandler({
      message: `serve(): the handler failed for ${req.method} ${req.url.pathname}`,
      exception: e,
    });
    return;
  }
  try {
    await send(res, result);
  } catch (e) {
    if (CancelledError.is(e)) throw e;
    answer(res, 500, 'Internal Server Error');
    loop.callExceptionHandler({
      message: `serve(): could not send the response of ${req.method} ${req.url.pathname}`,
      exception: e,
    });
  }
}

/**
 * Starts an HTTP server whose handler runs as a task per request, as aiohttp.web does. The
 * handler returns a web `Response`, a string, bytes, or a value sent as JSON; `undefined`
 * answers 204. A handler that throws answers 500 and is reported to the loop's exception
 * handler; a handler whose client disconnects is cancelled.
 *
 * @param handler The request handler.
 * @param opts `host` (default `'127.0.0.1'`), `port` (default 0), `signal`, `maxBodyBytes`.
 * @returns The server, listening.
 * @throws {TypeError} / {RangeError} for bad options; the listen error (`EADDRINUSE`...).
 * @example
 * ```ts
 * import { ClientSession, serve } from '@aiots/http';
 * await using server = await serve(async (req) => {
 *   if (req.path === '/hello') return { hello: req.query.get('name') ?? 'world' };
 *   return new Response('not found', { status: 404 });
 * });
 * await using session = new ClientSession({ baseUrl: server.url });
 * console.log(await (await session.get('/hello?name=ada')).json()); // { hello: 'ada' }
 * console.log((await session.get('/nope')).status); // 404
 * ```
 */
export async function serve(handler: Handler, opts?: ServeOptions): Promise<HttpServer> {
  if (typeof handler !== 'function') {
    throw new TypeError(`serve() expected \`handler\` to be a function, got ${describe(handler)}`);
  }
  const o = checkOptions<ServeOptions>(opts, 'serve()') ?? {};
  const host = o.host ?? '127.0.0.1';
  if (typeof host !== 'string') {
    throw new TypeError(`serve() expected \`host\` to be a string, got ${describe(host)}`);
  }
  const port = checkInt(o.port, 'port', 'serve()', 0) ?? 0;
  if (port > 65535)
    throw new RangeError(`serve() expected \`port\` to be an integer from 0 to 65535, got ${port}`);
  const signal = checkSignal(o.signal, 'serve()');
  const maxBodyBytes = checkInt(o.maxBodyBytes, 'maxBodyBytes', 'serve()', 0, true) ?? 1024 * 1024;
  const loop = getLoop();
  let httpServer: HttpServer | undefined;
  const server = createServer((raw: IncomingMessage, res: ServerResponse) => {
    const origin = (httpServer as HttpServer).url;
    const req = new ServerRequest(raw, origin, maxBodyBytes);
    const task = loop.createTask(() => handle(loop, handler, req, res), {
      name: `serve ${req.method} ${req.url.pathname}`,
    });
    (httpServer as HttpServer)[kTrack](task);
    res.on('close', () => {
      if (!res.writableFinished && !task.done()) task.cancel('the client disconnected');
    });
    // The task's own outcome (a cancel) is not an error to report.
    task.addDoneCallback((t) => {
      if (!t.cancelled()) t.exception();
    });
  });
  const listening = latch<void>();
  const onError = (e: Error) => {
    if (!listening.done()) listening.setException(e);
  };
  server.once('error', onError);
  server.listen(port, host, () => wake(listening, undefined));
  await listening;
  server.off('error', onError);
  httpServer = new HttpServer(server);
  if (signal !== undefined) {
    const s = httpServer;
    if (signal.aborted) void s.close();
    else signal.addEventListener('abort', () => void s.close(), { once: true });
  }
  return httpServer;
}
