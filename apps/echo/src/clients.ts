/**
 * The echo clients: TCP with reconnection and back-off (the seed's reconnecting client),
 * UDP with a timeout for a lost datagram, and serial. Each sends its messages one a line and
 * prints each echo as `Received: LINE`.
 */
import { createInterface } from 'node:readline';
import { sleep, TimeoutError, waitFor } from '@aiots/loop';
import { openSerialConnection } from '@aiots/serial';
import {
  ConnectionError,
  HostNotFoundError,
  openConnection,
  openDatagram,
  type StreamReader,
  type StreamWriter,
} from '@aiots/streams';
import { Queue, QueueShutDown } from '@aiots/sync';
import { EchoClientError } from './errors.ts';
import { checkHost, checkInt, checkLog, checkPort } from './validate.ts';

/** Messages to send: a list, or an async source such as `stdinLines()`. */
export type Messages = Iterable<string> | AsyncIterable<string>;

/** Options of `tcpEchoClient()`. */
export interface TcpClientOptions {
  /** The server's port. */
  port: number;
  /** The server's host (default `'127.0.0.1'`). */
  host?: string;
  /** What to send, one message a line. */
  messages: Messages;
  /** Failed connection attempts in a row before giving up (default `Infinity`). */
  retries?: number;
  /** The first wait after a failed attempt, doubled each time (default 1000 ms). */
  retryMs?: number;
  /** The longest wait between two attempts (default 30 000 ms). */
  maxRetryMs?: number;
  /** Where `Received: …` and `Connection failed, …` lines go (default `console.log`). */
  log?: (line: string) => void;
}

/** Options of `udpEchoClient()`. */
export interface UdpClientOptions {
  /** The server's port. */
  port: number;
  /** The server's host (default `'127.0.0.1'`). */
  host?: string;
  /** What to send, one datagram each. */
  messages: Messages;
  /** How long to wait for each echo before counting the datagram lost (default 1000 ms). */
  timeoutMs?: number;
  /** Where `Sent: …` and `Received: …` lines go (default `console.log`). */
  log?: (line: string) => void;
}

/** Options of `serialEchoClient()`. */
export interface SerialClientOptions {
  /** The device. */
  path: string;
  /** Bits per second. */
  baudRate: number;
  /** What to send, one message a line. */
  messages: Messages;
  /** How long to wait for each echo (default 5000 ms). */
  timeoutMs?: number;
  /** Where `Received: …` lines go (default `console.log`). */
  log?: (line: string) => void;
}

/** What a client did. */
export interface ClientResult {
  /** Messages sent. */
  readonly sent: number;
  /** Echoes received. */
  readonly received: number;
}

function checkMessages(value: unknown): AsyncIterator<string> | Iterator<string> {
  if (typeof value === 'object' && value !== null) {
    if (Symbol.asyncIterator in value)
      return (value as AsyncIterable<string>)[Symbol.asyncIterator]();
    if (Symbol.iterator in value) return (value as Iterable<string>)[Symbol.iterator]();
  }
  throw new TypeError(`Expected \`messages\` to be an iterable of strings, got ${typeof value}`);
}

/** Pulls the next message; undefined at the end. */
async function pull(it: AsyncIterator<string> | Iterator<string>): Promise<string | undefined> {
  const r = await it.next();
  if (r.done) return undefined;
  if (typeof r.value !== 'string') {
    throw new TypeError(`Expected each message to be a string, got ${typeof r.value}`);
  }
  return r.value;
}

const seconds = (ms: number): string => String(ms / 1000);
const lineOf = (buf: Uint8Array): string =>
  Buffer.from(buf)
    .toString()
    .replace(/\r?\n$/, '');

/**
 * Sends messages over `writer` one a line, each waiting for its echo from `reader`. Returns
 * the first message not echoed (the connection ended first), or undefined when all were.
 */
async function converse(
  reader: StreamReader,
  writer: StreamWriter,
  first: string,
  next: () => Promise<string | undefined>,
  log: (line: string) => void,
  counts: { sent: number; received: number },
  replyMs: number | null,
): Promise<string | undefined> {
  let message: string | undefined = first;
  while (message !== undefined) {
    writer.write(`${message}\n`);
    await writer.drain();
    counts.sent++;
    const echo = await waitFor(reader.readline(), replyMs);
    if (echo.length === 0) return message; // EOF: the other side went away
    counts.received++;
    log(`Received: ${lineOf(echo)}`);
    message = await next();
  }
  return undefined;
}

/**
 * The seed's reconnecting TCP client: connects to `host:port`, sends each message as a line
 * and prints its echo as `Received: LINE`. While the server is down it prints `Connection
 * failed, retrying in N seconds...` and tries again, doubling the wait up to `maxRetryMs`;
 * when a connection ends before a message was echoed, it reconnects and sends it again.
 *
 * @param opts Where to connect, what to send, how to retry.
 * @returns How many messages were sent and echoed.
 * @throws {EchoClientError} after `retries` failed attempts in a row.
 * @throws {TypeError} / {RangeError} for bad options.
 * @throws {CancelledError} when cancelled: the connection is closed.
 * @example
 * ```ts
 * import { startEchoServer, tcpEchoClient } from '@aiots/echo';
 * await using server = await startEchoServer({ tcpPort: 0, log: () => {} });
 * await tcpEchoClient({ port: server.tcp?.port ?? 0, messages: ['hello', 'world'] });
 * // Received: hello
 * // Received: world
 * ```
 */
export async function tcpEchoClient(opts: TcpClientOptions): Promise<ClientResult> {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`Expected tcpEchoClient() options to be an object, got ${typeof opts}`);
  }
  const port = checkPort(opts.port, 'port');
  const host = checkHost(opts.host);
  const retries = checkInt(opts.retries, 'retries', 0, Number.POSITIVE_INFINITY, true);
  const retryMs = checkInt(opts.retryMs, 'retryMs', 1, 1000);
  const maxRetryMs = checkInt(opts.maxRetryMs, 'maxRetryMs', retryMs, Math.max(30_000, retryMs));
  const log = checkLog(opts.log);
  const messages = checkMessages(opts.messages);
  const next = () => pull(messages);
  const counts = { sent: 0, received: 0 };

  let pending = await next();
  let failures = 0;
  let delay = retryMs;
  while (pending !== undefined) {
    let reader: StreamReader;
    let writer: StreamWriter;
    try {
      [reader, writer] = await openConnection(host, port);
    } catch (e) {
      if (!ConnectionError.is(e) && !HostNotFoundError.is(e) && !TimeoutError.is(e)) throw e;
      if (failures >= retries) {
        throw new EchoClientError(
          `Could not connect to ${host}:${port} after ${failures + 1} attempt${failures === 0 ? '' : 's'}`,
          { cause: e },
        );
      }
      failures++;
      log(`Connection failed, retrying in ${seconds(delay)} seconds...`);
      await sleep(delay);
      delay = Math.min(delay * 2, maxRetryMs);
      continue;
    }
    failures = 0;
    delay = retryMs;
    try {
      pending = await converse(reader, writer, pending, next, log, counts, null);
    } catch (e) {
      if (!ConnectionError.is(e)) throw e;
      // The connection broke: reconnect and send the message again.
    } finally {
      writer.close();
    }
    if (pending === undefined) await writer.waitClosed().catch(() => {});
  }
  return counts;
}

/**
 * The UDP echo client: sends each message as a datagram, prints `Sent: M`, waits up to
 * `timeoutMs` for the echo and prints `Received: M`. A datagram without an echo in time is
 * counted as lost (UDP does not resend).
 *
 * @param opts Where to send, what, and how long to wait for each echo.
 * @returns Sent and received counts (the difference was lost).
 * @throws {TypeError} / {RangeError} for bad options.
 * @example
 * ```ts
 * import { startEchoServer, udpEchoClient } from '@aiots/echo';
 * await using server = await startEchoServer({ udpPort: 0, log: () => {} });
 * const result = await udpEchoClient({ port: server.udp?.port ?? 0, messages: ['ping'] });
 * // Sent: ping
 * // Received: ping
 * console.log(result); // { sent: 1, received: 1 }
 * ```
 */
export async function udpEchoClient(opts: UdpClientOptions): Promise<ClientResult> {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`Expected udpEchoClient() options to be an object, got ${typeof opts}`);
  }
  const port = checkPort(opts.port, 'port');
  const host = checkHost(opts.host);
  const timeoutMs = checkInt(opts.timeoutMs, 'timeoutMs', 1, 1000);
  const log = checkLog(opts.log);
  const messages = checkMessages(opts.messages);
  let sent = 0;
  let received = 0;
  await using socket = await openDatagram({ remoteAddr: { address: host, port } });
  for (let m = await pull(messages); m !== undefined; m = await pull(messages)) {
    socket.send(m);
    sent++;
    log(`Sent: ${m}`);
    try {
      const [data] = await waitFor(socket.recv(), timeoutMs);
      received++;
      log(`Received: ${lineOf(data)}`);
    } catch (e) {
      if (!TimeoutError.is(e) && !ConnectionError.is(e)) throw e;
      const why = TimeoutError.is(e) ? `within ${timeoutMs} ms` : `(${(e as Error).message})`;
      log(`No reply to ${m} ${why}`);
    }
  }
  return { sent, received };
}

/**
 * The serial echo client: opens the line, sends each message as a line and prints its echo
 * as `Received: LINE`.
 *
 * @param opts The device, its speed, what to send, how long to wait for each echo.
 * @returns Sent and received counts.
 * @throws {EchoClientError} when an echo does not come within `timeoutMs` or the line closes.
 * @throws {SerialPortError} when the device cannot be opened.
 * @example
 * ```ts no-run
 * import { serialEchoClient } from '@aiots/echo';
 * await serialEchoClient({ path: '/dev/ttyUSB0', baudRate: 9600, messages: ['hello'] });
 * // Received: hello
 * ```
 */
export async function serialEchoClient(opts: SerialClientOptions): Promise<ClientResult> {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`Expected serialEchoClient() options to be an object, got ${typeof opts}`);
  }
  const timeoutMs = checkInt(opts.timeoutMs, 'timeoutMs', 1, 5000);
  const log = checkLog(opts.log);
  const messages = checkMessages(opts.messages);
  const counts = { sent: 0, received: 0 };
  const first = await pull(messages);
  if (first === undefined) return counts;
  const [reader, writer] = await openSerialConnection({ path: opts.path, baudRate: opts.baudRate });
  try {
    const left = await converse(
      reader,
      writer,
      first,
      () => pull(messages),
      log,
      counts,
      timeoutMs,
    );
    if (left !== undefined) throw new EchoClientError(`The serial line ${opts.path} closed`);
  } catch (e) {
    if (TimeoutError.is(e)) {
      throw new EchoClientError(`No echo from ${opts.path} within ${timeoutMs} ms`, { cause: e });
    }
    throw e;
  } finally {
    writer.close();
  }
  return counts;
}

/**
 * The lines of stdin, as they come, for the clients' `messages`. Each wait is a
 * cancellation point.
 *
 * @returns An async iterable of lines (without their newline).
 * @example
 * ```ts no-run
 * import { stdinLines, tcpEchoClient } from '@aiots/echo';
 * await tcpEchoClient({ port: 8888, messages: stdinLines() });
 * ```
 */
export async function* stdinLines(): AsyncGenerator<string, void, undefined> {
  const queue = new Queue<string>();
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => queue.putNowait(line));
  lines.on('close', () => queue.shutdown());
  try {
    for (;;) {
      try {
        yield await queue.get();
      } catch (e) {
        if (QueueShutDown.is(e)) return;
        throw e;
      }
    }
  } finally {
    lines.close();
    process.stdin.pause();
  }
}
