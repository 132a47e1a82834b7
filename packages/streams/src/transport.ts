/**
 * The transport interfaces (asyncio's `Transport` and `DatagramTransport`) and the address
 * type every API of the package uses.
 */
import type { DatagramProtocol, Protocol } from './protocol.ts';

/**
 * A socket address: `{ address, port, family }` everywhere (stream extra info, `sendto`,
 * `datagramReceived`, `recv`). For a Unix socket, `address` is the path (empty for an
 * unnamed client socket), `port` is 0 and `family` is `'unix'`.
 */
export interface SocketAddress {
  /** An IP address (`127.0.0.1`, `::1`) or, for a Unix socket, its path. */
  readonly address: string;
  /** The port; 0 for a Unix socket. */
  readonly port: number;
  /** `'IPv4'`, `'IPv6'` or `'unix'`. */
  readonly family: 'IPv4' | 'IPv6' | 'unix';
}

/**
 * The names `getExtraInfo()` knows: `'peername'` and `'sockname'` (a `SocketAddress`),
 * `'socket'` (the Node socket or stream), `'peercert'` (the TLS peer's certificate),
 * `'cipher'` (the TLS cipher), `'sslobject'` (the `tls.TLSSocket`), `'pid'` (a pipe's
 * process).
 */
export type ExtraInfoName =
  | 'peername'
  | 'sockname'
  | 'socket'
  | 'peercert'
  | 'cipher'
  | 'sslobject'
  | 'pid'
  | (string & {});

/**
 * A stream connection's transport, as asyncio's `Transport`: what a `Protocol` writes to.
 * Writes never block: they are buffered, and the protocol's `pauseWriting()` is called when
 * the buffer rises above the high watermark (64 KiB by default), `resumeWriting()` when it
 * falls to the low one (16 KiB).
 */
export interface Transport {
  /**
   * Queues `data` for sending. A string is sent as UTF-8.
   * @throws {TypeError} for anything but a Uint8Array (Buffer) or string.
   * @throws {InvalidStateError} after `writeEof()`.
   */
  write(data: Uint8Array | string): void;
  /** Queues every chunk of `chunks`, in order. */
  writelines(chunks: Iterable<Uint8Array | string>): void;
  /** Closes the sending side once the buffer is flushed (half-close). */
  writeEof(): void;
  /** True when `writeEof()` is supported (not over TLS). */
  canWriteEof(): boolean;
  /**
   * Closes the connection: stops reading, flushes what is buffered, then closes. The
   * protocol's `connectionLost(null)` follows. Closing twice does nothing.
   */
  close(): void;
  /** Closes at once, dropping buffered data; `connectionLost` follows. */
  abort(): void;
  /** Stops calling `dataReceived` until `resumeReading()`; the peer is back-pressured. */
  pauseReading(): void;
  /** Resumes calling `dataReceived`. */
  resumeReading(): void;
  /** True unless reading is paused. */
  isReading(): boolean;
  /** True once `close()` or `abort()` was called or the connection was lost. */
  isClosing(): boolean;
  /**
   * Information about the connection (see `ExtraInfoName`), or `defaultValue` when this
   * transport has none under that name.
   */
  getExtraInfo<T = unknown>(name: ExtraInfoName, defaultValue?: T): T;
  /** Bytes buffered for sending. */
  getWriteBufferSize(): number;
  /** The `[low, high]` watermarks. */
  getWriteBufferLimits(): [number, number];
  /**
   * Sets the watermarks. Only `high`: low is high / 4. Only `low`: high is 4 × low.
   * @throws {RangeError} unless `0 <= low <= high`.
   */
  setWriteBufferLimits(high?: number, low?: number): void;
  /** The protocol this transport calls. */
  getProtocol(): Protocol;
  /** Makes the transport call `protocol` from now on. */
  setProtocol(protocol: Protocol): void;
}

/**
 * A UDP endpoint's transport, as asyncio's `DatagramTransport`.
 */
export interface DatagramTransport {
  /**
   * Sends one datagram. On a connected endpoint (made with `remoteAddr`) `addr` must be
   * left out or equal the remote address. A send error goes to the protocol's
   * `errorReceived`; it is not thrown.
   * @throws {TypeError} for data that is not bytes or a malformed address.
   */
  sendto(data: Uint8Array | string, addr?: SocketAddress | { address: string; port: number }): void;
  /** Closes the endpoint; `connectionLost(null)` follows. */
  close(): void;
  /** Closes at once. */
  abort(): void;
  /** True once `close()` or `abort()` was called. */
  isClosing(): boolean;
  /** `'sockname'`, `'peername'` (connected endpoints), `'socket'` (the `dgram.Socket`). */
  getExtraInfo<T = unknown>(name: ExtraInfoName, defaultValue?: T): T;
  /** Bytes queued for sending. */
  getWriteBufferSize(): number;
  /** The protocol this transport calls. */
  getProtocol(): DatagramProtocol;
}

/** @internal A `SocketAddress` from Node's `address()` shape. */
export function toSocketAddress(
  info:
    | {
        address?: string | undefined;
        port?: number | undefined;
        family?: string | number | undefined;
      }
    | string
    | null
    | undefined,
): SocketAddress | undefined {
  if (info === null || info === undefined) return undefined;
  if (typeof info === 'string') return Object.freeze({ address: info, port: 0, family: 'unix' });
  if (info.address === undefined) return undefined;
  const f = info.family;
  const family = f === 'IPv6' || f === 6 ? 'IPv6' : 'IPv4';
  return Object.freeze({ address: info.address, port: info.port ?? 0, family });
}
