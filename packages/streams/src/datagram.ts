/**
 * UDP: `createDatagramEndpoint` (asyncio's `loop.create_datagram_endpoint`) with a
 * `DatagramProtocol`, on a Node `dgram.Socket`.
 */
import * as dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { getLoop, type Loop } from '@aiots/loop';
import { checkFactory, makeProtocol } from './connection.ts';
import { newWaiter, park, type WaitOptions, wake, wakeWithError } from './park.ts';
import type { DatagramProtocol } from './protocol.ts';
import { DEFAULT_HIGH } from './socket-transport.ts';
import { toStreamError } from './system-error.ts';
import {
  type DatagramTransport,
  type ExtraInfoName,
  type SocketAddress,
  toSocketAddress,
} from './transport.ts';
import { checkOptions, checkPort, checkString, describe, signalOf } from './validate.ts';

/** An address to bind or send to: `{ address, port }` (a `SocketAddress` fits). */
export interface DatagramAddress {
  /** An IP address or host name. */
  readonly address: string;
  /** The port, 0 to 65535. */
  readonly port: number;
}

/** Options of `createDatagramEndpoint` and `openDatagram`. */
export interface DatagramEndpointOptions extends WaitOptions {
  /** Bind here (port 0 picks one). Default: an ephemeral port on every interface. */
  localAddr?: DatagramAddress;
  /** Connect to this peer: `sendto()` without an address goes there, and only its datagrams arrive. */
  remoteAddr?: DatagramAddress;
  /** `SO_REUSEADDR`: share the local port with other sockets. */
  reuseAddress?: boolean;
  /** `SO_BROADCAST`: allow sending to broadcast addresses. */
  broadcast?: boolean;
  /** `'udp4'` or `'udp6'`; default from the addresses given, else `'udp4'`. */
  type?: 'udp4' | 'udp6';
}

/**
 * Opens a UDP endpoint and returns its transport and the protocol `protocolFactory` made,
 * as asyncio's `loop.create_datagram_endpoint`.
 *
 * @param protocolFactory Makes the endpoint's protocol.
 * @param opts `{ localAddr, remoteAddr, reuseAddress, broadcast, type, signal }`.
 * @returns `[transport, protocol]`, bound (and connected with `remoteAddr`).
 * @throws Node's bind error (`EADDRINUSE`) when the local address is taken.
 * @throws {HostNotFoundError} when `remoteAddr` does not resolve.
 * @throws {TypeError} / {RangeError} for bad arguments (port 70000, a type other than udp4/udp6).
 * @example
 * ```ts
 * import { DatagramProtocol, type DatagramTransport, type SocketAddress, createDatagramEndpoint } from '@aiots/streams';
 * class Echo extends DatagramProtocol {
 *   #t?: DatagramTransport;
 *   override connectionMade(t: DatagramTransport) { this.#t = t; }
 *   override datagramReceived(data: Buffer, addr: SocketAddress) { this.#t?.sendto(data, addr); }
 * }
 * const [server] = await createDatagramEndpoint(() => new Echo(), { localAddr: { address: '127.0.0.1', port: 0 } });
 * console.log(server.getExtraInfo<{ port: number }>('sockname').port > 0); // true
 * server.close();
 * ```
 */
export async function createDatagramEndpoint<P extends DatagramProtocol>(
  protocolFactory: () => P,
  opts?: DatagramEndpointOptions,
): Promise<[DatagramTransport, P]> {
  const where = 'createDatagramEndpoint()';
  checkFactory(protocolFactory, where);
  const o = checkDatagramOptions(opts, where);
  const signal = signalOf(o, where);
  if (signal?.aborted) throw signal.reason;
  const loop = getLoop();
  const socket = await openSocket(loop, o, signal);
  let protocol: P;
  try {
    protocol = makeProtocol(protocolFactory, where);
  } catch (e) {
    socket.close();
    throw e;
  }
  const transport = new UdpTransport(loop, socket, protocol, o.remoteAddr !== undefined);
  transport.start();
  return [transport, protocol];
}

/** @internal Validates the options shared by `createDatagramEndpoint` and `openDatagram`. */
export function checkDatagramOptions(opts: unknown, where: string): DatagramEndpointOptions {
  const o = checkOptions<DatagramEndpointOptions>(opts, where) ?? {};
  if (o.localAddr !== undefined) checkAddress(o.localAddr, 'localAddr', where);
  if (o.remoteAddr !== undefined) checkAddress(o.remoteAddr, 'remoteAddr', where);
  if (o.type !== undefined && o.type !== 'udp4' && o.type !== 'udp6') {
    throw new RangeError(
      `${where} expected \`type\` to be 'udp4' or 'udp6', got ${describe(o.type)}`,
    );
  }
  return o;
}

function checkAddress(a: unknown, name: string, where: string): DatagramAddress {
  if (typeof a !== 'object' || a === null) {
    throw new TypeError(
      `${where} expected \`${name}\` to be { address, port }, got ${describe(a)}`,
    );
  }
  checkString((a as DatagramAddress).address, `${name}.address`, where);
  checkPort((a as DatagramAddress).port, where);
  return a as DatagramAddress;
}

/** @internal Binds (and connects) a dgram socket; a cancellation point. */
export async function openSocket(
  loop: Loop,
  o: DatagramEndpointOptions,
  signal: AbortSignal | undefined,
): Promise<dgram.Socket> {
  const type =
    o.type ??
    (isIPv6(o.localAddr?.address ?? '') || isIPv6(o.remoteAddr?.address ?? '') ? 'udp6' : 'udp4');
  const socket = dgram.createSocket({ type, reuseAddr: o.reuseAddress === true });
  const fut = newWaiter(loop);
  const onError = (e: Error) => wakeWithError(fut, toStreamError(e));
  socket.on('error', onError);
  try {
    const local = o.localAddr;
    socket.bind(
      local === undefined ? { port: 0 } : { port: local.port, address: local.address },
      () => wake(fut, undefined),
    );
    await park(fut, signal);
    if (o.broadcast) socket.setBroadcast(true);
    const remote = o.remoteAddr;
    if (remote !== undefined) {
      const connected = newWaiter(loop);
      const onConnectError = (e: Error) =>
        wakeWithError(connected, toStreamError(e, remote.address));
      socket.off('error', onError);
      socket.on('error', onConnectError);
      socket.connect(remote.port, remote.address, () => wake(connected, undefined));
      try {
        await park(connected, signal);
      } finally {
        socket.off('error', onConnectError);
      }
    }
    return socket;
  } catch (e) {
    socket.on('error', ignore);
    try {
      socket.close();
    } catch {}
    throw e;
  } finally {
    socket.off('error', onError);
  }
}

function ignore(): void {}

/** @internal Turns an address argument into `[port, host]`, checked. */
export function sendTarget(
  addr: unknown,
  remote: SocketAddress | undefined,
  where: string,
): [number, string] | undefined {
  if (addr === undefined || addr === null) {
    if (remote === undefined) {
      throw new TypeError(
        `${where} expected an address { address, port } on an unconnected endpoint, got ${describe(addr)}`,
      );
    }
    return undefined;
  }
  const a = checkAddress(addr, 'addr', where);
  if (remote !== undefined) {
    if (a.port !== remote.port || a.address !== remote.address) {
      throw new RangeError(
        `${where} on a connected endpoint expected no address or ${remote.address}:${remote.port}, got ${a.address}:${a.port}`,
      );
    }
    return undefined;
  }
  return [a.port, a.address];
}

/** @internal A `dgram.Socket` as asyncio's `DatagramTransport`. */
export class UdpTransport implements DatagramTransport {
  readonly #loop: Loop;
  readonly #socket: dgram.Socket;
  readonly #protocol: DatagramProtocol;
  readonly #connected: boolean;
  #remote: SocketAddress | undefined;
  #closing = false;
  #lost = false;
  #paused = false;
  readonly #afterSend = (err: Error | null): void => {
    if (err) this.#error(err);
    if (this.#paused && this.#socket.getSendQueueSize() <= DEFAULT_HIGH / 4) {
      this.#paused = false;
      this.#call('resumeWriting', () => this.#protocol.resumeWriting());
    }
  };

  constructor(loop: Loop, socket: dgram.Socket, protocol: DatagramProtocol, connected: boolean) {
    this.#loop = loop;
    this.#socket = socket;
    this.#protocol = protocol;
    this.#connected = connected;
    if (connected) this.#remote = toSocketAddress(socket.remoteAddress());
  }

  start(): void {
    const s = this.#socket;
    s.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      if (this.#closing) return;
      const addr = toSocketAddress(rinfo) as SocketAddress;
      this.#call('datagramReceived', () => this.#protocol.datagramReceived(msg, addr));
    });
    s.on('error', (e: Error) => this.#error(e));
    s.on('close', () => {
      if (this.#lost) return;
      this.#lost = true;
      this.#closing = true;
      this.#call('connectionLost', () => this.#protocol.connectionLost(null));
    });
    this.#call('connectionMade', () => this.#protocol.connectionMade(this));
  }

  sendto(data: Uint8Array | string, addr?: DatagramAddress): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError(
        `sendto() expected a Uint8Array, Buffer or string, got ${describe(data)}`,
      );
    }
    const target = sendTarget(addr, this.#connected ? this.#remote : undefined, 'sendto()');
    if (this.#closing) return;
    const s = this.#socket;
    // Sends queued behind others carry the completion callback that resumes a paused
    // protocol; a send into an empty queue (the common case) carries none, so Node can
    // send it synchronously.
    const cb = this.#paused || s.getSendQueueCount() > 0 ? this.#afterSend : undefined;
    try {
      if (target === undefined) s.send(data, cb);
      else s.send(data, target[0], target[1], cb);
    } catch (e) {
      this.#error(e as Error);
      return;
    }
    if (!this.#paused && s.getSendQueueSize() > DEFAULT_HIGH) {
      this.#paused = true;
      this.#call('pauseWriting', () => this.#protocol.pauseWriting());
    }
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    try {
      this.#socket.close();
    } catch {
      // Already closed by Node.
    }
  }

  abort(): void {
    this.close();
  }

  isClosing(): boolean {
    return this.#closing;
  }

  getExtraInfo<T = unknown>(name: ExtraInfoName, defaultValue?: T): T {
    let v: unknown;
    const s = this.#socket;
    switch (name) {
      case 'sockname':
        try {
          v = toSocketAddress(s.address());
        } catch {
          v = undefined;
        }
        break;
      case 'peername':
        v = this.#remote;
        break;
      case 'socket':
        v = s;
        break;
      default:
        v = undefined;
    }
    return (v === undefined ? defaultValue : v) as T;
  }

  getWriteBufferSize(): number {
    try {
      return this.#socket.getSendQueueSize();
    } catch {
      return 0;
    }
  }

  getProtocol(): DatagramProtocol {
    return this.#protocol;
  }

  toString(): string {
    return `<DatagramTransport${this.#closing ? ' closing' : ''}>`;
  }

  #error(e: Error): void {
    const err = toStreamError(e) as Error;
    this.#call('errorReceived', () => this.#protocol.errorReceived(err));
  }

  #call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: `Fatal error: protocol.${what}() call failed.`,
        exception,
        transport: this,
        protocol: this.#protocol,
      });
      this.close();
    }
  }
}
