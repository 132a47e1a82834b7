/**
 * The echo servers: TCP (a task per connection), UDP (a datagram protocol) and a serial
 * line, in one process. Bytes are echoed as they arrive, so clients that send lines and
 * clients that send bytes without a newline (asyncio's documentation client) are both
 * answered; the log shows what came in, line by line.
 */
import { createTask, type Task, TimeoutError, timeout } from '@aiots/loop';
import { serialConnections } from '@aiots/serial';
import {
  ConnectionError,
  createDatagramEndpoint,
  DatagramProtocol,
  type DatagramTransport,
  type Server,
  type SocketAddress,
  type StreamReader,
  type StreamWriter,
  startServer,
} from '@aiots/streams';
import { checkHost, checkInt, checkLog, checkPort, formatAddress } from './validate.ts';

/** Options of `startEchoServer()`. */
export interface EchoServerOptions {
  /** The address to listen on (default `'127.0.0.1'`). */
  host?: string;
  /** Serve TCP on this port (0: any free port). */
  tcpPort?: number;
  /** Serve UDP on this port (0: any free port). */
  udpPort?: number;
  /** Echo on this serial line (reopened whenever the device comes back). */
  serial?: { path: string; baudRate: number };
  /** Where the log lines go (default `console.log`). */
  log?: (line: string) => void;
}

/** Options of `EchoServer.shutdown()`. */
export interface ShutdownOptions {
  /** How long open connections may take to finish after their EOF (default 5000 ms). */
  graceMs?: number;
}

/** Longest piece of a line without a newline that is kept for the log. */
const MAX_LOGGED = 64 * 1024;

/**
 * Echoes what `reader` gives to `writer` until EOF, logging each line. After a shutdown
 * sent the EOF (`ended` holds the writer), what still comes in is logged, not echoed.
 */
async function echo(
  reader: StreamReader,
  writer: StreamWriter,
  log: (line: string) => void,
  ended: WeakSet<StreamWriter> = new WeakSet(),
): Promise<void> {
  const decoder = new TextDecoder();
  let partial = '';
  for (;;) {
    const chunk = await reader.read(64 * 1024);
    if (chunk.length === 0) break;
    if (!ended.has(writer)) {
      writer.write(chunk);
      await writer.drain();
    }
    partial += decoder.decode(chunk, { stream: true });
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      log(`Received: ${partial.slice(0, nl).replace(/\r$/, '')}`);
      partial = partial.slice(nl + 1);
    }
    if (partial.length > MAX_LOGGED) {
      log(`Received: ${partial}`);
      partial = '';
    }
  }
  partial += decoder.decode();
  if (partial !== '') log(`Received: ${partial}`);
}

class UdpEcho extends DatagramProtocol {
  #transport: DatagramTransport | undefined;
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    super();
    this.#log = log;
  }

  override connectionMade(transport: DatagramTransport): void {
    this.#transport = transport;
  }

  override datagramReceived(data: Buffer, addr: SocketAddress): void {
    this.#log(`Received ${data.toString().replace(/\r?\n$/, '')} from ${formatAddress(addr)}`);
    this.#transport?.sendto(data, addr);
  }

  override errorReceived(exc: Error): void {
    this.#log(`UDP error: ${exc.message}`);
  }
}

/**
 * Running echo servers, from `startEchoServer()`: their addresses, and a graceful
 * `shutdown()`.
 *
 * @example
 * ```ts
 * import { startEchoServer } from '@aiots/echo';
 * await using echo = await startEchoServer({ tcpPort: 0, log: () => {} });
 * console.log(echo.tcp?.address, echo.udp); // 127.0.0.1 undefined
 * ```
 */
export class EchoServer implements AsyncDisposable {
  /** The TCP server's address, when TCP is served. */
  readonly tcp: SocketAddress | undefined;
  /** The UDP server's address, when UDP is served. */
  readonly udp: SocketAddress | undefined;
  readonly #server: Server | undefined;
  readonly #datagram: DatagramTransport | undefined;
  readonly #serial: Task<void> | undefined;
  readonly #writers: Set<StreamWriter>;
  readonly #ended: WeakSet<StreamWriter>;
  #closing: Promise<void> | undefined;

  /** @internal Made by `startEchoServer()`. */
  constructor(
    server: Server | undefined,
    datagram: DatagramTransport | undefined,
    serial: Task<void> | undefined,
    writers: Set<StreamWriter>,
    ended: WeakSet<StreamWriter>,
  ) {
    this.#server = server;
    this.#ended = ended;
    this.#datagram = datagram;
    this.#serial = serial;
    this.#writers = writers;
    this.tcp = server?.address();
    this.udp = datagram?.getExtraInfo('sockname') as SocketAddress | undefined;
  }

  /**
   * Shuts down gracefully: the TCP server stops accepting, every open connection gets an EOF
   * (its client sees the end of the stream) and its handler may finish for `graceMs`, after
   * which the rest are cancelled and cut; UDP and serial stop at once. Idempotent.
   *
   * @param opts `graceMs` (default 5000).
   * @returns When everything is closed.
   * @throws {RangeError} for a negative `graceMs`.
   * @example
   * ```ts
   * import { startEchoServer } from '@aiots/echo';
   * const echo = await startEchoServer({ tcpPort: 0, udpPort: 0, log: () => {} });
   * await echo.shutdown({ graceMs: 1000 });
   * console.log('stopped'); // stopped
   * ```
   */
  shutdown(opts?: ShutdownOptions): Promise<void> {
    let graceMs: number;
    try {
      graceMs = checkInt(opts?.graceMs, 'graceMs', 0, 5000, true);
    } catch (e) {
      return Promise.reject(e);
    }
    this.#closing ??= this.#shutdown(graceMs);
    return this.#closing;
  }

  async #shutdown(graceMs: number): Promise<void> {
    const server = this.#server;
    server?.close();
    for (const w of this.#writers) {
      if (!w.isClosing() && w.canWriteEof()) {
        this.#ended.add(w);
        w.writeEof();
      }
    }
    this.#datagram?.close();
    this.#serial?.cancel();
    if (server !== undefined) {
      try {
        await timeout(Number.isFinite(graceMs) ? graceMs : null, () => server.waitClosed());
      } catch (e) {
        if (!TimeoutError.is(e)) throw e;
        server.close({ cancelHandlers: true });
        server.abortClients();
        await server.waitClosed();
      }
    }
    if (this.#serial !== undefined) {
      await new Promise<void>((resolve) => this.#serial?.addDoneCallback(() => resolve()));
    }
  }

  /** `shutdown()` with a grace of 0. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ graceMs: 0 });
  }
}

/**
 * Starts the echo servers: TCP (each connection's bytes echoed back as they arrive), UDP
 * (each datagram sent back to its sender) and a serial line (echoed like TCP, reopened when
 * the device comes back). With none of `tcpPort`, `udpPort`, `serial` it serves TCP on 8888
 * and UDP on 9999, the ports of asyncio's documentation. Logs `TCP echo server on HOST:PORT`
 * (the real port) and the like, then per connection `Connection from HOST:PORT`, `Received:
 * LINE`, `Connection closed: HOST:PORT`, and per datagram `Received LINE from HOST:PORT`.
 *
 * @param opts Ports, host, serial line, log.
 * @returns The running servers.
 * @throws {TypeError} / {RangeError} for bad options; Node's `EADDRINUSE` when a port is taken.
 * @example
 * ```ts
 * import { startEchoServer } from '@aiots/echo';
 * import { openConnection } from '@aiots/streams';
 * const echo = await startEchoServer({ tcpPort: 0, log: (line) => console.log(`server: ${line}`) });
 * // server: TCP echo server on 127.0.0.1:…
 * const [reader, writer] = await openConnection('127.0.0.1', echo.tcp?.port ?? 0);
 * writer.write('hello\n');
 * console.log((await reader.readline()).toString().trim()); // hello
 * writer.close();
 * await echo.shutdown();
 * ```
 */
export async function startEchoServer(opts: EchoServerOptions = {}): Promise<EchoServer> {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`Expected startEchoServer() options to be an object, got ${typeof opts}`);
  }
  const host = checkHost(opts.host);
  const log = checkLog(opts.log);
  const none =
    opts.tcpPort === undefined && opts.udpPort === undefined && opts.serial === undefined;
  const tcpPort = none ? 8888 : checkPort(opts.tcpPort, 'tcpPort', true);
  const udpPort = none ? 9999 : checkPort(opts.udpPort, 'udpPort', true);
  const serial = opts.serial;
  if (serial !== undefined) {
    if (typeof serial !== 'object' || serial === null || typeof serial.path !== 'string') {
      throw new TypeError('Expected `serial` to be { path, baudRate }');
    }
    checkInt(serial.baudRate, 'serial.baudRate', 1, 0);
  }

  const writers = new Set<StreamWriter>();
  const ended = new WeakSet<StreamWriter>();
  let server: Server | undefined;
  let datagram: DatagramTransport | undefined;
  let serialTask: Task<void> | undefined;
  try {
    if (tcpPort !== undefined) {
      server = await startServer(
        async (reader, writer) => {
          const peer = formatAddress(writer.getExtraInfo('peername') as SocketAddress);
          log(`Connection from ${peer}`);
          writers.add(writer);
          try {
            await echo(reader, writer, log, ended);
          } catch (e) {
            if (!ConnectionError.is(e)) throw e;
            log(`Connection lost: ${peer} (${(e as Error).name})`);
          } finally {
            writers.delete(writer);
            writer.close();
            log(`Connection closed: ${peer}`);
          }
        },
        host,
        tcpPort,
      );
      log(`TCP echo server on ${formatAddress(server.address())}`);
    }
    if (udpPort !== undefined) {
      [datagram] = await createDatagramEndpoint(() => new UdpEcho(log), {
        localAddr: { address: host, port: udpPort },
      });
      log(
        `UDP echo server on ${formatAddress(datagram.getExtraInfo('sockname') as SocketAddress)}`,
      );
    }
    if (serial !== undefined) {
      log(`Serial echo on ${serial.path} at ${serial.baudRate} baud`);
      serialTask = createTask(
        async () => {
          const lines = serialConnections({ path: serial.path, baudRate: serial.baudRate });
          for await (const [reader, writer] of lines) {
            log(`Connection from ${serial.path}`);
            try {
              await echo(reader, writer, log);
            } catch (e) {
              if (!ConnectionError.is(e)) throw e;
            } finally {
              writer.close();
              log(`Connection closed: ${serial.path}`);
            }
          }
        },
        { name: `serial echo ${serial.path}` },
      );
    }
  } catch (e) {
    server?.close({ cancelHandlers: true });
    datagram?.close();
    throw e;
  }
  return new EchoServer(server, datagram, serialTask, writers, ended);
}
