/**
 * StreamWriter: asyncio's `StreamWriter`, a thin face over a transport that adds `drain()`
 * (flow control) and `waitClosed()`.
 */
import { ConnectionError, ConnectionResetError } from './errors.ts';
import type { WaitOptions } from './park.ts';
import type { StreamReaderProtocol } from './stream-protocol.ts';
import type { StreamReader } from './stream-reader.ts';
import type { ExtraInfoName, SocketAddress, Transport } from './transport.ts';
import { signalOf } from './validate.ts';

/**
 * The writing half of a stream connection, as asyncio's `StreamWriter`. `write()` never
 * blocks; `await drain()` after writing applies back-pressure: it waits while more than the
 * high watermark (64 KiB) is buffered, until the buffer is down to the low one (16 KiB).
 *
 * @example
 * ```ts
 * import { openConnection, startServer } from '@aiots/streams';
 * const server = await startServer(async (reader, writer) => {
 *   writer.write(await reader.readline());
 *   await writer.drain();
 *   writer.close();
 * }, '127.0.0.1', 0);
 * const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
 * writer.write('hello world!\n');
 * await writer.drain();
 * console.log((await reader.readline()).toString()); // hello world!\n
 * writer.close();
 * await writer.waitClosed();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export class StreamWriter {
  readonly #transport: Transport;
  readonly #protocol: StreamReaderProtocol;
  readonly #reader: StreamReader | null;

  /**
   * Wraps a transport; `openConnection` and `startServer` make writers for you.
   * @param transport The connection's transport.
   * @param protocol The `StreamReaderProtocol` the transport calls.
   * @param reader The connection's reader, whose stored error `drain()` raises.
   */
  constructor(transport: Transport, protocol: StreamReaderProtocol, reader: StreamReader | null) {
    this.#transport = transport;
    this.#protocol = protocol;
    this.#reader = reader;
  }

  /** The underlying transport. */
  get transport(): Transport {
    return this.#transport;
  }

  /**
   * Queues `data` for sending without waiting; follow with `await drain()`. A string is
   * sent as UTF-8. After `close()` the data is dropped and the next `drain()` rejects.
   *
   * @param data The bytes.
   * @throws {TypeError} for anything but a Uint8Array (Buffer) or string.
   * @throws {InvalidStateError} after `writeEof()`.
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (r, w) => { w.write(await r.read(3)); w.close(); }, '127.0.0.1', 0);
   * const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
   * writer.write(Buffer.from('abc'));
   * console.log((await reader.read()).toString()); // abc
   * writer.close();
   * server.close();
   * ```
   */
  write(data: Uint8Array | string): void {
    this.#transport.write(data);
  }

  /**
   * Queues every chunk of `chunks`, in order.
   *
   * @param chunks Bytes or strings.
   * @throws {TypeError} when a chunk is not bytes or a string (chunks before it are queued).
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (r, w) => { w.write(await r.read()); w.close(); }, '127.0.0.1', 0);
   * const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
   * writer.writelines(['a', 'b', 'c']);
   * writer.writeEof();
   * console.log((await reader.read()).toString()); // abc
   * writer.close();
   * server.close();
   * ```
   */
  writelines(chunks: Iterable<Uint8Array | string>): void {
    this.#transport.writelines(chunks);
  }

  /**
   * Closes the sending side after the buffered data (half-close); reading goes on.
   *
   * @throws {InvalidStateError} over TLS, which has no half-close (see `canWriteEof()`).
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (r, w) => { w.write(`${(await r.read()).length}`); w.close(); }, '127.0.0.1', 0);
   * const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
   * writer.write('12345');
   * writer.writeEof(); // the server's read() sees EOF
   * console.log((await reader.read()).toString()); // 5
   * writer.close();
   * server.close();
   * ```
   */
  writeEof(): void {
    this.#transport.writeEof();
  }

  /**
   * True when `writeEof()` is supported: TCP, Unix sockets and pipes, not TLS.
   *
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (_r, w) => w.close(), '127.0.0.1', 0);
   * const [, writer] = await openConnection('127.0.0.1', server.address().port);
   * console.log(writer.canWriteEof()); // true
   * writer.close();
   * server.close();
   * ```
   */
  canWriteEof(): boolean {
    return this.#transport.canWriteEof();
  }

  /**
   * Closes the connection: reading stops, buffered data is flushed, then the socket closes.
   * Idempotent. Await `waitClosed()` to know it is done.
   *
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (_r, w) => w.close(), '127.0.0.1', 0);
   * const [, writer] = await openConnection('127.0.0.1', server.address().port);
   * writer.close();
   * console.log(writer.isClosing()); // true
   * await writer.waitClosed();
   * server.close();
   * ```
   */
  close(): void {
    this.#transport.close();
  }

  /**
   * True once `close()` was called or the connection was lost.
   *
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (_r, w) => w.close(), '127.0.0.1', 0);
   * const [, writer] = await openConnection('127.0.0.1', server.address().port);
   * console.log(writer.isClosing()); // false
   * writer.close();
   * server.close();
   * ```
   */
  isClosing(): boolean {
    return this.#transport.isClosing();
  }

  /**
   * Waits until the connection is closed (by `close()`, the peer, or an error).
   *
   * @param opts `{ signal }`.
   * @throws the error the connection was lost with, if any (a `ConnectionResetError` when the peer reset).
   * @throws {CancelledError} when the task is cancelled while waiting (the close goes on).
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (_r, w) => w.close(), '127.0.0.1', 0);
   * const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
   * writer.close();
   * await writer.waitClosed();
   * console.log(reader.atEof()); // true
   * server.close();
   * ```
   */
  waitClosed(opts?: WaitOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOf(opts, 'waitClosed()');
    } catch (e) {
      return Promise.reject(e);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.#protocol._waitClosed(signal);
  }

  /**
   * Information about the connection: `'peername'` and `'sockname'` give a
   * `{ address, port, family }` (`undefined` for a pipe), `'socket'` the Node socket,
   * `'peercert'` the TLS peer's certificate; `defaultValue` for a name the transport does
   * not know.
   *
   * @param name What to get.
   * @returns The address, or `undefined` for a pipe.
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (_r, w) => w.close(), '127.0.0.1', 0);
   * const [, writer] = await openConnection('127.0.0.1', server.address().port);
   * console.log(writer.getExtraInfo('peername')?.address); // 127.0.0.1
   * console.log(writer.getExtraInfo('nope', 'dflt')); // dflt
   * writer.close();
   * server.close();
   * ```
   */
  getExtraInfo(name: 'peername' | 'sockname'): SocketAddress | undefined;
  /**
   * Information about the connection under `name`, or `defaultValue` when the transport
   * does not know it.
   *
   * @param name What to get.
   * @param defaultValue Returned when there is no such information.
   * @returns The information, or `defaultValue`.
   */
  getExtraInfo<T = unknown>(name: ExtraInfoName, defaultValue?: T): T;
  getExtraInfo(name: ExtraInfoName, defaultValue?: unknown): unknown {
    return this.#transport.getExtraInfo(name, defaultValue);
  }

  /**
   * Waits until the write buffer is down to the low watermark; returns at once when it is
   * not above the high one. Any number of tasks may wait at once; all are released.
   *
   * @param opts `{ signal }`.
   * @throws the reader's stored error (the connection's failure) if there is one.
   * @throws {ConnectionResetError} once the connection is closed or lost, including after `close()`.
   * @throws {CancelledError} when the task is cancelled while waiting (the data stays queued).
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (r, w) => { await r.read(); w.close(); }, '127.0.0.1', 0);
   * const [, writer] = await openConnection('127.0.0.1', server.address().port);
   * writer.write(Buffer.alloc(1 << 20)); // 1 MiB: well above the high watermark
   * await writer.drain();
   * console.log(writer.transport.getWriteBufferSize() <= 16384); // true
   * writer.close();
   * server.close();
   * ```
   */
  drain(opts?: WaitOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    if (opts !== undefined) {
      try {
        signal = signalOf(opts, 'drain()');
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    const exc = this.#reader?.exception();
    if (exc !== undefined) return Promise.reject(exc);
    if (this.#transport.isClosing() && !this.#protocol._lost) {
      // close() was called and the connection is not gone yet: asyncio yields once so that
      // connection_lost can run and then raises; here the answer is known now.
      return Promise.reject(new ConnectionResetError('Connection lost: the writer is closed'));
    }
    return this.#protocol._drainHelper(signal);
  }

  /**
   * `await using writer = ...`: closes and waits until closed. The connection's own error
   * (a reset peer) is not thrown here: reads and `drain()` report it.
   *
   * @example
   * ```ts
   * import { openConnection, startServer } from '@aiots/streams';
   * const server = await startServer(async (_r, w) => w.close(), '127.0.0.1', 0);
   * {
   *   await using conn = (await openConnection('127.0.0.1', server.address().port))[1];
   *   conn.write('bye');
   * }
   * server.close();
   * await server.waitClosed();
   * console.log('closed'); // closed
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    try {
      await this.waitClosed();
    } catch (e) {
      if (!ConnectionError.is(e)) throw e;
    }
  }

  toString(): string {
    return `<StreamWriter ${this.#transport.isClosing() ? 'closing' : 'open'}>`;
  }
}
