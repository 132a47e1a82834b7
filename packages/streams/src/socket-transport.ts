/**
 * @internal SocketTransport: asyncio's selector socket transport, on a Node `net.Socket`
 * (TCP, Unix) or `tls.TLSSocket`. It turns the socket's events into protocol callbacks and
 * its write buffer into `pauseWriting`/`resumeWriting` at the watermarks.
 *
 * The socket is made with `allowHalfOpen`, so a peer's EOF reaches `eofReceived()` and the
 * protocol decides whether the connection stays open for writing, as in asyncio.
 *
 * Write watermarks: a write that leaves more than `high` bytes in Node's buffer pauses the
 * protocol. Every write made from then on, and the one that crossed, carries a completion
 * callback that resumes the protocol once the buffer is down to `low`. Writes below the
 * watermark carry none, so the common path costs nothing extra.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { getLoop, InvalidStateError, type Loop } from '@aiots/loop';
import { BufferedProtocol, type Protocol } from './protocol.ts';
import { toStreamError } from './system-error.ts';
import { type ExtraInfoName, type Transport, toSocketAddress } from './transport.ts';
import { checkInteger, describe } from './validate.ts';

/** asyncio's default write watermarks. */
export const DEFAULT_HIGH = 64 * 1024;

/** Where the socket came from, for extra info and messages. */
export interface SocketTransportOptions {
  /** The socket is a `tls.TLSSocket`. */
  tls?: boolean;
  /** The socket is a Unix domain socket. */
  unix?: boolean;
  /** The peer, for error messages (`127.0.0.1:8080`, a path). */
  peer?: string;
  /** A child process's pid, for `getExtraInfo('pid')`. */
  pid?: number;
  /** Called once after `connectionLost` (the server's connection count). */
  onLost?: (t: SocketTransport) => void;
}

export class SocketTransport implements Transport {
  readonly #socket: Socket;
  readonly #loop: Loop;
  #protocol: Protocol;
  #buffered: BufferedProtocol | undefined;
  readonly #tls: boolean;
  readonly #unix: boolean;
  readonly #peer: string | undefined;
  readonly #pid: number | undefined;
  readonly #onLost: ((t: SocketTransport) => void) | undefined;
  #closing = false;
  #eofWritten = false;
  #reading = true;
  #lost = false;
  #error: Error | null = null;
  #writePaused = false;
  #high = DEFAULT_HIGH;
  #low = DEFAULT_HIGH / 4;
  readonly #afterWrite = (): void => this.#maybeResumeWriting();

  constructor(socket: Socket, protocol: Protocol, opts: SocketTransportOptions = {}) {
    this.#socket = socket;
    this.#protocol = protocol;
    this.#buffered = protocol instanceof BufferedProtocol ? protocol : undefined;
    this.#loop = getLoop();
    this.#tls = opts.tls === true;
    this.#unix = opts.unix === true;
    this.#peer = opts.peer;
    this.#pid = opts.pid;
    this.#onLost = opts.onLost;
  }

  /** Attaches the socket's events and calls `connectionMade`. */
  start(): void {
    const s = this.#socket;
    s.on('data', (chunk: Buffer) => this.#onData(chunk));
    s.on('end', () => this.#onEnd());
    s.on('error', (e: Error) => {
      if (this.#error === null) this.#error = toStreamError(e, this.#peer) as Error;
    });
    s.on('close', () => this.#connectionLost(this.#error));
    try {
      this.#protocol.connectionMade(this);
    } catch (e) {
      this.#fatal(e, 'Fatal error: protocol.connectionMade() call failed.');
    }
  }

  write(data: Uint8Array | string): void {
    let len: number;
    if (typeof data === 'string') len = Buffer.byteLength(data);
    else if (data instanceof Uint8Array) len = data.length;
    else {
      throw new TypeError(`write() expected a Uint8Array, Buffer or string, got ${describe(data)}`);
    }
    if (this.#eofWritten) throw new InvalidStateError('Cannot call write() after writeEof()');
    if (len === 0 || this.#closing) return;
    const s = this.#socket;
    const crossing = this.#writePaused || s.writableLength + len > this.#high;
    s.write(data, crossing ? this.#afterWrite : undefined);
    if (!this.#writePaused && s.writableLength > this.#high) this.#pauseWriting();
  }

  writelines(chunks: Iterable<Uint8Array | string>): void {
    if (chunks === null || typeof (chunks as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`writelines() expected an iterable of chunks, got ${describe(chunks)}`);
    }
    for (const c of chunks) this.write(c);
  }

  writeEof(): void {
    if (this.#tls) {
      throw new InvalidStateError(
        'TLS connections have no half-close: writeEof() is not supported',
      );
    }
    if (this.#eofWritten || this.#closing) return;
    this.#eofWritten = true;
    this.#socket.end();
  }

  canWriteEof(): boolean {
    return !this.#tls;
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    const s = this.#socket;
    // Like asyncio: no more data for the protocol; what is buffered goes out, then the
    // socket closes and connectionLost(null) follows. A read-only pipe (a child's stdout)
    // has nothing to flush.
    s.pause();
    if (s.writable) s.destroySoon();
    else s.destroy();
  }

  abort(): void {
    this.#closing = true;
    if (!this.#lost) this.#socket.destroy();
  }

  /** @internal Closes with a TCP reset (the peer's reads fail with ECONNRESET). */
  _reset(): void {
    this.#closing = true;
    if (!this.#lost) {
      const s = this.#socket;
      if (typeof s.resetAndDestroy === 'function' && !this.#tls && !this.#unix) s.resetAndDestroy();
      else s.destroy();
    }
  }

  pauseReading(): void {
    if (this.#closing || !this.#reading) return;
    this.#reading = false;
    this.#socket.pause();
  }

  resumeReading(): void {
    if (this.#closing || this.#reading) return;
    this.#reading = true;
    this.#socket.resume();
  }

  isReading(): boolean {
    return this.#reading && !this.#closing;
  }

  isClosing(): boolean {
    return this.#closing;
  }

  getExtraInfo<T = unknown>(name: ExtraInfoName, defaultValue?: T): T {
    const s = this.#socket;
    let v: unknown;
    switch (name) {
      case 'peername':
        if (this.#pid !== undefined) v = undefined;
        else v = this.#unix ? toSocketAddress(this.#peer ?? '') : peerAddress(s);
        break;
      case 'sockname':
        if (this.#pid !== undefined) v = undefined;
        else v = this.#unix ? toSocketAddress(unixName(s)) : sockAddress(s);
        break;
      case 'socket':
        v = s;
        break;
      case 'sslobject':
        v = this.#tls ? s : undefined;
        break;
      case 'peercert':
        v = this.#tls ? (s as TLSSocket).getPeerCertificate() : undefined;
        break;
      case 'pid':
        v = this.#pid;
        break;
      case 'cipher':
        v = this.#tls ? (s as TLSSocket).getCipher() : undefined;
        break;
      default:
        v = undefined;
    }
    return (v === undefined ? defaultValue : v) as T;
  }

  getWriteBufferSize(): number {
    return this.#socket.writableLength;
  }

  getWriteBufferLimits(): [number, number] {
    return [this.#low, this.#high];
  }

  setWriteBufferLimits(high?: number, low?: number): void {
    const [h, l] = writeLimits(high, low, 'setWriteBufferLimits()');
    this.#high = h;
    this.#low = l;
    if (!this.#writePaused && this.#socket.writableLength > h) this.#pauseWriting();
    // A buffer already down to the new low mark gets no more write callbacks: check now.
    this.#maybeResumeWriting();
  }

  getProtocol(): Protocol {
    return this.#protocol;
  }

  setProtocol(protocol: Protocol): void {
    this.#protocol = protocol;
    this.#buffered = protocol instanceof BufferedProtocol ? protocol : undefined;
  }

  toString(): string {
    return `<SocketTransport ${this.#peer ?? ''}${this.#closing ? ' closing' : ''}>`;
  }

  #onData(chunk: Buffer): void {
    if (this.#closing) return;
    try {
      const bp = this.#buffered;
      if (bp === undefined) this.#protocol.dataReceived(chunk);
      else feedBuffered(bp, chunk);
    } catch (e) {
      this.#fatal(e, 'Fatal error: protocol.dataReceived() call failed.');
    }
  }

  #onEnd(): void {
    if (this.#closing) return;
    let keepOpen: unknown;
    try {
      keepOpen = this.#protocol.eofReceived();
    } catch (e) {
      this.#fatal(e, 'Fatal error: protocol.eofReceived() call failed.');
      return;
    }
    if (keepOpen !== true || this.#tls) this.close();
  }

  #pauseWriting(): void {
    this.#writePaused = true;
    try {
      this.#protocol.pauseWriting();
    } catch (e) {
      this.#report(e, 'protocol.pauseWriting() failed');
    }
  }

  #maybeResumeWriting(): void {
    if (!this.#writePaused || this.#socket.writableLength > this.#low) return;
    this.#writePaused = false;
    try {
      this.#protocol.resumeWriting();
    } catch (e) {
      this.#report(e, 'protocol.resumeWriting() failed');
    }
  }

  #connectionLost(exc: Error | null): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#closing = true;
    try {
      this.#protocol.connectionLost(exc);
    } catch (e) {
      this.#report(e, 'protocol.connectionLost() failed');
    }
    this.#onLost?.(this);
  }

  /** A protocol callback threw: report it and abort the connection with that error. */
  #fatal(e: unknown, message: string): void {
    this.#report(e, message);
    if (this.#error === null) this.#error = e instanceof Error ? e : new Error(String(e));
    this.abort();
  }

  #report(exception: unknown, message: string): void {
    this.#loop.callExceptionHandler({
      message,
      exception,
      transport: this,
      protocol: this.#protocol,
    });
  }
}

/** Copies `chunk` into the buffers a `BufferedProtocol` hands out. */
function feedBuffered(bp: BufferedProtocol, chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) {
    const want = chunk.length - off;
    const buf = bp.getBuffer(want);
    if (!(buf instanceof Uint8Array) || buf.length === 0) {
      throw new TypeError(
        `BufferedProtocol.getBuffer() expected to return a non-empty Uint8Array, got ${describe(buf)}`,
      );
    }
    const n = Math.min(buf.length, want);
    buf.set(chunk.subarray(off, off + n));
    off += n;
    bp.bufferUpdated(n);
  }
}

function peerAddress(s: Socket): unknown {
  return s.remoteAddress === undefined
    ? undefined
    : toSocketAddress({ address: s.remoteAddress, port: s.remotePort, family: s.remoteFamily });
}

function unixName(s: Socket): string {
  const a = s.address() as unknown;
  return typeof a === 'string' ? a : '';
}

function sockAddress(s: Socket): unknown {
  return toSocketAddress(s.address() as { address?: string; port?: number; family?: string });
}

/** @internal Validated `[high, low]` watermarks, filled in as asyncio does. */
export function writeLimits(high: unknown, low: unknown, where: string): [number, number] {
  let h = high === undefined || high === null ? undefined : checkInteger(high, 'high', where, 0);
  let l = low === undefined || low === null ? undefined : checkInteger(low, 'low', where, 0);
  if (h === undefined) h = l === undefined ? DEFAULT_HIGH : 4 * l;
  if (l === undefined) l = Math.floor(h / 4);
  if (l > h) {
    throw new RangeError(`${where} expected \`low\` (${l}) to be at most \`high\` (${h})`);
  }
  return [h, l];
}
