/**
 * ClientResponse: the status and headers of a response, and its body, read whole (cached,
 * so a second read gives the same data) or streamed.
 */
import { CancelledError, InvalidStateError } from '@aiots/loop';
import { charsetParam, decodeText, detectCharset, mediaType } from './charset.ts';
import { ClientResponseError } from './errors.ts';
import type { Exchange } from './exchange.ts';
import { toHeaders } from './headers.ts';
import { kCreatedAt, kReleaseAtTaskEnd, kToError } from './internal.ts';

/** Options of `ClientResponse.text()`. */
export interface TextOptions {
  /** Decode with this charset, whatever the response says. */
  encoding?: string;
}

/**
 * A response of `ClientSession`: status and headers at once, the body when read. The body is
 * read whole with `text()`, `json()` or `bytes()` (each caches it, so reading again gives the
 * same data) or streamed with `for await (const chunk of response.body)`. Every read is a
 * cancellation point; a cancelled read aborts the response and frees its connection.
 *
 * A response that is not read keeps its connection until it is released: by `release()`,
 * `await using`, or at the latest when the task that made the request ends.
 *
 * @example
 * ```ts
 * import { ClientSession, serve } from '@aiots/http';
 * await using server = await serve(async () => ({ hello: 'world' }));
 * await using session = new ClientSession();
 * const res = await session.get(server.url);
 * console.log(res.status, res.ok, res.contentType); // 200 true application/json
 * console.log(await res.json()); // { hello: 'world' }
 * ```
 */
export class ClientResponse implements AsyncDisposable {
  /** The request method. */
  readonly method: string;
  /** The HTTP status, such as 200. */
  readonly status: number;
  /** The reason phrase the server sent, such as `'OK'`. */
  readonly statusText: string;
  /** The URL this response came from (the last one, after redirects). */
  readonly url: string;
  /** The redirect responses that led here, oldest first (empty when none). */
  readonly history: readonly ClientResponse[];

  readonly #ex: Exchange;
  #headers: Headers | undefined;
  #cache: Uint8Array | undefined;
  #text: string | undefined;
  #streamed = false;
  #released: string | undefined;
  readonly #createdAt: string | undefined;

  /** @internal Made by `ClientSession`; not constructed by users. */
  constructor(ex: Exchange, url: string, history: readonly ClientResponse[], createdAt?: string) {
    this.#ex = ex;
    this.method = ex.method;
    this.status = ex.status;
    this.statusText = ex.statusText;
    this.url = url;
    this.history = history;
    this.#createdAt = createdAt;
  }

  /** True when `status` is below 400, as aiohttp has it (fetch's `ok` is 200-299 only). */
  get ok(): boolean {
    return this.status < 400;
  }

  /** The response headers (a `Headers`, built on first use). */
  get headers(): Headers {
    this.#headers ??= toHeaders(this.#ex.headers);
    return this.#headers;
  }

  /** The trailers of a chunked response, once the body was read; else undefined. */
  get trailers(): Headers | undefined {
    const t = this.#ex.trailers;
    return t === undefined ? undefined : toHeaders(t);
  }

  /** The media type of `Content-Type`, lower-case (`'application/octet-stream'` when absent). */
  get contentType(): string {
    return mediaType(this.#rawContentType()) ?? 'application/octet-stream';
  }

  /** The `charset` of `Content-Type`, lower-case, or undefined when it names none. */
  get charset(): string | undefined {
    return charsetParam(this.#rawContentType());
  }

  /** True once the body was released or aborted before it was read whole. */
  get released(): boolean {
    return this.#released !== undefined;
  }

  /**
   * Reads the whole body (decompressed) and returns it; later calls return the same bytes.
   *
   * @returns The body bytes.
   * @throws {BodyTooLarge} when the body is over `maxBodyBytes`.
   * @throws {ContentDecodingError} when a compressed body is corrupt.
   * @throws {ClientConnectionError} when the connection broke, {ServerTimeoutError} on a timeout.
   * @throws {InvalidStateError} when the body was streamed with `body`, or released unread.
   * @throws {CancelledError} when the task is cancelled: the response is aborted.
   * @example
   * ```ts
   * import { ClientSession, serve } from '@aiots/http';
   * await using server = await serve(async () => new Response(new Uint8Array([1, 2, 3])));
   * await using session = new ClientSession();
   * const res = await session.get(server.url);
   * console.log(await res.bytes()); // Uint8Array(3) [ 1, 2, 3 ]
   * ```
   */
  async bytes(): Promise<Uint8Array> {
    return this.#whole() ?? this.#readAll();
  }

  /** The whole body when it is here already (no wait), else undefined. */
  #whole(): Uint8Array | undefined {
    if (this.#cache !== undefined) return this.#cache;
    if (this.#streamed || !this.#ex.ended) return undefined;
    this.#cache = this.#ex.take();
    return this.#cache;
  }

  async #readAll(): Promise<Uint8Array> {
    if (this.#streamed) {
      throw new InvalidStateError(
        `The body of ${this.url} was already read by iterating \`body\`; read it one way only`,
      );
    }
    const ex = this.#ex;
    while (!ex.over) {
      try {
        await ex.waitEnd();
      } catch (e) {
        if (CancelledError.is(e)) this.#abandon('the task reading it was cancelled');
        throw e;
      }
    }
    if (ex.failed) throw this.#bodyError();
    this.#cache ??= ex.take();
    return this.#cache;
  }

  /**
   * Reads the whole body as text, in the charset of `Content-Type`, else of a `<meta
   * charset>` in the first 1 KiB of an HTML body, else UTF-8 (malformed bytes become U+FFFD).
   *
   * @param opts `encoding` to force a charset.
   * @returns The text.
   * @throws as `bytes()`; {RangeError} for an `encoding` TextDecoder does not know.
   * @example
   * ```ts
   * import { ClientSession, serve } from '@aiots/http';
   * await using server = await serve(
   *   async () => new Response(new Uint8Array([0x63, 0x61, 0x66, 0xe9]), { headers: { 'content-type': 'text/plain; charset=latin1' } }),
   * );
   * await using session = new ClientSession();
   * const res = await session.get(server.url);
   * console.log(res.charset, await res.text()); // latin1 café
   * ```
   */
  async text(opts?: TextOptions): Promise<string> {
    const forced = opts?.encoding;
    if (forced === undefined && this.#text !== undefined) return this.#text;
    const bytes = this.#whole() ?? (await this.#readAll());
    if (forced !== undefined) return new TextDecoder(forced).decode(bytes);
    this.#text = decodeText(bytes, detectCharset(this.#rawContentType(), bytes));
    return this.#text;
  }

  /**
   * Reads the whole body and parses it as JSON.
   *
   * @returns The parsed value.
   * @throws {SyntaxError} when the body is not JSON; otherwise as `text()`.
   * @example
   * ```ts
   * import { ClientSession, serve } from '@aiots/http';
   * await using server = await serve(async () => [1, 2, 3]);
   * await using session = new ClientSession();
   * const res = await session.get(server.url);
   * console.log(await res.json<number[]>()); // [ 1, 2, 3 ]
   * ```
   */
  async json<T = unknown>(): Promise<T> {
    if (this.#text !== undefined) return JSON.parse(this.#text) as T;
    const bytes = this.#whole() ?? (await this.#readAll());
    // JSON is UTF-8 (RFC 8259): decode straight, unless a BOM or a charset says otherwise.
    const type = this.#rawContentType();
    if (
      bytes[0] !== 0xef &&
      bytes[0] !== 0xfe &&
      bytes[0] !== 0xff &&
      (type === undefined || !type.includes(';'))
    ) {
      return JSON.parse(decodeText(bytes, 'utf-8')) as T;
    }
    return JSON.parse(await this.text()) as T;
  }

  /**
   * The body as an async iterable of chunks, for bodies too large to hold. Each wait for a
   * chunk is a cancellation point; leaving the loop early (break, throw, cancel) aborts the
   * response. Once read whole, the body iterates as one chunk.
   *
   * @example
   * ```ts
   * import { ClientSession, serve } from '@aiots/http';
   * await using server = await serve(async () => new Response('x'.repeat(100_000)));
   * await using session = new ClientSession();
   * const res = await session.get(server.url);
   * let n = 0;
   * for await (const chunk of res.body) n += chunk.byteLength;
   * console.log(n); // 100000
   * ```
   */
  get body(): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => this.#iterate() };
  }

  async *#iterate(): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.#cache !== undefined) {
      yield this.#cache;
      return;
    }
    if (this.#streamed) {
      throw new InvalidStateError(`The body of ${this.url} is already being iterated`);
    }
    this.#streamed = true;
    const ex = this.#ex;
    try {
      for (;;) {
        const chunk = ex.shift();
        if (chunk !== undefined) {
          yield chunk;
          continue;
        }
        if (ex.over) {
          if (ex.failed) throw this.#bodyError();
          return;
        }
        await ex.waitData();
      }
    } finally {
      if (!ex.over) this.#abandon('its `body` iteration ended early');
    }
  }

  /**
   * Throws `ClientResponseError` when `status` is 400 or more (and releases the response).
   *
   * @throws {ClientResponseError} with `status`, `url`, `headers` and `history`.
   * @example
   * ```ts
   * import { ClientResponseError, ClientSession, serve } from '@aiots/http';
   * await using server = await serve(async () => new Response('no', { status: 404, statusText: 'Not Found' }));
   * await using session = new ClientSession();
   * const res = await session.get(server.url);
   * try {
   *   res.raiseForStatus();
   * } catch (e) {
   *   const err = e as ClientResponseError;
   *   console.log(err.status, err.message === `404 Not Found for ${server.url}/`); // 404 true
   * }
   * ```
   */
  raiseForStatus(): void {
    if (this.status < 400) return;
    this.release();
    throw this[kToError]();
  }

  /** @internal The ClientResponseError this response raises. */
  [kToError](): ClientResponseError {
    const reason = this.statusText === '' ? '' : ` ${this.statusText}`;
    return new ClientResponseError(this, `${this.status}${reason} for ${this.url}`);
  }

  /**
   * Gives the connection back: a body not read yet is aborted (the connection is closed),
   * one read whole stays readable. Idempotent; `await using` calls it.
   *
   * @example
   * ```ts
   * import { ClientSession, serve } from '@aiots/http';
   * await using server = await serve(async () => 'hello');
   * await using session = new ClientSession();
   * const res = await session.get(server.url);
   * res.release();
   * console.log(res.released); // true
   * ```
   */
  release(): void {
    this.#abandon('it was released before it was read');
  }

  /** Same as `release()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }

  /** @internal Releases the response because the task that made it ended. */
  [kReleaseAtTaskEnd](): boolean {
    if (this.#ex.over) return false;
    this.#abandon('the task that made the request ended before reading it');
    return true;
  }

  /** @internal Where the request was made (debug mode only). */
  get [kCreatedAt](): string | undefined {
    return this.#createdAt;
  }

  #abandon(why: string): void {
    if (this.#released === undefined && !this.#ex.over) this.#released = why;
    else this.#released ??= 'released';
    this.#ex.fail(undefined);
  }

  #bodyError(): unknown {
    const err = this.#ex.error;
    if (err !== undefined) return err;
    return new InvalidStateError(
      `The body of ${this.url} cannot be read: ${this.#released ?? 'it was released'}`,
    );
  }

  #rawContentType(): string | undefined {
    const v = this.#ex.headers['content-type'];
    return Array.isArray(v) ? v[0] : v;
  }

  /** `ClientResponse 200 OK http://...` */
  toString(): string {
    return `ClientResponse ${this.status} ${this.statusText} ${this.url}`;
  }
}
