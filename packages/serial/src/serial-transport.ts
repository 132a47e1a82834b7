/**
 * @internal SerialTransport: a `serialport` stream as an asyncio `Transport`, with the same
 * write watermarks as `@aiots/streams`' sockets (pause above 64 KiB, resume at 16 KiB).
 *
 * A port that vanishes while open (serialport closes it with `err.disconnected`) ends the
 * connection with a `SerialPortError` whose `disconnected` is true: a waiting read fails
 * with it instead of seeing EOF, so a reader can tell a device that went away from one
 * that finished. `close()` flushes what is buffered before closing, as asyncio does.
 *
 * serialport does not always notice: a pty whose other end closed reads as 0 bytes, which
 * its binding retries forever, and its hang-up poll can miss the moment. So the transport
 * also checks, every `presenceCheckMs`, that the device node is still there and is the
 * same device (`rdev`); a vanished device (an unplugged USB adapter, a pty whose holder
 * died) ends the connection the same way.
 */

import { stat } from 'node:fs';
import { getLoop, InvalidStateError, type Loop } from '@aiots/loop';
import { describe } from '@aiots/loop/lowlevel';
import type { ExtraInfoName, Protocol, Transport } from '@aiots/streams';
import type { SerialPort } from 'serialport';
import { SerialPortError } from './errors.ts';

const DEFAULT_HIGH = 64 * 1024;

export class SerialTransport implements Transport {
  readonly #port: SerialPort;
  readonly #path: string;
  readonly #loop: Loop;
  #protocol: Protocol;
  #closing = false;
  #lost = false;
  #reading = true;
  #error: Error | null = null;
  #writePaused = false;
  #high = DEFAULT_HIGH;
  #low = DEFAULT_HIGH / 4;
  readonly #afterWrite = (): void => this.#maybeResumeWriting();
  readonly #rdev: number;
  readonly #checkMs: number;
  #presence: ReturnType<typeof setInterval> | undefined;

  /**
   * @param rdev The device number the path had when opened.
   * @param presenceCheckMs How often to check that the device is still there (0: never).
   */
  constructor(
    port: SerialPort,
    path: string,
    protocol: Protocol,
    rdev: number,
    presenceCheckMs: number,
  ) {
    this.#port = port;
    this.#path = path;
    this.#protocol = protocol;
    this.#loop = getLoop();
    this.#rdev = rdev;
    this.#checkMs = presenceCheckMs;
  }

  /** Attaches the port's events and calls `connectionMade`. */
  start(): void {
    const p = this.#port;
    p.on('data', (chunk: Buffer) => {
      if (this.#closing) return;
      try {
        this.#protocol.dataReceived(chunk);
      } catch (e) {
        this.#fatal(e, 'Fatal error: protocol.dataReceived() call failed.');
      }
    });
    p.on('error', (e: Error) => {
      this.#error ??= new SerialPortError(
        `serial port ${this.#path} failed: ${e.message}`,
        this.#path,
        {
          cause: e,
        },
      );
      // serialport does not close the port on every error; a failed port is done for.
      if (p.isOpen) p.close(() => {});
      else this.#connectionLost(this.#error);
    });
    p.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (err?.disconnected) {
        this.#error ??= new SerialPortError(
          `serial port ${this.#path} disconnected: ${err.message}`,
          this.#path,
          { cause: err, disconnected: true },
        );
      }
      this.#connectionLost(this.#error);
    });
    if (this.#checkMs > 0) {
      this.#presence = setInterval(() => this.#checkPresence(), this.#checkMs);
      this.#presence.unref();
    }
    try {
      this.#protocol.connectionMade(this);
    } catch (e) {
      this.#fatal(e, 'Fatal error: protocol.connectionMade() call failed.');
    }
  }

  #checkPresence(): void {
    stat(this.#path, (err, st) => {
      if (this.#lost) return;
      const code = (err as { code?: string } | null)?.code;
      const gone = err !== null ? code === 'ENOENT' || code === 'ENXIO' : st.rdev !== this.#rdev;
      if (!gone) return;
      this.#error ??= new SerialPortError(
        `serial port ${this.#path} disconnected: the device is gone`,
        this.#path,
        {
          cause: err ?? undefined,
          disconnected: true,
        },
      );
      this.abort();
    });
  }

  write(data: Uint8Array | string): void {
    let len: number;
    if (typeof data === 'string') len = Buffer.byteLength(data);
    else if (data instanceof Uint8Array) len = data.length;
    else
      throw new TypeError(`write() expected a Uint8Array, Buffer or string, got ${describe(data)}`);
    if (len === 0 || this.#closing) return;
    const p = this.#port;
    const crossing = this.#writePaused || p.writableLength + len > this.#high;
    p.write(data, crossing ? this.#afterWrite : undefined);
    if (!this.#writePaused && p.writableLength > this.#high) {
      this.#writePaused = true;
      this.#call('pauseWriting', () => this.#protocol.pauseWriting());
    }
  }

  writelines(chunks: Iterable<Uint8Array | string>): void {
    if (chunks === null || typeof (chunks as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`writelines() expected an iterable of chunks, got ${describe(chunks)}`);
    }
    for (const c of chunks) this.write(c);
  }

  writeEof(): void {
    throw new InvalidStateError('a serial line has no half-close: writeEof() is not supported');
  }

  canWriteEof(): boolean {
    return false;
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    const p = this.#port;
    p.pause();
    if (!p.isOpen) {
      this.#connectionLost(this.#error);
      return;
    }
    // Flush first: serialport's close() fails writes still in progress. 'finish' comes
    // once every queued write has completed ('drain' would only come after a write that
    // filled the stream's buffer).
    p.once('finish', () => {
      if (p.isOpen) p.close(ignore);
    });
    p.end();
  }

  abort(): void {
    this.#closing = true;
    const p = this.#port;
    if (p.isOpen) p.close(ignore);
    else this.#connectionLost(this.#error);
  }

  pauseReading(): void {
    if (this.#closing || !this.#reading) return;
    this.#reading = false;
    this.#port.pause();
  }

  resumeReading(): void {
    if (this.#closing || this.#reading) return;
    this.#reading = true;
    this.#port.resume();
  }

  isReading(): boolean {
    return this.#reading && !this.#closing;
  }

  isClosing(): boolean {
    return this.#closing;
  }

  getExtraInfo<T = unknown>(name: ExtraInfoName, defaultValue?: T): T {
    let v: unknown;
    if (name === 'serial' || name === 'socket') v = this.#port;
    else if (name === 'path') v = this.#path;
    else if (name === 'baudRate') v = this.#port.baudRate;
    return (v === undefined ? defaultValue : v) as T;
  }

  getWriteBufferSize(): number {
    return this.#port.writableLength;
  }

  getWriteBufferLimits(): [number, number] {
    return [this.#low, this.#high];
  }

  setWriteBufferLimits(high?: number, low?: number): void {
    let h = high;
    let l = low;
    for (const [name, v] of [
      ['high', h],
      ['low', l],
    ] as const) {
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
        throw new RangeError(
          `setWriteBufferLimits() expected \`${name}\` to be an integer from 0 and up, got ${describe(v)}`,
        );
      }
    }
    h ??= l === undefined ? DEFAULT_HIGH : 4 * l;
    l ??= Math.floor(h / 4);
    if (l > h)
      throw new RangeError(
        `setWriteBufferLimits() expected \`low\` (${l}) to be at most \`high\` (${h})`,
      );
    this.#high = h;
    this.#low = l;
    this.#maybeResumeWriting();
  }

  getProtocol(): Protocol {
    return this.#protocol;
  }

  setProtocol(protocol: Protocol): void {
    this.#protocol = protocol;
  }

  toString(): string {
    return `<SerialTransport ${this.#path}${this.#closing ? ' closing' : ''}>`;
  }

  #maybeResumeWriting(): void {
    if (!this.#writePaused || this.#port.writableLength > this.#low) return;
    this.#writePaused = false;
    this.#call('resumeWriting', () => this.#protocol.resumeWriting());
  }

  #connectionLost(exc: Error | null): void {
    if (this.#lost) return;
    this.#lost = true;
    if (this.#presence !== undefined) clearInterval(this.#presence);
    this.#closing = true;
    this.#call('connectionLost', () => this.#protocol.connectionLost(exc));
  }

  #fatal(e: unknown, message: string): void {
    this.#loop.callExceptionHandler({
      message,
      exception: e,
      transport: this,
      protocol: this.#protocol,
    });
    this.#error ??= e instanceof Error ? e : new Error(String(e));
    this.abort();
  }

  #call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: `protocol.${what}() failed`,
        exception,
        transport: this,
        protocol: this.#protocol,
      });
    }
  }
}

function ignore(): void {}
