/**
 * Server: asyncio's `Server` over one or more Node `net.Server`s (one per address a host
 * name resolves to), with `createServer`/`startServer` (TCP, TLS) and
 * `createUnixServer`/`startUnixServer`.
 *
 * The server tracks every connection's transport and, for `startServer`, the task running
 * each connection's handler. `waitClosed()` returns once the server is closed and both sets
 * are empty (asyncio 3.12.1+ waits for the connections too).
 *
 * One file because the class and its four constructors share one accept path (protocol from
 * the factory, transport, tracking) and one set of checks; split, each piece would import
 * the others' internals.
 */
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { lstatSync, unlinkSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { type Future, getLoop, InvalidStateError, type Loop, type Task } from '@aiots/loop';
import { bridge } from '@aiots/loop/lowlevel';
import { checkFactory, makeProtocol } from './connection.ts';
import { newWaiter, park, type WaitOptions, wake, wakeWithError } from './park.ts';
import type { Protocol } from './protocol.ts';
import { SocketTransport } from './socket-transport.ts';
import { StreamReaderProtocol } from './stream-protocol.ts';
import { StreamReader } from './stream-reader.ts';
import type { StreamWriter } from './stream-writer.ts';
import { toStreamError } from './system-error.ts';
import { type SocketAddress, type Transport, toSocketAddress } from './transport.ts';
import {
  checkInteger,
  checkLimit,
  checkOptions,
  checkPort,
  checkString,
  describe,
  signalOf,
} from './validate.ts';

/** Options of `createServer` and `startServer`. */
export interface ServerOptions extends WaitOptions {
  /** `startServer` only: each reader's line limit (default 64 KiB). */
  limit?: number;
  /**
   * Serve TLS: Node's `tls.TlsOptions` (`key` and `cert` at least). Clients whose handshake
   * fails never reach the handler; the server closes them.
   */
  tls?: tls.TlsOptions;
  /** The listen backlog (default: Node's, 511). */
  backlog?: number;
  /** Listen only on IPv6 for an IPv6 address (no dual stack). */
  ipv6Only?: boolean;
  /** `TCP_NODELAY` on accepted connections; default `true`, as asyncio sets it. */
  noDelay?: boolean;
  /** Start accepting at once (default `true`); else call `startServing()` or `serveForever()`. */
  startServing?: boolean;
}

/** Options of `createUnixServer` and `startUnixServer`. */
export interface UnixServerOptions extends WaitOptions {
  /** `startUnixServer` only: each reader's line limit (default 64 KiB). */
  limit?: number;
  /** The listen backlog. */
  backlog?: number;
  /** Start accepting at once (default `true`). */
  startServing?: boolean;
}

/** Options of `Server.close()`. */
export interface ServerCloseOptions {
  /** Also cancel the connection handlers still running (default `false`: wait for them). */
  cancelHandlers?: boolean;
}

/** What `Server.stats()` returns. */
export interface ServerStats {
  /** True while accepting connections. */
  readonly serving: boolean;
  /** Open connections. */
  readonly connections: number;
  /** Connection handlers still running (`startServer`). */
  readonly handlers: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Handlers that failed (each was reported to the loop's exception handler). */
  readonly handlerErrors: number;
}

/** A connection handler of `startServer`: runs in its own task per connection. */
export type ConnectionHandler = (reader: StreamReader, writer: StreamWriter) => unknown;

interface Listen {
  host?: string;
  port?: number;
  path?: string;
}

/**
 * A listening server, as asyncio's `Server`: made by `startServer`, `createServer`,
 * `startUnixServer` and `createUnixServer`.
 *
 * @example
 * ```ts
 * import { openConnection, startServer } from '@aiots/streams';
 * const server = await startServer(async (reader, writer) => {
 *   writer.write(await reader.readline());
 *   writer.close();
 * }, '127.0.0.1', 0);
 * console.log(server.isServing()); // true
 * const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
 * writer.write('echo\n');
 * console.log((await reader.readline()).toString()); // echo\n
 * writer.close();
 * server.close();
 * await server.waitClosed();
 * console.log(server.isServing()); // false
 * ```
 */
export class Server {
  readonly #loop: Loop;
  readonly #servers: net.Server[];
  readonly #listens: Listen[];
  readonly #backlog: number | undefined;
  readonly #ipv6Only: boolean;
  readonly #unixPath: string | undefined;
  #state: 'idle' | 'serving' | 'closed' = 'idle';
  #listening: Promise<void> | undefined;
  readonly #transports = new Set<SocketTransport>();
  readonly #handlers = new Set<Task<unknown>>();
  #closedWaiters: Future<void>[] = [];
  #statsWaiters: Future<void>[] = [];
  #forever: Future<void> | undefined;
  #accepted = 0;
  #handlerErrors = 0;

  /** @internal Made by `createServer` and its siblings. */
  constructor(
    loop: Loop,
    makeServer: () => net.Server,
    onSocket: (server: Server, socket: net.Socket) => void,
    listens: Listen[],
    opts: { backlog?: number; ipv6Only?: boolean; tls?: boolean; unixPath?: string },
  ) {
    this.#loop = loop;
    this.#listens = listens;
    this.#backlog = opts.backlog;
    this.#ipv6Only = opts.ipv6Only === true;
    this.#unixPath = opts.unixPath;
    this.#servers = listens.map(() => {
      const s = makeServer();
      s.on(opts.tls ? 'secureConnection' : 'connection', (socket: net.Socket) => {
        if (this.#state !== 'serving') {
          socket.destroy();
          return;
        }
        this.#accepted++;
        onSocket(this, socket);
      });
      // A client whose TLS handshake fails is closed by Node; nothing to hand on.
      if (opts.tls) s.on('tlsClientError', ignore);
      return s;
    });
  }

  /** The `net.Server`s (or `tls.Server`s) the server listens on: one per address. */
  get sockets(): readonly net.Server[] {
    return this.#state === 'closed' ? [] : this.#servers;
  }

  /**
   * The first address the server listens on: `{ address, port, family }`; for a Unix
   * server, `{ address: path, port: 0, family: 'unix' }`.
   *
   * @returns The address.
   * @throws {InvalidStateError} before the server listens or after it is closed.
   * @example
   * ```ts
   * import { startServer } from '@aiots/streams';
   * const server = await startServer(async () => {}, '127.0.0.1', 0);
   * console.log(server.address().address, server.address().port > 0); // 127.0.0.1 true
   * server.close();
   * ```
   */
  address(): SocketAddress {
    const a = this.addresses()[0];
    if (a === undefined) throw new InvalidStateError('the server is not listening');
    return a;
  }

  /**
   * Every address the server listens on.
   *
   * @returns The addresses, in listening order.
   * @example
   * ```ts
   * import { startServer } from '@aiots/streams';
   * const server = await startServer(async () => {}, '127.0.0.1', 0);
   * console.log(server.addresses().length); // 1
   * server.close();
   * ```
   */
  addresses(): SocketAddress[] {
    if (this.#state !== 'serving') return [];
    const out: SocketAddress[] = [];
    for (const s of this.#servers) {
      const a = s.address();
      const sa =
        this.#unixPath !== undefined ? toSocketAddress(this.#unixPath) : toSocketAddress(a);
      if (sa !== undefined) out.push(sa);
    }
    return out;
  }

  /**
   * True while the server accepts connections.
   *
   * @example
   * ```ts
   * import { startServer } from '@aiots/streams';
   * const server = await startServer(async () => {}, '127.0.0.1', 0, { startServing: false });
   * console.log(server.isServing()); // false
   * await server.startServing();
   * console.log(server.isServing()); // true
   * server.close();
   * ```
   */
  isServing(): boolean {
    return this.#state === 'serving';
  }

  /**
   * Starts accepting connections (binds and listens); does nothing when already serving.
   *
   * @throws {InvalidStateError} after `close()`.
   * @throws Node's listen error (`EADDRINUSE`, `EACCES`) when the address cannot be bound.
   * @example
   * ```ts
   * import { startServer } from '@aiots/streams';
   * const server = await startServer(async () => {}, '127.0.0.1', 0, { startServing: false });
   * await server.startServing();
   * console.log(server.address().port > 0); // true
   * server.close();
   * ```
   */
  startServing(): Promise<void> {
    if (this.#state === 'closed') {
      return Promise.reject(new InvalidStateError('the server is closed'));
    }
    this.#listening ??= this.#listen();
    return this.#listening;
  }

  async #listen(): Promise<void> {
    const servers = this.#servers;
    let port: number | undefined;
    for (let i = 0; i < servers.length; i++) {
      const s = servers[i] as net.Server;
      const l = this.#listens[i] as Listen;
      const opts: net.ListenOptions = { backlog: this.#backlog };
      if (l.path !== undefined) opts.path = l.path;
      else {
        opts.port = port ?? l.port;
        if (l.host !== undefined) opts.host = l.host;
        if (this.#ipv6Only) opts.ipv6Only = true;
      }
      await listenOn(this.#loop, s, opts);
      // Errors of a listening server (accept failing with EMFILE) are reported, not thrown.
      s.on('error', (e: Error) => {
        this.#loop.callExceptionHandler({
          message: 'Server socket error',
          exception: e,
          server: this,
        });
      });
      if (l.path === undefined && l.port === 0 && port === undefined) {
        // Port 0 on several addresses: one port for all of them.
        port = (s.address() as net.AddressInfo).port;
      }
      if (this.#state === 'closed') {
        s.close();
        throw new InvalidStateError('the server was closed while it started');
      }
    }
    this.#state = 'serving';
  }

  /**
   * Serves until the server is closed or the task is cancelled. On cancel the server is
   * closed (not waited for: `waitClosed()` does that) and the cancel propagates.
   *
   * @param opts `{ signal }`.
   * @throws {InvalidStateError} when another task is already in `serveForever()`, or the server is closed.
   * @throws {CancelledError} when the task is cancelled.
   * @example
   * ```ts
   * import { createTask, sleep } from '@aiots/loop';
   * import { startServer } from '@aiots/streams';
   * const server = await startServer(async () => {}, '127.0.0.1', 0);
   * const serving = createTask(() => server.serveForever());
   * await sleep(10);
   * server.close(); // serveForever() returns
   * await serving;
   * console.log(server.isServing()); // false
   * ```
   */
  async serveForever(opts?: WaitOptions): Promise<void> {
    const signal = signalOf(opts, 'serveForever()');
    if (this.#forever !== undefined) {
      throw new InvalidStateError(
        `server ${this.toString()} is already being awaited on serveForever()`,
      );
    }
    if (this.#state === 'closed') throw new InvalidStateError('the server is closed');
    const fut = newWaiter(this.#loop);
    this.#forever = fut;
    try {
      await this.startServing();
      await park(fut, signal);
    } catch (e) {
      this.close();
      throw e;
    } finally {
      this.#forever = undefined;
    }
  }

  /**
   * Stops listening. Open connections stay open (see `closeClients()`/`abortClients()`);
   * their handlers go on unless `cancelHandlers` is set. Idempotent.
   *
   * @param opts `{ cancelHandlers }`: also cancel the handlers still running.
   * @example
   * ```ts
   * import { startServer } from '@aiots/streams';
   * const server = await startServer(async () => {}, '127.0.0.1', 0);
   * server.close();
   * await server.waitClosed();
   * console.log(server.isServing()); // false
   * ```
   */
  close(opts?: ServerCloseOptions): void {
    const o = checkOptions<ServerCloseOptions>(opts, 'Server.close()');
    if (this.#state !== 'closed') {
      this.#state = 'closed';
      for (const s of this.#servers) s.close();
      wake(this.#forever, undefined);
    }
    if (o?.cancelHandlers) for (const t of this.#handlers) t.cancel();
    this.#maybeClosed();
  }

  /**
   * Closes every open connection gracefully (flushing what is buffered).
   *
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (r) => { await r.read(); }, '127.0.0.1', 0);
   * const [reader] = await openConnection('127.0.0.1', server.address().port);
   * await server.waitStats((s) => s.connections === 1);
   * server.closeClients();
   * console.log((await reader.read()).length); // 0
   * server.close();
   * await server.waitClosed();
   * ```
   */
  closeClients(): void {
    for (const t of [...this.#transports]) t.close();
  }

  /**
   * Closes every open connection at once, dropping what is buffered.
   *
   * @example
   * ```ts
   * import { startServer } from '@aiots/streams';
   * const server = await startServer(async (r) => { await r.read(); }, '127.0.0.1', 0);
   * server.close();
   * server.abortClients();
   * await server.waitClosed();
   * console.log(server.stats().connections); // 0
   * ```
   */
  abortClients(): void {
    for (const t of [...this.#transports]) t.abort();
  }

  /**
   * Waits until the server is closed and every connection and handler has ended.
   *
   * @param opts `{ signal }`.
   * @throws {CancelledError} when the task is cancelled while waiting (nothing else changes).
   * @example
   * ```ts
   * import { startServer } from '@aiots/streams';
   * const server = await startServer(async () => {}, '127.0.0.1', 0);
   * server.close();
   * await server.waitClosed();
   * console.log('closed'); // closed
   * ```
   */
  waitClosed(opts?: WaitOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOf(opts, 'waitClosed()');
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#isDone()) return Promise.resolve();
    const fut = newWaiter(this.#loop);
    this.#closedWaiters.push(fut);
    return park(fut, signal);
  }

  /**
   * Waits until `predicate(stats())` holds, checking after every connection and handler
   * change: a latch for tests and orderly shutdowns (`waitStats(s => s.connections === 0)`).
   *
   * @param predicate Called with each new `stats()`.
   * @param opts `{ signal }`.
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (r) => { await r.read(); }, '127.0.0.1', 0);
   * const [, writer] = await openConnection('127.0.0.1', server.address().port);
   * await server.waitStats((s) => s.handlers === 1);
   * writer.close();
   * await server.waitStats((s) => s.handlers === 0);
   * console.log(server.stats().accepted); // 1
   * server.close();
   * ```
   */
  async waitStats(predicate: (stats: ServerStats) => boolean, opts?: WaitOptions): Promise<void> {
    if (typeof predicate !== 'function') {
      throw new TypeError(`waitStats() expected a predicate function, got ${describe(predicate)}`);
    }
    const signal = signalOf(opts, 'waitStats()');
    while (!predicate(this.stats())) {
      const fut = newWaiter(this.#loop);
      this.#statsWaiters.push(fut);
      await park(fut, signal);
    }
  }

  /**
   * A frozen snapshot: `{ serving, connections, handlers, accepted, handlerErrors }`.
   *
   * @example
   * ```ts
   * import { startServer } from '@aiots/streams';
   * const server = await startServer(async () => {}, '127.0.0.1', 0);
   * console.log(server.stats()); // { serving: true, connections: 0, handlers: 0, accepted: 0, handlerErrors: 0 }
   * server.close();
   * ```
   */
  stats(): ServerStats {
    return Object.freeze({
      serving: this.#state === 'serving',
      connections: this.#transports.size,
      handlers: this.#handlers.size,
      accepted: this.#accepted,
      handlerErrors: this.#handlerErrors,
    });
  }

  /**
   * `await using server = ...`: closes the server, cancels the handlers still running,
   * closes the connections and waits until all have ended. (asyncio's `async with` only
   * closes and waits, which never ends while a client stays idle.)
   *
   * @example
   * ```ts
   * import { startServer } from '@aiots/streams';
   * {
   *   await using server = await startServer(async () => {}, '127.0.0.1', 0);
   *   console.log(server.isServing()); // true
   * }
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close({ cancelHandlers: true });
    this.closeClients();
    await this.waitClosed();
  }

  toString(): string {
    const where = this.addresses()
      .map((a) => (a.family === 'unix' ? a.address : `${a.address}:${a.port}`))
      .join(', ');
    return `<Server ${this.#state}${where ? ` ${where}` : ''}>`;
  }

  /** @internal A connection was accepted and its transport made. */
  _addTransport(t: SocketTransport): void {
    this.#transports.add(t);
    this.#changed();
  }

  /** @internal */
  _transportLost = (t: SocketTransport): void => {
    this.#transports.delete(t);
    this.#changed();
    this.#maybeClosed();
  };

  /** @internal Runs a `startServer` handler in a task the server tracks. */
  _startHandler(handler: ConnectionHandler, reader: StreamReader, writer: StreamWriter): void {
    const transport = writer.transport;
    const peer = transport.getExtraInfo<SocketAddress | undefined>('peername', undefined);
    const name =
      peer === undefined ? 'connection handler' : `connection ${peer.address}:${peer.port}`;
    const task = this.#loop.createTask(async () => handler(reader, writer), { name });
    this.#handlers.add(task);
    this.#changed();
    task.addDoneCallback(() => this.#handlerDone(task, transport));
  }

  #handlerDone(task: Task<unknown>, transport: Transport): void {
    this.#handlers.delete(task);
    if (task.cancelled()) {
      transport.close();
    } else {
      const exc = task.exception();
      if (exc !== undefined) {
        this.#handlerErrors++;
        this.#loop.callExceptionHandler({
          message: 'Unhandled exception in client_connected_cb (the startServer handler)',
          exception: exc,
          transport,
        });
        transport.close();
      }
    }
    this.#changed();
    this.#maybeClosed();
  }

  #changed(): void {
    const w = this.#statsWaiters;
    if (w.length === 0) return;
    this.#statsWaiters = [];
    for (const f of w) wake(f, undefined);
  }

  #isDone(): boolean {
    return this.#state === 'closed' && this.#transports.size === 0 && this.#handlers.size === 0;
  }

  #maybeClosed(): void {
    if (!this.#isDone()) return;
    const w = this.#closedWaiters;
    this.#closedWaiters = [];
    for (const f of w) wake(f, undefined);
  }
}

/**
 * Starts a TCP (or TLS) server whose connections each get a protocol from
 * `protocolFactory`, as asyncio's `loop.create_server`.
 *
 * @param protocolFactory Makes each connection's protocol.
 * @param host An address or host name (every address it resolves to is served), or
 *   `null`/`undefined` for every interface.
 * @param port An integer from 0 to 65535; 0 picks a free port.
 * @param opts `{ tls, backlog, ipv6Only, noDelay, startServing, signal }`.
 * @returns The server, listening unless `startServing: false`.
 * @throws Node's listen error (`EADDRINUSE`) when the address is taken.
 * @throws {HostNotFoundError} when `host` does not resolve.
 * @throws {TypeError} / {RangeError} for bad arguments.
 * @example
 * ```ts
 * import { Protocol, type Transport, createServer, openConnection } from '@aiots/streams';
 * class Upper extends Protocol {
 *   #t?: Transport;
 *   override connectionMade(t: Transport) { this.#t = t; }
 *   override dataReceived(d: Buffer) { this.#t?.write(d.toString().toUpperCase()); }
 * }
 * const server = await createServer(() => new Upper(), '127.0.0.1', 0);
 * const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
 * writer.write('shout\n');
 * console.log((await reader.readline()).toString()); // SHOUT\n
 * writer.close();
 * server.close();
 * server.closeClients();
 * await server.waitClosed();
 * ```
 */
export async function createServer(
  protocolFactory: () => Protocol,
  host: string | null | undefined,
  port: number,
  opts?: ServerOptions,
): Promise<Server> {
  const where = 'createServer()';
  checkFactory(protocolFactory, where);
  return tcpServer(where, host, port, opts, (server, socket, info) => {
    accept(server, socket, () => makeProtocol(protocolFactory, where), info);
  });
}

/**
 * Starts a TCP (or TLS) server that runs `handler(reader, writer)` in a new task for each
 * connection, as asyncio's `start_server`. A handler that throws is reported to the loop's
 * exception handler and its connection closed; the server keeps serving.
 *
 * @param handler Called with each connection's `StreamReader` and `StreamWriter`.
 * @param host An address or host name, or `null`/`undefined` for every interface.
 * @param port An integer from 0 to 65535; 0 picks a free port.
 * @param opts `{ limit, tls, backlog, ipv6Only, noDelay, startServing, signal }`.
 * @returns The server, listening unless `startServing: false`.
 * @throws Node's listen error (`EADDRINUSE`) when the address is taken.
 * @throws {TypeError} / {RangeError} for bad arguments (port 70000, limit 0).
 * @example
 * ```ts
 * import { openConnection, startServer } from '@aiots/streams';
 * const server = await startServer(async (reader, writer) => {
 *   for await (const line of reader) writer.write(line);
 *   writer.close();
 * }, '127.0.0.1', 0);
 * const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
 * writer.write('one\ntwo\n');
 * console.log((await reader.readline()).toString(), (await reader.readline()).toString()); // one\n two\n
 * writer.close();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function startServer(
  handler: ConnectionHandler,
  host: string | null | undefined,
  port: number,
  opts?: ServerOptions,
): Promise<Server> {
  const where = 'startServer()';
  checkHandler(handler, where);
  const limit = checkLimit(checkOptions<ServerOptions>(opts, where)?.limit, where);
  return tcpServer(where, host, port, opts, (server, socket, info) => {
    accept(server, socket, () => streamProtocol(server, handler, limit), info);
  });
}

/**
 * Starts a Unix domain socket server whose connections each get a protocol from
 * `protocolFactory`. A stale socket file at `path` is replaced; the file is removed when
 * the server closes.
 *
 * @param protocolFactory Makes each connection's protocol.
 * @param path The socket's path.
 * @param opts `{ backlog, startServing, signal }`.
 * @returns The server.
 * @throws Node's listen error (`EADDRINUSE` when another server holds the path).
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { Protocol, type Transport, createUnixServer, openUnixConnection } from '@aiots/streams';
 * class Hello extends Protocol {
 *   override connectionMade(t: Transport) { t.write('hello'); t.close(); }
 * }
 * const path = join(tmpdir(), `aiots-doc-cus-${process.pid}.sock`);
 * const server = await createUnixServer(() => new Hello(), path);
 * const [reader] = await openUnixConnection(path);
 * console.log((await reader.read()).toString()); // hello
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function createUnixServer(
  protocolFactory: () => Protocol,
  path: string,
  opts?: UnixServerOptions,
): Promise<Server> {
  const where = 'createUnixServer()';
  checkFactory(protocolFactory, where);
  return unixServer(where, path, opts, (server, socket, info) => {
    accept(server, socket, () => makeProtocol(protocolFactory, where), info);
  });
}

/**
 * Starts a Unix domain socket server that runs `handler(reader, writer)` in a new task for
 * each connection, as asyncio's `start_unix_server`.
 *
 * @param handler Called with each connection's `StreamReader` and `StreamWriter`.
 * @param path The socket's path; a stale socket file there is replaced.
 * @param opts `{ limit, backlog, startServing, signal }`.
 * @returns The server.
 * @throws Node's listen error (`EADDRINUSE` when another server holds the path).
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openUnixConnection, startUnixServer } from '@aiots/streams';
 * const path = join(tmpdir(), `aiots-doc-sus-${process.pid}.sock`);
 * const server = await startUnixServer(async (r, w) => { w.write(await r.readline()); w.close(); }, path);
 * const [reader, writer] = await openUnixConnection(path);
 * writer.write('ping\n');
 * console.log((await reader.readline()).toString()); // ping\n
 * writer.close();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function startUnixServer(
  handler: ConnectionHandler,
  path: string,
  opts?: UnixServerOptions,
): Promise<Server> {
  const where = 'startUnixServer()';
  checkHandler(handler, where);
  const limit = checkLimit(checkOptions<UnixServerOptions>(opts, where)?.limit, where);
  return unixServer(where, path, opts, (server, socket, info) => {
    accept(server, socket, () => streamProtocol(server, handler, limit), info);
  });
}

interface AcceptInfo {
  tls: boolean;
  unix: boolean;
}

type OnSocket = (server: Server, socket: net.Socket, info: AcceptInfo) => void;

function checkHandler(handler: unknown, where: string): void {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `${where} expected a handler function (reader, writer) => ..., got ${describe(handler)}`,
    );
  }
}

function streamProtocol(server: Server, handler: ConnectionHandler, limit: number): Protocol {
  const reader = new StreamReader({ limit });
  return new StreamReaderProtocol(reader, (r, w) => server._startHandler(handler, r, w));
}

function accept(
  server: Server,
  socket: net.Socket,
  makeProtocolFn: () => Protocol,
  info: AcceptInfo,
): void {
  let protocol: Protocol;
  try {
    protocol = makeProtocolFn();
  } catch (e) {
    socket.destroy();
    getLoop().callExceptionHandler({ message: 'The protocol factory failed', exception: e });
    return;
  }
  const peer = info.unix ? '' : `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  const t = new SocketTransport(socket, protocol, {
    tls: info.tls,
    unix: info.unix,
    peer,
    onLost: server._transportLost,
  });
  server._addTransport(t);
  t.start();
}

async function tcpServer(
  where: string,
  host: string | null | undefined,
  port: number,
  opts: ServerOptions | undefined,
  onSocket: OnSocket,
): Promise<Server> {
  const o = checkOptions<ServerOptions>(opts, where) ?? {};
  if (host !== null && host !== undefined) checkString(host, 'host', where);
  checkPort(port, where);
  if (o.backlog !== undefined) checkInteger(o.backlog, 'backlog', where, 0);
  if (o.tls !== undefined && (typeof o.tls !== 'object' || o.tls === null)) {
    throw new TypeError(
      `${where} expected \`tls\` to be TLS server options (key, cert), got ${describe(o.tls)}`,
    );
  }
  const signal = signalOf(o, where);
  if (signal?.aborted) throw signal.reason;
  const loop = getLoop();
  let hosts: (string | undefined)[];
  if (host === null || host === undefined) hosts = [undefined];
  else if (net.isIP(host) !== 0) hosts = [host];
  else {
    try {
      // getaddrinfo cannot be interrupted; a cancel stops waiting for it.
      const found = await bridge(
        (abort) =>
          new Promise<LookupAddress[]>((resolve, reject) => {
            abort.addEventListener('abort', () => reject(abort.reason), { once: true });
            lookup(host, { all: true }).then(resolve, reject);
          }),
        { label: `lookup(${host})` },
      );
      hosts = [...new Set(found.map((a) => a.address))];
    } catch (e) {
      throw toStreamError(e, host);
    }
  }
  const useTls = o.tls !== undefined;
  const serverOpts = { allowHalfOpen: !useTls, noDelay: o.noDelay ?? true };
  const makeServer = useTls
    ? () => tls.createServer({ ...o.tls, ...serverOpts })
    : () => net.createServer(serverOpts);
  const info: AcceptInfo = { tls: useTls, unix: false };
  const server = new Server(
    loop,
    makeServer,
    (srv, socket) => onSocket(srv, socket, info),
    hosts.map((h) => ({ host: h, port })),
    { backlog: o.backlog, ipv6Only: o.ipv6Only, tls: useTls },
  );
  if (o.startServing !== false) await startOrClose(server, signal);
  return server;
}

async function unixServer(
  where: string,
  path: string,
  opts: UnixServerOptions | undefined,
  onSocket: OnSocket,
): Promise<Server> {
  checkString(path, 'path', where);
  const o = checkOptions<UnixServerOptions>(opts, where) ?? {};
  if (o.backlog !== undefined) checkInteger(o.backlog, 'backlog', where, 0);
  const signal = signalOf(o, where);
  if (signal?.aborted) throw signal.reason;
  removeStaleSocket(path);
  const info: AcceptInfo = { tls: false, unix: true };
  const server = new Server(
    getLoop(),
    () => net.createServer({ allowHalfOpen: true }),
    (srv, socket) => onSocket(srv, socket, info),
    [{ path }],
    { backlog: o.backlog, unixPath: path },
  );
  if (o.startServing !== false) await startOrClose(server, signal);
  return server;
}

async function startOrClose(server: Server, signal: AbortSignal | undefined): Promise<void> {
  try {
    await server.startServing();
  } catch (e) {
    server.close();
    throw e;
  }
  // Binding is not a wait worth interrupting; a signal aborted meanwhile still wins.
  if (signal?.aborted) {
    server.close();
    throw signal.reason;
  }
}

/** asyncio 3.13 replaces a socket file left by a dead server (only a socket, never a file). */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there, or not ours to remove: listen() reports what is wrong.
  }
}

/** Listens and waits for 'listening' (a cancellation point). */
async function listenOn(loop: Loop, s: net.Server, opts: net.ListenOptions): Promise<void> {
  const fut = newWaiter(loop);
  const onError = (e: Error) => wakeWithError(fut, toStreamError(e));
  const onListening = () => wake(fut, undefined);
  s.once('error', onError);
  s.once('listening', onListening);
  s.listen(opts);
  try {
    await fut;
  } catch (e) {
    s.close();
    throw e;
  } finally {
    s.off('error', onError);
    s.off('listening', onListening);
  }
}

function ignore(): void {}
