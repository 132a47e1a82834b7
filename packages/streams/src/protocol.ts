/**
 * asyncio's protocol classes: the callbacks a transport calls. Subclass one and override
 * what you need; the base methods do nothing. Callbacks run from Node's I/O callbacks, not as
 * the step of any task: start a task (`createTask`) for work that must await.
 */
import type { DatagramTransport, SocketAddress, Transport } from './transport.ts';

/**
 * The callbacks of a stream connection (TCP, TLS, Unix socket, pipe), as asyncio's
 * `asyncio.Protocol`.
 *
 * @example
 * ```ts
 * import { Protocol, type Transport, createServer, openConnection } from '@aiots/streams';
 * class Echo extends Protocol {
 *   #transport?: Transport;
 *   override connectionMade(transport: Transport) { this.#transport = transport; }
 *   override dataReceived(data: Buffer) { this.#transport?.write(data); }
 * }
 * const server = await createServer(() => new Echo(), '127.0.0.1', 0);
 * const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
 * writer.write('ping\n');
 * console.log((await reader.readline()).toString()); // ping
 * writer.close();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export class Protocol {
  /**
   * Called once when the connection is made, before any other callback.
   * @param transport The connection's transport: keep it to write.
   */
  connectionMade(transport: Transport): void {
    void transport;
  }

  /**
   * Called when the connection is lost or closed.
   * @param exc `null` for a clean close (EOF, `close()`), else the error that ended it.
   */
  connectionLost(exc: Error | null): void {
    void exc;
  }

  /** Called when the transport's write buffer rises above its high watermark. */
  pauseWriting(): void {}

  /** Called when the transport's write buffer falls to its low watermark. */
  resumeWriting(): void {}

  /**
   * Called with each chunk of received bytes.
   * @param data The bytes: a Buffer the protocol may keep.
   */
  dataReceived(data: Buffer): void {
    void data;
  }

  /**
   * Called when the peer ends its side (half-close).
   * @returns `true` to keep the connection open for writing; anything else closes it.
   */
  eofReceived(): boolean | undefined {
    return undefined;
  }
}

/**
 * A stream protocol that receives into buffers it provides, as asyncio's
 * `BufferedProtocol`: the transport asks `getBuffer(sizeHint)` for a buffer, fills its
 * start and calls `bufferUpdated(nbytes)`, as often as a received chunk needs (each chunk
 * is copied in).
 *
 * @example
 * ```ts
 * import { BufferedProtocol, createConnection, startServer } from '@aiots/streams';
 * const server = await startServer(async (_r, w) => { w.write('hello'); w.close(); }, '127.0.0.1', 0);
 * let got = '';
 * const done = Promise.withResolvers<void>();
 * class Collect extends BufferedProtocol {
 *   #buf = Buffer.alloc(4096);
 *   override getBuffer() { return this.#buf; }
 *   override bufferUpdated(n: number) { got += this.#buf.toString('utf8', 0, n); }
 *   override connectionLost() { done.resolve(); }
 * }
 * await createConnection(() => new Collect(), '127.0.0.1', server.address().port);
 * await done.promise;
 * console.log(got); // hello
 * server.close();
 * await server.waitClosed();
 * ```
 */
export class BufferedProtocol extends Protocol {
  /**
   * Returns the buffer the next bytes go into.
   * @param sizeHint How many bytes the transport would like room for (-1: no preference).
   * @returns A non-empty Uint8Array; the transport writes from its start.
   */
  getBuffer(sizeHint: number): Uint8Array {
    void sizeHint;
    throw new TypeError('BufferedProtocol.getBuffer() must be overridden');
  }

  /**
   * Called after the transport wrote `nbytes` bytes at the start of the last buffer.
   * @param nbytes How many bytes arrived.
   */
  bufferUpdated(nbytes: number): void {
    void nbytes;
  }
}

/**
 * The callbacks of a UDP endpoint, as asyncio's `DatagramProtocol`.
 *
 * @example
 * ```ts
 * import { DatagramProtocol, type DatagramTransport, type SocketAddress, createDatagramEndpoint } from '@aiots/streams';
 * class Reverse extends DatagramProtocol {
 *   #t?: DatagramTransport;
 *   override connectionMade(t: DatagramTransport) { this.#t = t; }
 *   override datagramReceived(data: Buffer, addr: SocketAddress) {
 *     this.#t?.sendto(Buffer.from(data).reverse(), addr);
 *   }
 * }
 * const [server] = await createDatagramEndpoint(() => new Reverse(), { localAddr: { address: '127.0.0.1', port: 0 } });
 * const got = Promise.withResolvers<string>();
 * class Client extends DatagramProtocol {
 *   override datagramReceived(data: Buffer) { got.resolve(data.toString()); }
 * }
 * const [client] = await createDatagramEndpoint(() => new Client(), { remoteAddr: server.getExtraInfo('sockname') });
 * client.sendto(Buffer.from('abc'));
 * console.log(await got.promise); // cba
 * client.close();
 * server.close();
 * ```
 */
export class DatagramProtocol {
  /**
   * Called once when the endpoint is ready.
   * @param transport The endpoint's transport: keep it to send.
   */
  connectionMade(transport: DatagramTransport): void {
    void transport;
  }

  /**
   * Called once when the endpoint is closed.
   * @param exc `null` for a clean close, else the error that ended it.
   */
  connectionLost(exc: Error | null): void {
    void exc;
  }

  /**
   * Called with each received datagram.
   * @param data The datagram's bytes.
   * @param addr Who sent it.
   */
  datagramReceived(data: Buffer, addr: SocketAddress): void {
    void data;
    void addr;
  }

  /**
   * Called when a send or receive failed (an ICMP error such as port unreachable on a
   * connected endpoint); the endpoint stays open.
   * @param exc The error.
   */
  errorReceived(exc: Error): void {
    void exc;
  }

  /** Called when the send buffer rises above its high watermark. */
  pauseWriting(): void {}

  /** Called when the send buffer falls to its low watermark. */
  resumeWriting(): void {}
}
