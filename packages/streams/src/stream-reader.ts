/**
 * StreamReader: asyncio's `StreamReader`, with its limit rules, on a buffer of chunks.
 *
 * A read that the buffer can satisfy returns without waiting (no Future, no suspension, as a
 * coroutine that does not await in asyncio). Otherwise the read parks, in one of two ways:
 *
 * - `readline()` and `read(n)` return a `HandOffFuture` that `feedData`/`feedEof` complete
 *   with the bytes themselves: one object per wait, no async frame. If the reading task is
 *   cancelled after the bytes were handed over and before it resumed, the Future's hand-off
 *   hook puts them back at the front of the buffer (before the task's code runs again), so
 *   nothing is lost. Every outcome of these two reads that consumes bytes is a result (at
 *   EOF `readline()` returns the partial line), which is what makes the hand-off lossless.
 * - `readexactly()` and `readuntil()` can end with `IncompleteReadError`, which takes the
 *   buffer with it: they park on a plain Future that only wakes them, and take their bytes
 *   when they run, so a cancel at any moment leaves every byte in the buffer.
 */
import { type Future, getLoop, InvalidStateError, type Loop } from '@aiots/loop';
import { AbortWatch, HandOffFuture } from '@aiots/loop/lowlevel';
import { ChunkBuffer } from './chunk-buffer.ts';
import { IncompleteReadError, LimitOverrunError } from './errors.ts';
import { newWaiter, park, type WaitOptions, wake, wakeWithError } from './park.ts';
import type { Transport } from './transport.ts';
import { checkInteger, checkLimit, checkOptions, describe, signalOf } from './validate.ts';

const EMPTY = Buffer.alloc(0);
const NEWLINE = [Buffer.from('\n')];
/** What a parked hand-off read is. */
const LINE = 1;
const READ = 2;
const LINE_LABEL = 'StreamReader.readline';
const READ_LABEL = 'StreamReader.read';

/** Options of `new StreamReader()`. */
export interface StreamReaderOptions {
  /**
   * The line limit (default 64 KiB): `readline()`/`readuntil()` fail with
   * `LimitOverrunError` past it, and the transport is paused while more than twice this
   * many bytes are buffered.
   */
  limit?: number;
}

/** A separator for `readuntil()`: bytes, a string (UTF-8), or a list of either. */
export type Separator = Uint8Array | string | readonly (Uint8Array | string)[];

/** What `StreamReader.stats()` returns. */
export interface StreamReaderStats {
  /** Bytes buffered, not yet read. */
  readonly buffered: number;
  /** The limit. */
  readonly limit: number;
  /** True once EOF was fed (data may still be buffered). */
  readonly eof: boolean;
  /** True while the transport is paused because the buffer is over twice the limit. */
  readonly paused: boolean;
  /** True while a read waits for data. */
  readonly waiting: boolean;
}

/**
 * The reading half of a stream connection, as asyncio's `StreamReader`. Every read is a
 * cancellation point and takes `{ signal }` last; a read that is cancelled or aborted takes
 * nothing from the buffer. Only one read may wait at a time.
 *
 * @example
 * ```ts
 * import { StreamReader } from '@aiots/streams';
 * const reader = new StreamReader();
 * reader.feedData(Buffer.from('hello\nworld'));
 * reader.feedEof();
 * console.log((await reader.readline()).toString()); // hello\n
 * console.log((await reader.read()).toString()); // world
 * console.log(reader.atEof()); // true
 * ```
 */
export class StreamReader {
  readonly #loop: Loop;
  readonly #limit: number;
  readonly #buf = new ChunkBuffer();
  #eof = false;
  #waiter: Future<void> | undefined = undefined;
  #exception: unknown = undefined;
  #transport: Transport | undefined = undefined;
  #paused = false;
  #scan = 0;
  /** A parked `readline()`/`read(n)` (see the module notes), its kind, size and scan offset. */
  #pending: HandOffFuture<Buffer> | undefined = undefined;
  #pendingKind = 0;
  #pendingN = 0;
  #pendingScan = 0;
  readonly #onHandOff = (fut: HandOffFuture<Buffer>, taken: boolean): void => {
    // Bytes handed to a read whose task was cancelled before it resumed: back to the front.
    if (taken || fut.cancelled() || fut.exception() !== undefined) return;
    const bytes = fut.result();
    if (bytes.length > 0) {
      this.#buf.unshift(bytes);
      const t = this.#transport;
      if (t !== undefined && !this.#paused && this.#buf.size > 2 * this.#limit) {
        this.#paused = true;
        t.pauseReading();
      }
    }
  };

  /**
   * Creates a reader; a transport feeds it (`openConnection` and `startServer` make them).
   * @param opts `{ limit }`, an integer from 1 and up (default 64 KiB).
   * @throws {TypeError} when `limit` is not a number. @throws {RangeError} when it is not an integer from 1 and up.
   */
  constructor(opts?: StreamReaderOptions) {
    const o = checkOptions<StreamReaderOptions>(opts, 'StreamReader()');
    this.#limit = checkLimit(o?.limit, 'StreamReader()');
    this.#loop = getLoop();
  }

  /** The line limit in bytes. */
  get limit(): number {
    return this.#limit;
  }

  /** The stored exception (`setException`), or `undefined`. */
  exception(): unknown {
    return this.#exception;
  }

  /**
   * Makes every later read fail with `exc`, and the waiting read (if any) at once. Data still
   * buffered is not returned.
   *
   * @param exc The error reads throw from now on.
   * @example
   * ```ts
   * import { StreamReader } from '@aiots/streams';
   * const reader = new StreamReader();
   * reader.setException(new Error('boom'));
   * await reader.read(1).catch((e) => console.log((e as Error).message)); // boom
   * ```
   */
  setException(exc: unknown): void {
    this.#exception = exc;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      wakeWithError(w, exc);
    }
    const p = this.#pending;
    if (p !== undefined) {
      this.#pending = undefined;
      if (!p.done()) p.setException(exc);
    }
  }

  /**
   * Attaches the transport this reader pauses and resumes for flow control.
   * @param transport The transport that feeds this reader.
   * @throws {InvalidStateError} when a transport is already set.
   */
  setTransport(transport: Transport): void {
    if (this.#transport !== undefined) throw new InvalidStateError('Transport already set');
    this.#transport = transport;
  }

  /**
   * Marks the end of the stream: reads return what is buffered, then `EOF` results.
   *
   * @example
   * ```ts
   * import { StreamReader } from '@aiots/streams';
   * const reader = new StreamReader();
   * reader.feedEof();
   * console.log(reader.atEof(), (await reader.read()).length); // true 0
   * ```
   */
  feedEof(): void {
    this.#eof = true;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      wake(w, undefined);
    }
    if (this.#pending !== undefined) this.#servePending();
  }

  /**
   * True when EOF was fed and the buffer is empty.
   *
   * @example
   * ```ts
   * import { StreamReader } from '@aiots/streams';
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('x'));
   * reader.feedEof();
   * console.log(reader.atEof()); // false
   * ```
   */
  atEof(): boolean {
    return this.#eof && this.#buf.size === 0;
  }

  /**
   * Adds received bytes to the buffer and wakes the waiting read. The buffer keeps `data`
   * without copying it. Past twice the limit, the transport is paused.
   *
   * @param data The bytes.
   * @throws {InvalidStateError} after `feedEof()`.
   * @example
   * ```ts
   * import { StreamReader } from '@aiots/streams';
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('abc'));
   * console.log((await reader.read(2)).toString()); // ab
   * ```
   */
  feedData(data: Uint8Array): void {
    if (this.#eof) throw new InvalidStateError('feedData() after feedEof()');
    if (data.length === 0) return;
    const buf = this.#buf;
    buf.push(
      Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    );
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      wake(w, undefined);
    }
    if (this.#pending !== undefined) this.#servePending();
    const t = this.#transport;
    if (t !== undefined && !this.#paused && buf.size > 2 * this.#limit) {
      this.#paused = true;
      t.pauseReading();
    }
  }

  /**
   * Reads up to `n` bytes: at once if any are buffered, else as soon as some arrive. With
   * `n < 0` (the default), reads until EOF. Returns an empty Buffer at EOF, and for `n = 0`.
   * Not capped by the limit.
   *
   * @param n How many bytes at most; negative for everything until EOF.
   * @param opts `{ signal }`.
   * @returns The bytes.
   * @throws {CancelledError} when the task is cancelled while waiting (nothing is taken).
   * @throws the stored exception (a `ConnectionResetError` when the peer reset).
   * @throws {TypeError} / {RangeError} when `n` is not an integer.
   * @example
   * ```ts
   * import { StreamReader } from '@aiots/streams';
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('line1'));
   * reader.feedData(Buffer.from('line2'));
   * console.log((await reader.read(5)).toString()); // line1
   * ```
   */
  read(n = -1, opts?: WaitOptions): Promise<Buffer> {
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      return Promise.reject(
        typeof n !== 'number'
          ? new TypeError(`read() expected \`n\` to be an integer, got ${describe(n)}`)
          : new RangeError(`read() expected \`n\` to be an integer, got ${n}`),
      );
    }
    if (opts !== undefined) return this.#readSlow(n, opts);
    if (this.#exception !== undefined) return Promise.reject(this.#exception);
    if (n === 0) return Promise.resolve(EMPTY);
    if (n > 0) {
      const buf = this.#buf;
      if (buf.size > 0) {
        const out = buf.take(Math.min(n, buf.size));
        this.#maybeResume();
        return Promise.resolve(out);
      }
      if (this.#eof) return Promise.resolve(EMPTY);
      return this.#park(READ, n, 'read', undefined);
    }
    return this.#readSlow(n, undefined);
  }

  async #readSlow(n: number, opts: WaitOptions | undefined): Promise<Buffer> {
    const signal = signalOf(opts, 'read()');
    if (signal?.aborted) throw signal.reason;
    if (this.#exception !== undefined) throw this.#exception;
    if (n === 0) return EMPTY;
    if (n < 0) {
      const blocks: Buffer[] = [];
      for (;;) {
        const block = await this.#readSlow(this.#limit, opts);
        if (block.length === 0) break;
        blocks.push(block);
      }
      return blocks.length === 1 ? (blocks[0] as Buffer) : Buffer.concat(blocks);
    }
    const buf = this.#buf;
    if (buf.size > 0) {
      const out = buf.take(Math.min(n, buf.size));
      this.#maybeResume();
      return out;
    }
    if (this.#eof) return EMPTY;
    return this.#park(READ, n, 'read', signal);
  }

  /**
   * Reads exactly `n` bytes.
   *
   * @param n How many bytes, from 0 up; may exceed the limit.
   * @param opts `{ signal }`.
   * @returns The bytes.
   * @throws {IncompleteReadError} when the stream ends first (`partial` has what came; the buffer is emptied).
   * @throws {CancelledError} when the task is cancelled while waiting (nothing is taken).
   * @throws {RangeError} for a negative `n`. @throws {TypeError} for a non-number.
   * @example
   * ```ts
   * import { StreamReader } from '@aiots/streams';
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from([0, 3, 97, 98, 99]));
   * const [, len] = await reader.readexactly(2);
   * console.log((await reader.readexactly(len as number)).toString()); // abc
   * ```
   */
  readexactly(n: number, opts?: WaitOptions): Promise<Buffer> {
    try {
      checkInteger(n, 'n', 'readexactly()', 0);
    } catch (e) {
      return Promise.reject(e);
    }
    if (opts === undefined && this.#exception === undefined) {
      const buf = this.#buf;
      if (n === 0) return Promise.resolve(EMPTY);
      if (buf.size >= n) {
        const out = buf.take(n);
        this.#maybeResume();
        return Promise.resolve(out);
      }
    }
    return this.#readexactlySlow(n, opts);
  }

  async #readexactlySlow(n: number, opts: WaitOptions | undefined): Promise<Buffer> {
    const signal = signalOf(opts, 'readexactly()');
    if (signal?.aborted) throw signal.reason;
    if (this.#exception !== undefined) throw this.#exception;
    if (n === 0) return EMPTY;
    const buf = this.#buf;
    while (buf.size < n) {
      if (this.#eof) {
        const partial = buf.takeAll();
        throw new IncompleteReadError(partial, n);
      }
      const fut = this.#prepareWait('readexactly');
      try {
        await (signal === undefined ? fut : park(fut, signal));
      } finally {
        this.#doneWaiting(fut);
      }
    }
    const out = buf.take(n);
    this.#maybeResume();
    return out;
  }

  /**
   * Reads a line: the bytes up to and including `\n`. At EOF, returns what is left without
   * a newline (an empty Buffer when nothing is).
   *
   * @param opts `{ signal }`.
   * @returns The line.
   * @throws {LimitOverrunError} when the line (without its newline) is longer than the
   *   limit; the line is dropped, or the buffer is cleared when no newline was seen.
   * @throws {CancelledError} when the task is cancelled while waiting (nothing is taken).
   * @example
   * ```ts
   * import { StreamReader } from '@aiots/streams';
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('some data'));
   * reader.feedEof();
   * console.log((await reader.readline()).toString()); // some data
   * ```
   */
  readline(opts?: WaitOptions): Promise<Buffer> {
    let signal: AbortSignal | undefined;
    if (opts !== undefined) {
      try {
        signal = signalOf(opts, 'readline()');
      } catch (e) {
        return Promise.reject(e);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (this.#exception !== undefined) return Promise.reject(this.#exception);
    let line: Buffer | undefined;
    try {
      this.#scan = 0;
      line = this.#untilStep(NEWLINE, 1, 1);
    } catch (e) {
      try {
        return Promise.resolve(this.#readlineFailed(e));
      } catch (e2) {
        return Promise.reject(e2);
      }
    }
    if (line !== undefined) return Promise.resolve(line);
    return this.#park(LINE, 0, 'readline', signal);
  }

  /**
   * Parks a `readline()` (`LINE`, scanning on from `#scan`) or `read(n)` (`READ`) as the
   * pending hand-off read; `#servePending` completes it.
   */
  #park(kind: number, n: number, where: string, signal: AbortSignal | undefined): Promise<Buffer> {
    const old = this.#pending;
    if ((old !== undefined && !old.done()) || this.#waiter !== undefined) {
      return Promise.reject(
        new InvalidStateError(
          `${where}() called while another task is already waiting for incoming data`,
        ),
      );
    }
    // Waiting while paused would deadlock.
    if (this.#paused) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
    const fut = new HandOffFuture<Buffer>(this.#onHandOff, {
      loop: this.#loop,
      label: kind === LINE ? LINE_LABEL : READ_LABEL,
    });
    this.#pending = fut;
    this.#pendingKind = kind;
    this.#pendingN = n;
    this.#pendingScan = this.#scan;
    return signal === undefined ? fut : abortable(fut, signal);
  }

  /** Completes the pending hand-off read if the buffer (or EOF) now can. */
  #servePending(): void {
    const fut = this.#pending as HandOffFuture<Buffer>;
    if (fut.done()) {
      // Its task was cancelled (or its signal aborted) while it waited: nothing was taken.
      this.#pending = undefined;
      return;
    }
    const buf = this.#buf;
    if (this.#pendingKind === READ) {
      if (buf.size > 0) {
        this.#pending = undefined;
        const out = buf.take(Math.min(this.#pendingN, buf.size));
        this.#maybeResume();
        fut.setResult(out);
      } else if (this.#eof) {
        this.#pending = undefined;
        fut.setResult(EMPTY);
      }
      return;
    }
    let line: Buffer | undefined;
    this.#scan = this.#pendingScan;
    try {
      line = this.#untilStep(NEWLINE, 1, 1);
    } catch (e) {
      this.#pending = undefined;
      let result: Buffer;
      try {
        result = this.#readlineFailed(e);
      } catch (e2) {
        fut.setException(e2);
        return;
      }
      fut.setResult(result);
      return;
    }
    if (line === undefined) {
      this.#pendingScan = this.#scan;
      return;
    }
    this.#pending = undefined;
    fut.setResult(line);
  }

  /** asyncio's readline() on the errors of readuntil(): the partial line at EOF, and the
   * limit rule (drop the line, or the buffer when no newline was seen). */
  #readlineFailed(e: unknown): Buffer {
    if (IncompleteReadError.is(e)) return e.partial;
    if (LimitOverrunError.is(e)) {
      const buf = this.#buf;
      if (buf.startsWith(NEWLINE[0] as Buffer, e.consumed)) buf.skip(e.consumed + 1);
      else buf.clear();
      this.#maybeResume();
    }
    throw e;
  }

  /**
   * Reads up to and including a separator. With a list of separators, the shortest result
   * that ends with any of them wins.
   *
   * @param separator Bytes or a string (UTF-8), or a list of them; default `'\n'`.
   * @param opts `{ signal }`.
   * @returns The bytes, separator included.
   * @throws {IncompleteReadError} at EOF without a separator (`partial` has the buffer, which is emptied).
   * @throws {LimitOverrunError} when no separator is found within the limit, or the one found
   *   ends a chunk longer than the limit; the buffer is left as it was.
   * @throws {CancelledError} when the task is cancelled while waiting (nothing is taken).
   * @throws {RangeError} for an empty separator or list. @throws {TypeError} for a separator that is not bytes or a string.
   * @example
   * ```ts
   * import { StreamReader } from '@aiots/streams';
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('ABCDEFG'));
   * console.log((await reader.readuntil(['DEF', 'BCDE'])).toString()); // ABCDE
   * ```
   */
  readuntil(separator: Separator = '\n', opts?: WaitOptions): Promise<Buffer> {
    let seps: Buffer[];
    try {
      seps = toSeparators(separator);
    } catch (e) {
      return Promise.reject(e);
    }
    const minLen = (seps[0] as Buffer).length;
    const maxLen = (seps[seps.length - 1] as Buffer).length;
    if (opts === undefined && this.#exception === undefined) {
      try {
        this.#scan = 0;
        const out = this.#untilStep(seps, minLen, maxLen);
        if (out !== undefined) return Promise.resolve(out);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.#readuntilSlow(seps, minLen, maxLen, opts, 'readuntil');
  }

  async #readuntilSlow(
    seps: Buffer[],
    minLen: number,
    maxLen: number,
    opts: WaitOptions | undefined,
    where: string,
  ): Promise<Buffer> {
    const signal = signalOf(opts, `${where}()`);
    if (signal?.aborted) throw signal.reason;
    if (this.#exception !== undefined) throw this.#exception;
    let scan = 0;
    for (;;) {
      this.#scan = scan;
      const out = this.#untilStep(seps, minLen, maxLen);
      if (out !== undefined) return out;
      scan = this.#scan;
      const fut = this.#prepareWait(where);
      try {
        await (signal === undefined ? fut : park(fut, signal));
      } finally {
        this.#doneWaiting(fut);
      }
    }
  }

  /**
   * One pass of asyncio's `readuntil` loop over the buffer, from `#scan` (bytes known to hold
   * no separator): the chunk when a separator is found, `undefined` when more data is
   * needed (with `#scan` advanced). Throws the limit and EOF errors.
   */
  #untilStep(seps: Buffer[], minLen: number, maxLen: number): Buffer | undefined {
    const buf = this.#buf;
    const size = buf.size;
    const offset = this.#scan;
    if (size - offset >= minLen) {
      let matchStart = -1;
      let matchEnd = -1;
      for (let i = 0; i < seps.length; i++) {
        const sep = seps[i] as Buffer;
        const at = buf.indexOf(sep, offset);
        if (at !== -1) {
          const end = at + sep.length;
          if (matchEnd < 0 || end < matchEnd) {
            matchEnd = end;
            matchStart = at;
          }
        }
      }
      if (matchEnd >= 0) {
        if (matchStart > this.#limit) {
          throw new LimitOverrunError(
            'Separator is found, but chunk is longer than limit',
            matchStart,
          );
        }
        const out = buf.take(matchEnd);
        this.#maybeResume();
        return out;
      }
      const next = Math.max(0, size + 1 - maxLen);
      this.#scan = next;
      if (next > this.#limit) {
        throw new LimitOverrunError('Separator is not found, and chunk exceed the limit', next);
      }
    }
    if (this.#eof) {
      const partial = buf.takeAll();
      this.#maybeResume();
      throw new IncompleteReadError(partial, null);
    }
    return undefined;
  }

  /**
   * Iterates over the lines until EOF (`readline()` until it returns an empty Buffer).
   *
   * @example
   * ```ts
   * import { StreamReader } from '@aiots/streams';
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('a\nb\n'));
   * reader.feedEof();
   * for await (const line of reader) console.log(line.toString().trim()); // a
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /**
   * A frozen snapshot of the reader's state.
   *
   * @example
   * ```ts
   * import { StreamReader } from '@aiots/streams';
   * const reader = new StreamReader({ limit: 10 });
   * reader.feedData(Buffer.from('abc'));
   * console.log(reader.stats()); // { buffered: 3, limit: 10, eof: false, paused: false, waiting: false }
   * ```
   */
  stats(): StreamReaderStats {
    return Object.freeze({
      buffered: this.#buf.size,
      limit: this.#limit,
      eof: this.#eof,
      paused: this.#paused,
      waiting: this.#waiter !== undefined || (this.#pending !== undefined && !this.#pending.done()),
    });
  }

  toString(): string {
    const info = ['StreamReader'];
    if (this.#buf.size > 0) info.push(`${this.#buf.size} bytes`);
    if (this.#eof) info.push('eof');
    if (this.#limit !== 65536) info.push(`limit=${this.#limit}`);
    if (this.stats().waiting) info.push('waiting');
    if (this.#exception !== undefined) info.push(`exception=${String(this.#exception)}`);
    if (this.#paused) info.push('paused');
    return `<${info.join(' ')}>`;
  }

  #maybeResume(): void {
    if (this.#paused && this.#buf.size <= this.#limit) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
  }

  /**
   * The Future the caller parks on until `feedData`, `feedEof` or `setException`. The caller
   * awaits it inline (no async helper: every nested async frame costs a promise and a
   * microtask per read) and clears `#waiter` in a `finally` with `#doneWaiting`.
   */
  #prepareWait(where: string): Future<void> {
    const p = this.#pending;
    if (this.#waiter !== undefined || (p !== undefined && !p.done())) {
      throw new InvalidStateError(
        `${where}() called while another task is already waiting for incoming data`,
      );
    }
    // Waiting while paused would deadlock (readexactly(n) with n over twice the limit).
    if (this.#paused) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
    const fut = newWaiter(this.#loop);
    this.#waiter = fut;
    return fut;
  }

  #doneWaiting(fut: Future<void>): void {
    if (this.#waiter === fut) this.#waiter = undefined;
  }
}

/** The separators of `readuntil()`, as Buffers sorted by length (shortest first). */
function toSeparators(separator: Separator): Buffer[] {
  const list = Array.isArray(separator) ? separator : [separator];
  if (list.length === 0) {
    throw new RangeError('readuntil() expected at least one separator, got an empty list');
  }
  const out: Buffer[] = [];
  for (const s of list) {
    let b: Buffer;
    if (typeof s === 'string') b = Buffer.from(s, 'utf8');
    else if (s instanceof Uint8Array) b = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
    else {
      throw new TypeError(
        `readuntil() expected a separator of bytes or a string, got ${describe(s)}`,
      );
    }
    if (b.length === 0) {
      throw new RangeError(
        'readuntil() expected a separator of at least one byte, got an empty one',
      );
    }
    out.push(b);
  }
  if (out.length > 1) out.sort((a, b) => a.length - b.length);
  return out;
}

/** A hand-off read with a signal: an abort cancels it and rejects with the signal's reason. */
async function abortable(fut: HandOffFuture<Buffer>, signal: AbortSignal): Promise<Buffer> {
  const watch = new AbortWatch(signal, fut);
  try {
    return await fut;
  } catch (e) {
    throw watch.aborted ? signal.reason : e;
  } finally {
    watch.dispose();
  }
}
