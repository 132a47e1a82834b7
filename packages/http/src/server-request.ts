/**
 * ServerRequest: what a `serve()` handler receives. Reading the body is a cancellation
 * point, so a handler whose client went away stops at once.
 */
import type { IncomingMessage } from 'node:http';
import { InvalidStateError } from '@aiots/loop';
import { decodeText, detectCharset } from './charset.ts';
import { BodyTooLarge } from './errors.ts';
import { toHeaders } from './headers.ts';
import { Waiters } from './wake.ts';

/**
 * A request received by `serve()`: method, URL, path, query and headers, and the body,
 * read whole (`text()`, `json()`, `bytes()`, cached) or streamed (`body`).
 *
 * @example
 * ```ts
 * import { ClientSession, serve } from '@aiots/http';
 * await using server = await serve(async (req) => ({ path: req.path, q: req.query.get('q'), body: await req.text() }));
 * await using session = new ClientSession();
 * const res = await session.post(`${server.url}/search?q=cats`, { data: 'hello' });
 * console.log(await res.json()); // { path: '/search', q: 'cats', body: 'hello' }
 * ```
 */
export class ServerRequest {
  /** The method, such as `'GET'`. */
  readonly method: string;
  /** The full URL of the request. */
  readonly url: URL;
  /** The Node request, for anything this class does not cover. */
  readonly raw: IncomingMessage;
  readonly #maxBodyBytes: number;
  #headers: Headers | undefined;
  #chunks: Buffer[] = [];
  #size = 0;
  #state: 'idle' | 'reading' | 'ended' | 'failed' = 'idle';
  #error: unknown;
  readonly #readers = new Waiters('ServerRequest body');
  #cache: Uint8Array | undefined;
  #streamed = false;

  /** @internal Made by `serve()`. */
  constructor(raw: IncomingMessage, origin: string, maxBodyBytes: number) {
    this.raw = raw;
    this.method = raw.method ?? 'GET';
    this.url = new URL(raw.url ?? '/', origin);
    this.#maxBodyBytes = maxBodyBytes;
  }

  /** The path of the URL, such as `'/items'`. */
  get path(): string {
    return this.url.pathname;
  }

  /** The query parameters. */
  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  /** The request headers. */
  get headers(): Headers {
    this.#headers ??= toHeaders(this.raw.headers as Record<string, string | string[] | undefined>);
    return this.#headers;
  }

  /**
   * The whole body; later calls return the same bytes.
   *
   * @throws {BodyTooLarge} past the server's `maxBodyBytes` (the client gets 413).
   * @throws {CancelledError} when the handler's task is cancelled (the client went away).
   */
  async bytes(): Promise<Uint8Array> {
    if (this.#cache !== undefined) return this.#cache;
    if (this.#streamed)
      throw new InvalidStateError('The request body was already read by iterating `body`');
    this.#start();
    while (this.#state === 'reading') {
      await this.#wait();
    }
    if (this.#state === 'failed') throw this.#error;
    this.#cache =
      this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
    this.#chunks = [];
    return this.#cache;
  }

  /** The whole body as text (charset of `Content-Type`, else UTF-8). */
  async text(): Promise<string> {
    const bytes = await this.bytes();
    const type = this.raw.headers['content-type'];
    return decodeText(bytes, detectCharset(type, bytes));
  }

  /** The whole body parsed as JSON. @throws {SyntaxError} when it is not JSON. */
  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await this.text()) as T;
  }

  /** The body as an async iterable of chunks; each wait is a cancellation point. */
  get body(): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => this.#iterate() };
  }

  async *#iterate(): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.#cache !== undefined) {
      yield this.#cache;
      return;
    }
    if (this.#streamed) throw new InvalidStateError('The request body is already being iterated');
    this.#streamed = true;
    this.#start();
    for (;;) {
      const c = this.#chunks.shift();
      if (c !== undefined) {
        if (this.#chunks.length === 0) this.raw.resume();
        yield c;
        continue;
      }
      if (this.#state === 'failed') throw this.#error;
      if (this.#state === 'ended') return;
      await this.#wait();
    }
  }

  #wait(): Promise<void> {
    return this.#readers.wait();
  }

  #start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'reading';
    const raw = this.raw;
    const onData = (chunk: Buffer) => {
      this.#size += chunk.byteLength;
      if (this.#size > this.#maxBodyBytes) {
        // Stop reading; the handler answers 413 and the connection is closed after it.
        raw.off('data', onData);
        raw.pause();
        this.#chunks = [];
        this.#fail(new BodyTooLarge(this.#maxBodyBytes, this.#size, this.url.href, false));
        return;
      }
      this.#chunks.push(chunk);
      if (this.#streamed && this.#chunks.length > 16) raw.pause();
      this.#readers.wakeAll();
    };
    raw.on('data', onData);
    raw.on('end', () => {
      if (this.#state !== 'reading') return;
      this.#state = 'ended';
      this.#readers.wakeAll();
    });
    raw.on('error', (e) => this.#fail(e));
    raw.on('close', () => {
      if (this.#state === 'reading') this.#fail(new Error('the client closed the connection'));
    });
  }

  #fail(err: unknown): void {
    if (this.#state !== 'reading') return;
    this.#state = 'failed';
    this.#error = err;
    this.#readers.wakeAll();
  }
}
