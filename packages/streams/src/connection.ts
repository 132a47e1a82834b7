/**
 * Client connections: `createConnection` / `createUnixConnection` (protocol level, asyncio's
 * `loop.create_connection`) and `openConnection` / `openUnixConnection` (streams).
 *
 * The transport is made inside the socket's connect callback, so no event of the socket can
 * fall between connecting and the protocol hearing of it. When the caller is cancelled after
 * that but before it resumes, the connection nobody received is aborted.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { getLoop, type Loop, TimeoutError, type TimerHandle } from '@aiots/loop';
import { newWaiter, park, type WaitOptions, wake, wakeWithError } from './park.ts';
import type { Protocol } from './protocol.ts';
import { SocketTransport } from './socket-transport.ts';
import { StreamReaderProtocol } from './stream-protocol.ts';
import { StreamReader } from './stream-reader.ts';
import { StreamWriter } from './stream-writer.ts';
import { toStreamError } from './system-error.ts';
import type { Transport } from './transport.ts';
import {
  checkInteger,
  checkLimit,
  checkMs,
  checkOptions,
  checkPort,
  checkString,
  describe,
  signalOf,
} from './validate.ts';

/** Options of `createConnection` and `openConnection`. */
export interface ConnectOptions extends WaitOptions {
  /** `openConnection` only: the reader's line limit (default 64 KiB). */
  limit?: number;
  /**
   * Connect over TLS: `true` for the defaults (verify the server against the system's
   * authorities), or Node's `tls.ConnectionOptions` (`ca`, `cert`, `key`,
   * `rejectUnauthorized`, ...). A rejected certificate fails with `CertificateError`.
   */
  tls?: boolean | tls.ConnectionOptions;
  /** The name the server's certificate must match (default: `host`); sent as SNI. */
  serverHostname?: string;
  /** Give up connecting (and the TLS handshake) after this long: `TimeoutError`. */
  timeoutMs?: number;
  /**
   * Happy Eyeballs (RFC 8305): when `host` has IPv4 and IPv6 addresses, start the next
   * attempt after this long without waiting for the previous one to fail. Node's minimum is
   * 10 ms; default: Node's own (on, 250 ms).
   */
  happyEyeballsDelayMs?: number;
  /** Only this address family: 4 or 6 (default: any). */
  family?: 0 | 4 | 6;
  /** The local address to bind before connecting. */
  localAddress?: string;
  /** The local port to bind before connecting. */
  localPort?: number;
  /** `TCP_NODELAY`; default `true`, as asyncio sets it. */
  noDelay?: boolean;
}

/** Options of `createUnixConnection` and `openUnixConnection`. */
export interface UnixConnectOptions extends WaitOptions {
  /** `openUnixConnection` only: the reader's line limit (default 64 KiB). */
  limit?: number;
  /** Give up connecting after this long: `TimeoutError`. */
  timeoutMs?: number;
}

/**
 * Connects to `host:port` over TCP (or TLS with `opts.tls`) and returns the transport and
 * the protocol that `protocolFactory` made, as asyncio's `loop.create_connection`. The
 * protocol's `connectionMade` has run when this returns.
 *
 * @param protocolFactory Makes the connection's protocol.
 * @param host A host name or IP address.
 * @param port An integer from 0 to 65535.
 * @param opts `{ tls, serverHostname, timeoutMs, happyEyeballsDelayMs, family, localAddress, localPort, noDelay, signal }`.
 * @returns `[transport, protocol]`.
 * @throws {ConnectionRefusedError} when nothing listens there.
 * @throws {HostNotFoundError} when `host` does not resolve.
 * @throws {CertificateError} when TLS verification fails.
 * @throws {TimeoutError} after `timeoutMs`.
 * @throws {CancelledError} when the task is cancelled while connecting (the socket is closed).
 * @throws {TypeError} / {RangeError} for bad arguments (port 70000, an empty host).
 * @example
 * ```ts
 * import { Protocol, type Transport, createConnection, startServer } from '@aiots/streams';
 * const server = await startServer(async (_r, w) => { w.write('hi'); w.close(); }, '127.0.0.1', 0);
 * const done = Promise.withResolvers<string>();
 * class Client extends Protocol {
 *   #got = '';
 *   override dataReceived(data: Buffer) { this.#got += data.toString(); }
 *   override connectionLost() { done.resolve(this.#got); }
 * }
 * const [transport] = await createConnection(() => new Client(), '127.0.0.1', server.address().port);
 * console.log(await done.promise, transport.isClosing()); // hi true
 * server.close();
 * ```
 */
export async function createConnection<P extends Protocol>(
  protocolFactory: () => P,
  host: string,
  port: number,
  opts?: ConnectOptions,
): Promise<[Transport, P]> {
  const where = 'createConnection()';
  checkFactory(protocolFactory, where);
  const o = checkConnect(host, port, opts, where);
  return connectTcp(getLoop(), protocolFactory, host, port, o, where);
}

/**
 * Connects to `host:port` over TCP (or TLS with `opts.tls`) and returns a
 * `[StreamReader, StreamWriter]` pair, as asyncio's `open_connection`.
 *
 * @param host A host name or IP address.
 * @param port An integer from 0 to 65535.
 * @param opts `{ limit, tls, serverHostname, timeoutMs, happyEyeballsDelayMs, family, localAddress, localPort, noDelay, signal }`.
 * @returns `[reader, writer]`.
 * @throws {ConnectionRefusedError} when nothing listens there.
 * @throws {HostNotFoundError} when `host` does not resolve.
 * @throws {CertificateError} when TLS verification fails.
 * @throws {TimeoutError} after `timeoutMs`.
 * @throws {CancelledError} when the task is cancelled while connecting (the socket is closed).
 * @throws {TypeError} / {RangeError} for bad arguments (port 70000, an empty host, limit 0).
 * @example
 * ```ts
 * import { openConnection, startServer } from '@aiots/streams';
 * const server = await startServer(async (reader, writer) => {
 *   for await (const line of reader) writer.write(line.toString().toUpperCase());
 *   writer.close();
 * }, '127.0.0.1', 0);
 * const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
 * writer.write('hello\n');
 * console.log((await reader.readline()).toString()); // HELLO\n
 * writer.close();
 * await writer.waitClosed();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function openConnection(
  host: string,
  port: number,
  opts?: ConnectOptions,
): Promise<[StreamReader, StreamWriter]> {
  const where = 'openConnection()';
  const o = checkConnect(host, port, opts, where);
  const reader = new StreamReader({ limit: checkLimit(o.limit, where) });
  const protocol = new StreamReaderProtocol(reader);
  const [transport] = await connectTcp(getLoop(), () => protocol, host, port, o, where);
  return [reader, new StreamWriter(transport, protocol, reader)];
}

/**
 * Connects to the Unix domain socket at `path`, as asyncio's `loop.create_unix_connection`.
 *
 * @param protocolFactory Makes the connection's protocol.
 * @param path The socket's path.
 * @param opts `{ timeoutMs, signal }`.
 * @returns `[transport, protocol]`.
 * @throws {ConnectionRefusedError} when nothing listens there; Node's `ENOENT` error when the path does not exist.
 * @throws {CancelledError} when the task is cancelled while connecting.
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { Protocol, createUnixConnection, startUnixServer } from '@aiots/streams';
 * const path = join(tmpdir(), `aiots-doc-${process.pid}.sock`);
 * const server = await startUnixServer(async (_r, w) => { w.write('unix'); w.close(); }, path);
 * const done = Promise.withResolvers<string>();
 * class Client extends Protocol {
 *   override dataReceived(data: Buffer) { done.resolve(data.toString()); }
 * }
 * const [transport] = await createUnixConnection(() => new Client(), path);
 * console.log(await done.promise); // unix
 * transport.close();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function createUnixConnection<P extends Protocol>(
  protocolFactory: () => P,
  path: string,
  opts?: UnixConnectOptions,
): Promise<[Transport, P]> {
  const where = 'createUnixConnection()';
  checkFactory(protocolFactory, where);
  checkString(path, 'path', where);
  const o = checkOptions<UnixConnectOptions>(opts, where) ?? {};
  return connectUnix(getLoop(), protocolFactory, path, o, where);
}

/**
 * Connects to the Unix domain socket at `path` and returns a `[StreamReader, StreamWriter]`
 * pair, as asyncio's `open_unix_connection`.
 *
 * @param path The socket's path.
 * @param opts `{ limit, timeoutMs, signal }`.
 * @returns `[reader, writer]`.
 * @throws {ConnectionRefusedError} when nothing listens there; Node's `ENOENT` error when the path does not exist.
 * @throws {CancelledError} when the task is cancelled while connecting.
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openUnixConnection, startUnixServer } from '@aiots/streams';
 * const path = join(tmpdir(), `aiots-doc-open-${process.pid}.sock`);
 * const server = await startUnixServer(async (r, w) => { w.write(await r.readline()); w.close(); }, path);
 * const [reader, writer] = await openUnixConnection(path);
 * writer.write('over unix\n');
 * console.log((await reader.readline()).toString()); // over unix\n
 * writer.close();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function openUnixConnection(
  path: string,
  opts?: UnixConnectOptions,
): Promise<[StreamReader, StreamWriter]> {
  const where = 'openUnixConnection()';
  checkString(path, 'path', where);
  const o = checkOptions<UnixConnectOptions>(opts, where) ?? {};
  const reader = new StreamReader({ limit: checkLimit(o.limit, where) });
  const protocol = new StreamReaderProtocol(reader);
  const [transport] = await connectUnix(getLoop(), () => protocol, path, o, where);
  return [reader, new StreamWriter(transport, protocol, reader)];
}

/** @internal Checks a protocol factory. */
export function checkFactory(factory: unknown, where: string): void {
  if (typeof factory !== 'function') {
    throw new TypeError(`${where} expected a protocol factory function, got ${describe(factory)}`);
  }
}

/** @internal The protocol a factory made, checked. */
export function makeProtocol<P>(factory: () => P, where: string): P {
  const p = factory();
  if (typeof p !== 'object' || p === null) {
    throw new TypeError(
      `${where} expected the protocol factory to return a protocol, got ${describe(p)}`,
    );
  }
  return p;
}

function checkConnect(host: unknown, port: unknown, opts: unknown, where: string): ConnectOptions {
  checkString(host, 'host', where);
  checkPort(port, where);
  const o = checkOptions<ConnectOptions>(opts, where) ?? {};
  checkMs(o.timeoutMs, 'timeoutMs', where);
  checkMs(o.happyEyeballsDelayMs, 'happyEyeballsDelayMs', where);
  if (o.family !== undefined && o.family !== 0 && o.family !== 4 && o.family !== 6) {
    throw new RangeError(`${where} expected \`family\` to be 0, 4 or 6, got ${describe(o.family)}`);
  }
  if (o.localPort !== undefined) checkInteger(o.localPort, 'localPort', where, 0, 65535);
  if (o.serverHostname !== undefined) checkString(o.serverHostname, 'serverHostname', where);
  if (
    o.tls !== undefined &&
    typeof o.tls !== 'boolean' &&
    (typeof o.tls !== 'object' || o.tls === null)
  ) {
    throw new TypeError(
      `${where} expected \`tls\` to be a boolean or TLS options, got ${describe(o.tls)}`,
    );
  }
  if (o.limit !== undefined) checkLimit(o.limit, where);
  signalOf(o, where);
  return o;
}

function connectTcp<P extends Protocol>(
  loop: Loop,
  factory: () => P,
  host: string,
  port: number,
  o: ConnectOptions,
  where: string,
): Promise<[Transport, P]> {
  const useTls = o.tls !== undefined && o.tls !== false;
  const base: net.TcpNetConnectOpts = {
    host,
    port,
    allowHalfOpen: !useTls,
    noDelay: o.noDelay ?? true,
  };
  if (o.family !== undefined && o.family !== 0) base.family = o.family;
  if (o.localAddress !== undefined) base.localAddress = o.localAddress;
  if (o.localPort !== undefined) base.localPort = o.localPort;
  if (o.happyEyeballsDelayMs !== undefined) {
    base.autoSelectFamily = true;
    base.autoSelectFamilyAttemptTimeout = Math.max(10, Math.round(o.happyEyeballsDelayMs));
  }
  const peer = `${host}:${port}`;
  if (!useTls) {
    return connectWith(loop, () => net.connect(base), 'connect', factory, o, where, {
      peer,
    });
  }
  const tlsOpts: tls.ConnectionOptions = {
    ...(typeof o.tls === 'object' ? o.tls : {}),
    ...base,
  };
  const name = o.serverHostname ?? (typeof o.tls === 'object' ? o.tls.servername : undefined);
  if (name !== undefined) tlsOpts.servername = name;
  else if (net.isIP(host) === 0) tlsOpts.servername = host;
  return connectWith(loop, () => tls.connect(tlsOpts), 'secureConnect', factory, o, where, {
    peer,
    tls: true,
  });
}

function connectUnix<P extends Protocol>(
  loop: Loop,
  factory: () => P,
  path: string,
  o: UnixConnectOptions,
  where: string,
): Promise<[Transport, P]> {
  checkMs(o.timeoutMs, 'timeoutMs', where);
  if (o.limit !== undefined) checkLimit(o.limit, where);
  signalOf(o, where);
  return connectWith(
    loop,
    () => net.connect({ path, allowHalfOpen: true }),
    'connect',
    factory,
    o,
    where,
    { peer: path, unix: true },
  );
}

/**
 * Opens a socket and waits (a cancellation point) for `ready`; the transport and protocol
 * are made in the `ready` callback itself.
 */
async function connectWith<P extends Protocol>(
  loop: Loop,
  open: () => net.Socket,
  ready: 'connect' | 'secureConnect',
  factory: () => P,
  o: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined },
  where: string,
  info: { peer: string; tls?: boolean; unix?: boolean },
): Promise<[Transport, P]> {
  const signal = o.signal ?? undefined;
  if (signal?.aborted) throw signal.reason;
  const fut = newWaiter<[Transport, P]>(loop);
  const socket = open();
  let made: SocketTransport | undefined;
  const onError = (e: Error) => wakeWithError(fut, toStreamError(e, info.peer));
  const onReady = () => {
    socket.off('error', onError);
    if (fut.done()) {
      socket.destroy();
      return;
    }
    try {
      const protocol = makeProtocol(factory, where);
      made = new SocketTransport(socket, protocol as Protocol, info);
      made.start();
      wake(fut, [made, protocol]);
    } catch (e) {
      socket.destroy();
      wakeWithError(fut, e);
    }
  };
  socket.once(ready, onReady);
  socket.on('error', onError);
  let timer: TimerHandle | undefined;
  if (o.timeoutMs !== undefined) {
    const ms = o.timeoutMs;
    timer = loop.callLater(ms, () => {
      wakeWithError(
        fut,
        new TimeoutError(`${where} timed out after ${ms} ms connecting to ${info.peer}`),
      );
    });
  }
  try {
    return await park(fut, signal);
  } catch (e) {
    // Cancelled, aborted, timed out or failed: nobody will get this connection. A late
    // 'error' of the dying socket must not go unheard (an unheard 'error' throws).
    socket.on('error', ignore);
    if (made !== undefined) made.abort();
    else socket.destroy();
    throw e;
  } finally {
    timer?.cancel();
    socket.off(ready, onReady);
    socket.off('error', onError);
  }
}

function ignore(): void {}
