/**
 * One HTTP attempt on undici's `dispatch` API: the handler undici calls, and the state a
 * `ClientResponse` reads its body from. Internal.
 *
 * Why one unit: the handler callbacks, the body buffer, back-pressure, decoding, the
 * `maxBodyBytes` guard and the two ends of the attempt (ours and undici's) all touch the same
 * few fields, and the order of those touches is the correctness argument:
 *
 * - `head` settles once: with the status and headers (`onResponseStart`), or with the error
 *   that ended the attempt first. The request's task parks on it.
 * - Body chunks are kept in `chunks` until read. Past `HIGH_WATER` bytes undici is paused
 *   (`controller.pause()`), unless a reader wants the whole body (`text()`), so a response
 *   nobody reads holds a bounded buffer and one connection, never an unbounded one.
 * - The attempt is *over* for us when the body ended or failed, and *settled* for undici once
 *   it called `onResponseEnd` or `onResponseError`. Only when both hold is the connection
 *   slot given back (`exchangeDone`): a request aborted while its socket connects keeps its slot
 *   until undici lets go of it, so `limit` is never exceeded, even for a moment.
 * - `fail(err)` can come from anywhere (a timeout, a cancelled reader, `release()`, the
 *   session closing, undici): the first end wins, and later callbacks are ignored.
 */
import type { Transform } from 'node:stream';
import { Future, type Loop, type TimerHandle } from '@aiots/loop';
import type { Dispatcher } from 'undici';
import { canDecode, createDecoder, parseCodings } from './decode.ts';
import { BodyTooLarge, ContentDecodingError } from './errors.ts';
import type { Slot } from './limits.ts';
import { mapError, type Where } from './map-error.ts';
import { Waiters, wake, wakeWithError } from './wake.ts';

/** Who an attempt reports to (the request it belongs to). */
export interface ExchangeOwner {
  /** undici gave the attempt a connection. */
  exchangeStarted(ex: Exchange): void;
  /** The body ended or failed. */
  exchangeBodyOver(ex: Exchange): void;
  /** Over for us and for undici: the slot can go back. Called once. */
  exchangeDone(ex: Exchange): void;
}

type Controller = Dispatcher.DispatchController;
type RawHeaders = Record<string, string | string[] | undefined>;

/**
 * Bytes buffered for a reader that has not asked for them, past which undici is paused
 * (aiohttp's high-water mark): a body up to this size arrives whole without a pause.
 */
export const HIGH_WATER = 128 * 1024;

const PENDING = 0;
const BODY = 1;
const ENDED = 2;
const FAILED = 3;

const EMPTY: Buffer = Buffer.alloc(0);

export class Exchange implements Dispatcher.DispatchHandler, Where {
  readonly method: string;
  readonly url: string;
  readonly maxBodyBytes: number;
  sockReadMs: number | undefined;
  sockConnectMs: number | undefined;
  readonly #owner: ExchangeOwner;
  /** The connection slot this attempt holds until it is done. */
  readonly slot: Slot;

  readonly head: Future<void>;
  started = false;
  status = 0;
  statusText = '';
  headers: RawHeaders = {};
  trailers: RawHeaders | undefined = undefined;
  error: unknown = undefined;
  /** Set once `onResponseStart` came (the response exists, even if the body later fails). */
  responded = false;

  #state = PENDING;
  #settled = false;
  #done = false;
  #controller: Controller | null = null;
  /** The reason to abort with once undici starts the request, when we ended it earlier. */
  #abortOnStart: Error | undefined = undefined;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #received = 0;

  /** Body bytes received so far (decompressed). */
  get received(): number {
    return this.#received;
  }

  /** Readers waiting for the next chunk, or for the end (they re-check when woken). */
  #readers: Waiters | undefined = undefined;
  #wantAll = false;
  #decoder: Transform | undefined = undefined;
  #codings: readonly string[] = [];
  #decoderPaused = false;
  #decoders: Transform[] = [];
  /** What happens to body bytes: keep them, or drop them past a cap (a redirect's body). */
  #discardOver = Number.POSITIVE_INFINITY;
  /** Timers to clear when the attempt is over (connect timeouts). */
  timer: TimerHandle | undefined = undefined;

  constructor(
    loop: Loop,
    owner: ExchangeOwner,
    slot: Slot,
    method: string,
    url: string,
    maxBodyBytes: number,
  ) {
    this.#owner = owner;
    this.slot = slot;
    this.method = method;
    this.url = url;
    this.maxBodyBytes = maxBodyBytes;
    this.head = new Future<void>(loop);
  }

  /** True once the body ended or the attempt failed. */
  get over(): boolean {
    return this.#state >= ENDED;
  }

  /** True once the whole body arrived. */
  get ended(): boolean {
    return this.#state === ENDED;
  }

  /** True when the attempt failed (see `error`). */
  get failed(): boolean {
    return this.#state === FAILED;
  }

  // ---- undici's side ------------------------------------------------------------------------

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#abortOnStart !== undefined) {
      controller.abort(this.#abortOnStart);
      return;
    }
    this.started = true;
    if (this.timer !== undefined) {
      this.timer.cancel();
      this.timer = undefined;
    }
    this.#owner.exchangeStarted(this);
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: RawHeaders,
    statusMessage?: string,
  ): void {
    if (this.#state !== PENDING) return;
    this.#controller = controller;
    this.status = statusCode;
    this.statusText = statusMessage ?? '';
    this.headers = headers;
    this.responded = true;
    this.#state = BODY;
    wake(this.head, undefined);
    if (this.method === 'HEAD' || statusCode === 204 || statusCode === 304) return;
    const coding = headers['content-encoding'];
    if (coding !== undefined) {
      // A coding this Node cannot undo is passed through as it came.
      const codings = parseCodings(coding);
      if (codings.length > 0 && canDecode(codings)) this.#codings = codings;
    }
    const length = headers['content-length'];
    if (typeof length === 'string' && this.maxBodyBytes !== Number.POSITIVE_INFINITY) {
      const n = Number(length);
      if (n > this.maxBodyBytes) {
        this.fail(new BodyTooLarge(this.maxBodyBytes, n, this.url, true));
      }
    }
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#state !== BODY) return;
    if (this.#decoder !== undefined || this.#codings.length > 0) {
      this.#decode(controller, chunk);
      return;
    }
    this.#push(chunk);
  }

  onResponseEnd(_controller: Controller, trailers: RawHeaders): void {
    this.#settled = true;
    this.trailers = trailers;
    if (this.#state === BODY) {
      if (this.#decoder !== undefined) this.#decoder.end();
      else this.#finish();
    }
    this.#maybeDone();
  }

  onResponseError(_controller: Controller | null, err: Error): void {
    this.#settled = true;
    if (this.#state < ENDED) this.#fail(mapError(err, this));
    this.#maybeDone();
  }

  // ---- our side -----------------------------------------------------------------------------

  /**
   * Keeps the body of a response the request moves past (a redirect, a retried status) for
   * `history`, when it is announced and at most `cap` bytes, so its connection is reused;
   * otherwise aborts it at once rather than wait for an unknown amount of data.
   */
  discard(cap: number): void {
    if (this.#state >= ENDED) return;
    const length = Number(this.headers['content-length'] ?? Number.NaN);
    if (this.#state === BODY && length <= cap) {
      this.#discardOver = cap;
      this.#wantAll = true;
      this.#resume();
    } else {
      this.fail(undefined);
    }
  }

  /** Ends the attempt with `err` (undefined: a quiet release). Idempotent. */
  fail(err: unknown): void {
    if (this.#state >= ENDED) return;
    this.#fail(err);
    const reason = err instanceof Error ? err : new Error('released');
    if (this.#controller !== null) {
      if (!this.#settled && !this.#controller.aborted) this.#controller.abort(reason);
    } else {
      this.#abortOnStart = reason;
    }
    this.#maybeDone();
  }

  /** The body so far, as one buffer, and forgets it. */
  take(): Buffer {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#buffered = 0;
    const out =
      chunks.length === 1
        ? (chunks[0] as Buffer)
        : chunks.length === 0
          ? EMPTY
          : Buffer.concat(chunks);
    this.#resume();
    return out;
  }

  /** The next chunk buffered, or undefined. */
  shift(): Buffer | undefined {
    const c = this.#chunks.shift();
    if (c !== undefined) {
      this.#buffered -= c.byteLength;
      if (this.#buffered <= HIGH_WATER) this.#resume();
    }
    return c;
  }

  /** True when chunks are buffered. */
  get hasData(): boolean {
    return this.#chunks.length > 0;
  }

  /** Waits for the next chunk, the end, or the failure; a cancellation point. */
  waitData(): Promise<void> {
    this.#resume();
    this.#readers ??= new Waiters('ClientResponse body');
    return this.#readers.wait();
  }

  /** Waits until the body ended or failed, buffering all of it meanwhile; a cancellation point. */
  waitEnd(): Promise<void> {
    this.#wantAll = true;
    return this.waitData();
  }

  // ---- internals ----------------------------------------------------------------------------

  #push(chunk: Buffer): void {
    if (this.#state !== BODY) return;
    const len = chunk.byteLength;
    this.#received += len;
    if (this.#received > this.maxBodyBytes) {
      this.fail(new BodyTooLarge(this.maxBodyBytes, this.#received, this.url, false));
      return;
    }
    if (this.#buffered + len > this.#discardOver) {
      this.fail(undefined);
      return;
    }
    this.#chunks.push(chunk);
    this.#buffered += len;
    // Whole-body readers only need the end; streaming readers each chunk.
    if (!this.#wantAll) this.#readers?.wakeAll();
    if (this.#buffered > HIGH_WATER && !this.#wantAll) this.#pause();
  }

  #pause(): void {
    const c = this.#controller;
    if (c !== null && !c.paused) c.pause();
    const tail = this.#decoders[this.#decoders.length - 1];
    if (tail !== undefined && !this.#decoderPaused) {
      this.#decoderPaused = true;
      tail.pause();
    }
  }

  #resume(): void {
    if (this.#state !== BODY) return;
    const c = this.#controller;
    if (c?.paused) c.resume();
    const tail = this.#decoders[this.#decoders.length - 1];
    if (tail !== undefined && this.#decoderPaused) {
      this.#decoderPaused = false;
      tail.resume();
    }
  }

  #decode(controller: Controller, chunk: Buffer): void {
    let d = this.#decoder;
    if (d === undefined) {
      d = this.#makeDecoder(chunk);
      if (d === undefined) return;
    }
    if (!d.write(chunk)) {
      controller.pause();
      d.once('drain', () => {
        if (this.#state === BODY && (this.#wantAll || this.#buffered <= HIGH_WATER)) {
          controller.resume();
        }
      });
    }
  }

  #makeDecoder(first: Buffer): Transform | undefined {
    const codings = this.#codings;
    const coding = codings.join(', ');
    const chain: Transform[] = [];
    try {
      // Undo the codings last-applied first. Only the first decoder sees the wire bytes; a
      // later deflate sees decoded bytes, assumed zlib-wrapped.
      for (let i = codings.length - 1; i >= 0; i--) {
        const sniff = chain.length === 0 ? first : Buffer.from([0x78, 0x9c]);
        chain.push(createDecoder(codings[i] as string, sniff));
      }
    } catch (e) {
      this.fail(new ContentDecodingError(coding, this.url, { cause: e }));
      return undefined;
    }
    const onError = (e: unknown) => {
      this.fail(new ContentDecodingError(coding, this.url, { cause: e }));
    };
    for (let i = 0; i < chain.length; i++) {
      const d = chain[i] as Transform;
      d.on('error', onError);
      if (i > 0) (chain[i - 1] as Transform).pipe(d);
    }
    const tail = chain[chain.length - 1] as Transform;
    tail.on('data', (c: Buffer) => this.#push(c));
    tail.on('end', () => this.#finish());
    this.#decoders = chain;
    this.#decoder = chain[0];
    return this.#decoder;
  }

  #finish(): void {
    if (this.#state !== BODY) return;
    this.#state = ENDED;
    this.#clearTimer();
    this.#readers?.wakeAll();
    this.#owner.exchangeBodyOver(this);
    this.#maybeDone();
  }

  #fail(err: unknown): void {
    const wasPending = this.#state === PENDING;
    this.#state = FAILED;
    this.error = err;
    this.#clearTimer();
    this.#chunks = [];
    this.#buffered = 0;
    for (const d of this.#decoders) d.destroy();
    if (wasPending) wakeWithError(this.head, err);
    // Readers learn of the failure from `failed` and `error` when they resume.
    this.#readers?.wakeAll();
    this.#owner.exchangeBodyOver(this);
  }

  #clearTimer(): void {
    if (this.timer !== undefined) {
      this.timer.cancel();
      this.timer = undefined;
    }
  }

  #maybeDone(): void {
    if (this.#done || !this.#settled || this.#state < ENDED) return;
    this.#done = true;
    this.#owner.exchangeDone(this);
  }
}
