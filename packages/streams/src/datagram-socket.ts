/**
 * DatagramSocket: an awaitable UDP socket (`openDatagram`) with a bounded receive queue.
 *
 * Receiving: datagrams are queued as they arrive; `recv()` takes the oldest. When the queue
 * is full, an arriving datagram is dropped (tail drop, as the kernel does when a socket's
 * buffer is full) and counted in `stats().dropped`: UDP never promised delivery, and a slow
 * reader must not grow memory without bound. A datagram that arrives while readers wait is
 * handed straight to the oldest (a `HandOffFuture`, returned as the read's promise); if that
 * reader is cancelled before it resumes, the datagram comes back and goes to the next
 * reader, or to the front of the queue.
 */
import type * as dgram from 'node:dgram';
import { getLoop, InvalidStateError } from '@aiots/loop';
import { AbortWatch, Deque, HandOffFuture } from '@aiots/loop/lowlevel';
import {
  checkDatagramOptions,
  type DatagramAddress,
  type DatagramEndpointOptions,
  openSocket,
  sendTarget,
} from './datagram.ts';
import type { WaitOptions } from './park.ts';
import { toStreamError } from './system-error.ts';
import { type SocketAddress, toSocketAddress } from './transport.ts';
import { checkInteger, describe, signalOf } from './validate.ts';

type Item = [Buffer, SocketAddress];

/** Options of `openDatagram`. */
export interface OpenDatagramOptions extends DatagramEndpointOptions {
  /** How many received datagrams may wait for `recv()` (default 1024); later ones are dropped. */
  queueSize?: number;
}

/** What `DatagramSocket.stats()` returns. */
export interface DatagramSocketStats {
  /** Datagrams received (queued or dropped). */
  readonly received: number;
  /** Datagrams dropped because the queue was full. */
  readonly dropped: number;
  /** Datagrams waiting for `recv()`. */
  readonly queued: number;
  /** The queue's bound. */
  readonly queueSize: number;
  /** Datagrams handed to the socket by `send()`. */
  readonly sent: number;
  /** Send and receive errors seen (each also thrown by one `recv()`). */
  readonly errors: number;
  /** Tasks waiting in `recv()`. */
  readonly waiting: number;
}

/**
 * A UDP socket to await on: `recv()` waits for a datagram, `send()` sends one. Made by
 * `openDatagram`.
 *
 * @example
 * ```ts
 * import { openDatagram } from '@aiots/streams';
 * await using server = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
 * await using client = await openDatagram({ remoteAddr: server.address() });
 * client.send('ping');
 * const [data, from] = await server.recv();
 * server.send(data, from);
 * console.log((await client.recv())[0].toString()); // ping
 * ```
 */
export class DatagramSocket {
  readonly #socket: dgram.Socket;
  readonly #remote: SocketAddress | undefined;
  readonly #queueSize: number;
  // The queue: a ring of [data, addr] pairs.
  #data: (Buffer | undefined)[];
  #addr: (SocketAddress | undefined)[];
  #head = 0;
  #count = 0;
  readonly #waiters = new Deque<HandOffFuture<Item>>();
  #waiting = 0;
  #pendingError: unknown = undefined;
  #closed = false;
  #received = 0;
  #dropped = 0;
  #sent = 0;
  #errors = 0;

  /** @internal Made by `openDatagram`. */
  constructor(socket: dgram.Socket, remote: SocketAddress | undefined, queueSize: number) {
    this.#socket = socket;
    this.#remote = remote;
    this.#queueSize = queueSize;
    this.#data = new Array(queueSize);
    this.#addr = new Array(queueSize);
    socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => this.#onMessage(msg, rinfo));
    socket.on('error', (e: Error) => {
      this.#errors++;
      this.#pendingError = toStreamError(e);
    });
    socket.on('close', () => this.close());
  }

  /**
   * Waits for a datagram and returns it with its sender. A cancellation point: a cancelled
   * or aborted `recv()` takes nothing from the queue.
   *
   * @param opts `{ signal }`.
   * @returns `[data, sender]`.
   * @throws {InvalidStateError} once the socket is closed and the queue is empty.
   * @throws a send or receive error the socket reported since the last `recv()` started
   *   (a waiting `recv()` is not interrupted by one), once.
   * @throws {CancelledError} when the task is cancelled while waiting.
   * @example
   * ```ts
   * import { openDatagram } from '@aiots/streams';
   * await using a = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
   * await using b = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
   * b.send('hi', a.address());
   * const [data, from] = await a.recv();
   * console.log(data.toString(), from.port === b.address().port); // hi true
   * ```
   */
  recv(opts?: WaitOptions): Promise<[Buffer, SocketAddress]> {
    let signal: AbortSignal | undefined;
    if (opts !== undefined) {
      try {
        signal = signalOf(opts, 'recv()');
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    const err = this.#pendingError;
    if (err !== undefined) {
      this.#pendingError = undefined;
      return Promise.reject(err);
    }
    if (this.#count > 0) return Promise.resolve(this.#take());
    if (this.#closed) {
      return Promise.reject(new InvalidStateError('recv() on a closed datagram socket'));
    }
    const fut = new HandOffFuture<Item>(this.#onHandOff, { label: 'DatagramSocket.recv' });
    this.#waiters.push(fut);
    this.#waiting++;
    return signal === undefined ? fut : recvAbortable(fut, signal);
  }

  /** A datagram handed to a reader cancelled before it resumed comes back here. */
  readonly #onHandOff = (fut: HandOffFuture<Item>, taken: boolean): void => {
    if (!fut.done() || taken) return;
    if (fut.cancelled() || fut.exception() !== undefined) return;
    const item = fut.result();
    if (this.#handOut(item)) return;
    // Older than anything queued: it goes first. A full queue drops its newest instead.
    if (this.#count === this.#queueSize) {
      this.#count--;
      this.#dropped++;
    }
    this.#head = (this.#head - 1 + this.#queueSize) % this.#queueSize;
    this.#data[this.#head] = item[0];
    this.#addr[this.#head] = item[1];
    this.#count++;
  };

  /** Hands `item` to the oldest live waiter; false when none waits. */
  #handOut(item: Item): boolean {
    const w = this.#waiters;
    while (w.size > 0) {
      const fut = w.shift() as HandOffFuture<Item>;
      if (!fut.done()) {
        this.#waiting--;
        fut.setResult(item);
        return true;
      }
      this.#waiting--;
    }
    return false;
  }

  /**
   * Sends one datagram: to `addr`, or to the remote address of a connected socket. Never
   * waits; a send error is thrown by the next `recv()`.
   *
   * @param data Bytes or a string (UTF-8).
   * @param addr `{ address, port }`; leave out on a connected socket.
   * @throws {TypeError} for data that is not bytes, or no address on an unconnected socket.
   * @throws {RangeError} for an address other than the peer's on a connected socket.
   * @throws {InvalidStateError} after `close()`.
   * @example
   * ```ts
   * import { openDatagram } from '@aiots/streams';
   * await using a = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
   * await using b = await openDatagram({ remoteAddr: a.address() });
   * b.send(Buffer.from([1, 2, 3]));
   * console.log([...(await a.recv())[0]]); // [ 1, 2, 3 ]
   * ```
   */
  send(data: Uint8Array | string, addr?: DatagramAddress): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError(`send() expected a Uint8Array, Buffer or string, got ${describe(data)}`);
    }
    const target = sendTarget(addr, this.#remote, 'send()');
    if (this.#closed) throw new InvalidStateError('send() on a closed datagram socket');
    if (target === undefined) this.#socket.send(data);
    else this.#socket.send(data, target[0], target[1]);
    this.#sent++;
  }

  /**
   * The local address: `{ address, port, family }`.
   *
   * @returns The address.
   * @throws {InvalidStateError} after `close()`.
   * @example
   * ```ts
   * import { openDatagram } from '@aiots/streams';
   * await using s = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
   * console.log(s.address().family); // IPv4
   * ```
   */
  address(): SocketAddress {
    if (this.#closed) throw new InvalidStateError('the datagram socket is closed');
    return toSocketAddress(this.#socket.address()) as SocketAddress;
  }

  /**
   * The Node `dgram.Socket` underneath, for options this class does not wrap (multicast
   * membership, TTL, buffer sizes). Receive through `recv()`, not its events.
   *
   * @example
   * ```ts
   * import { openDatagram } from '@aiots/streams';
   * await using s = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
   * s.socket.setTTL(8);
   * console.log(typeof s.socket.getRecvBufferSize()); // number
   * ```
   */
  get socket(): dgram.Socket {
    return this.#socket;
  }

  /**
   * The connected peer's address, or `undefined` for an unconnected socket.
   *
   * @returns The address, if connected.
   * @example
   * ```ts
   * import { openDatagram } from '@aiots/streams';
   * await using a = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
   * await using b = await openDatagram({ remoteAddr: a.address() });
   * console.log(b.remoteAddress()?.port === a.address().port, a.remoteAddress()); // true undefined
   * ```
   */
  remoteAddress(): SocketAddress | undefined {
    return this.#remote;
  }

  /**
   * Iterates over received datagrams until the socket is closed.
   *
   * @example
   * ```ts
   * import { openDatagram } from '@aiots/streams';
   * const server = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
   * await using client = await openDatagram({ remoteAddr: server.address() });
   * client.send('one');
   * client.send('two');
   * let n = 0;
   * for await (const [data] of server) {
   *   console.log(data.toString()); // one
   *   if (++n === 2) server.close();
   * }
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<[Buffer, SocketAddress], void, undefined> {
    for (;;) {
      let item: [Buffer, SocketAddress];
      try {
        item = await this.recv();
      } catch (e) {
        if (this.#closed && InvalidStateError.is(e)) return;
        throw e;
      }
      yield item;
    }
  }

  /**
   * A frozen snapshot: `{ received, dropped, queued, queueSize, sent, errors, waiting }`.
   *
   * @example
   * ```ts
   * import { openDatagram } from '@aiots/streams';
   * await using s = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 }, queueSize: 8 });
   * console.log(s.stats().queueSize, s.stats().dropped); // 8 0
   * ```
   */
  stats(): DatagramSocketStats {
    return Object.freeze({
      received: this.#received,
      dropped: this.#dropped,
      queued: this.#count,
      queueSize: this.#queueSize,
      sent: this.#sent,
      errors: this.#errors,
      waiting: this.#liveWaiters(),
    });
  }

  /**
   * Closes the socket. Datagrams already queued can still be received; then `recv()` throws
   * and iteration ends. Idempotent.
   *
   * @example
   * ```ts
   * import { openDatagram } from '@aiots/streams';
   * const s = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
   * s.close();
   * await s.recv().catch((e) => console.log((e as Error).name)); // InvalidStateError
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#socket.close();
    } catch {
      // Already closed.
    }
    const w = this.#waiters;
    while (w.size > 0) {
      const fut = w.shift() as HandOffFuture<Item>;
      if (!fut.done())
        fut.setException(new InvalidStateError('recv() on a closed datagram socket'));
    }
    this.#waiting = 0;
  }

  /**
   * `await using s = await openDatagram(...)`: closes the socket.
   *
   * @example
   * ```ts
   * import { openDatagram } from '@aiots/streams';
   * {
   *   await using s = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
   *   console.log(s.address().port > 0); // true
   * }
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  toString(): string {
    return `<DatagramSocket ${this.#closed ? 'closed' : 'open'} queued=${this.#count}>`;
  }

  #onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.#received++;
    const addr = toSocketAddress(rinfo) as SocketAddress;
    if (this.#waiting > 0 && this.#handOut([msg, addr])) return;
    if (this.#count === this.#queueSize) {
      this.#dropped++;
      return;
    }
    const i = (this.#head + this.#count) % this.#queueSize;
    this.#data[i] = msg;
    this.#addr[i] = addr;
    this.#count++;
  }

  #take(): [Buffer, SocketAddress] {
    const i = this.#head;
    const data = this.#data[i] as Buffer;
    const addr = this.#addr[i] as SocketAddress;
    this.#data[i] = undefined;
    this.#addr[i] = undefined;
    this.#head = (i + 1) % this.#queueSize;
    this.#count--;
    return [data, addr];
  }

  #liveWaiters(): number {
    let n = 0;
    const w = this.#waiters;
    for (let i = 0; i < w.size; i++) if (!(w.at(i) as HandOffFuture<Item>).done()) n++;
    return n;
  }
}

async function recvAbortable(fut: HandOffFuture<Item>, signal: AbortSignal): Promise<Item> {
  const watch = new AbortWatch(signal, fut);
  try {
    return await fut;
  } catch (e) {
    throw watch.aborted ? signal.reason : e;
  } finally {
    watch.dispose();
  }
}

/**
 * Opens a UDP socket to await on, with a bounded receive queue (`queueSize`, default 1024
 * datagrams; further ones are dropped and counted in `stats().dropped`).
 *
 * @param opts `{ localAddr, remoteAddr, reuseAddress, broadcast, type, queueSize, signal }`.
 * @returns The socket, bound (and connected with `remoteAddr`).
 * @throws Node's bind error (`EADDRINUSE`) when the local address is taken.
 * @throws {TypeError} / {RangeError} for bad arguments (a `queueSize` of 0, port 70000).
 * @example
 * ```ts
 * import { openDatagram } from '@aiots/streams';
 * await using echo = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
 * await using client = await openDatagram({ remoteAddr: echo.address() });
 * client.send('marco');
 * const [data, from] = await echo.recv();
 * echo.send(`${data} polo`, from);
 * console.log((await client.recv())[0].toString()); // marco polo
 * ```
 */
export async function openDatagram(opts?: OpenDatagramOptions): Promise<DatagramSocket> {
  const where = 'openDatagram()';
  const o = checkDatagramOptions(opts, where) as OpenDatagramOptions;
  const queueSize =
    o.queueSize === undefined ? 1024 : checkInteger(o.queueSize, 'queueSize', where, 1);
  const signal = signalOf(o, where);
  if (signal?.aborted) throw signal.reason;
  const socket = await openSocket(getLoop(), o, signal);
  const remote = o.remoteAddr === undefined ? undefined : toSocketAddress(socket.remoteAddress());
  return new DatagramSocket(socket, remote, queueSize);
}
