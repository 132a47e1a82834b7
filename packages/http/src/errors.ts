/**
 * The named errors of `@aiots/http`, in aiohttp's hierarchy:
 *
 * ```
 * ClientError
 * ├── ClientConnectionError          the connection failed or broke
 * │   ├── ClientConnectorError       could not connect: refused, DNS, TLS, unreachable
 * │   └── ServerTimeoutError         a timeout (`timeout` says which)
 * ├── ClientResponseError            a status >= 400 with `raiseForStatus`
 * │   └── TooManyRedirects           more than `maxRedirects` hops
 * ├── InvalidURL                     not an http(s) URL
 * ├── BodyTooLarge                   a body over `maxBodyBytes`
 * └── ContentDecodingError           a corrupt gzip/deflate/br/zstd body
 * ```
 *
 * Each extends `AiotsError` from `@aiots/loop`, has a stable `name` and `code`, keeps the
 * underlying error (undici's, or Node's) as `cause`, and has a static `is()` that also
 * recognises subclasses and holds across two copies of the package (each error lists the
 * kinds of its class chain; `errorKind` holds its own, for `isErrorKind`).
 */
import { AiotsError } from '@aiots/loop';
import { errorKind } from '@aiots/loop/lowlevel';

const kinds = Symbol.for('aiots.http.error.kinds');

function isKind(e: unknown, name: string): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const k = (e as Record<symbol, unknown>)[kinds];
  return Array.isArray(k) && k.includes(name);
}

const K_CLIENT = ['ClientError'] as const;
const K_CONNECTION = [...K_CLIENT, 'ClientConnectionError'] as const;
const K_CONNECTOR = [...K_CONNECTION, 'ClientConnectorError'] as const;
const K_TIMEOUT = [...K_CONNECTION, 'ServerTimeoutError'] as const;
const K_RESPONSE = [...K_CLIENT, 'ClientResponseError'] as const;
const K_REDIRECTS = [...K_RESPONSE, 'TooManyRedirects'] as const;
const K_URL = [...K_CLIENT, 'InvalidURL'] as const;
const K_TOO_LARGE = [...K_CLIENT, 'BodyTooLarge'] as const;
const K_DECODING = [...K_CLIENT, 'ContentDecodingError'] as const;

/** What a `ClientResponseError` or `TooManyRedirects` knows of a response. */
export interface ResponseInfo {
  readonly status: number;
  readonly url: string;
  readonly headers: Headers;
  readonly history: readonly unknown[];
}

/**
 * Base class of every error of `@aiots/http`.
 *
 * @example
 * ```ts
 * import { ClientError, ClientSession } from '@aiots/http';
 * await using session = new ClientSession();
 * await session.get('http://127.0.0.1:1/').catch((e) => console.log(ClientError.is(e))); // true
 * ```
 */
export class ClientError extends AiotsError {
  readonly [kinds]: readonly string[] = K_CLIENT;
  readonly [errorKind]: string = 'ClientError';
  override readonly code: string = 'AIOTS_HTTP_CLIENT';
  override name = 'ClientError';

  /** True when `e` is a `ClientError` (or a subclass) from any copy of `@aiots/http`. */
  static override is(e: unknown): e is ClientError {
    return isKind(e, 'ClientError');
  }
}

/**
 * The connection to the server failed or broke: reset by the peer, closed before the
 * response was complete, a malformed response.
 *
 * @example
 * ```ts
 * import { ClientConnectionError, ClientSession } from '@aiots/http';
 * await using session = new ClientSession();
 * await session.get('http://127.0.0.1:1/').catch((e) => console.log(ClientConnectionError.is(e))); // true
 * ```
 */
export class ClientConnectionError extends ClientError {
  override readonly [kinds]: readonly string[] = K_CONNECTION;
  override readonly [errorKind]: string = 'ClientConnectionError';
  override readonly code: string = 'AIOTS_HTTP_CONNECTION';
  override name = 'ClientConnectionError';

  /** True when `e` is a `ClientConnectionError` (or a subclass) from any copy of `@aiots/http`. */
  static override is(e: unknown): e is ClientConnectionError {
    return isKind(e, 'ClientConnectionError');
  }
}

/**
 * No connection could be made: refused, host not found, unreachable, TLS handshake or
 * certificate failure. `cause` is Node's or undici's error (its `code`, such as
 * `ECONNREFUSED`, is copied to `osCode`).
 *
 * @example
 * ```ts
 * import { ClientConnectorError, ClientSession } from '@aiots/http';
 * await using session = new ClientSession();
 * const e = await session.get('http://127.0.0.1:1/').catch((e: unknown) => e);
 * console.log(ClientConnectorError.is(e), (e as ClientConnectorError).osCode); // true ECONNREFUSED
 * ```
 */
export class ClientConnectorError extends ClientConnectionError {
  override readonly [kinds]: readonly string[] = K_CONNECTOR;
  override readonly [errorKind]: string = 'ClientConnectorError';
  override readonly code: string = 'AIOTS_HTTP_CONNECTOR';
  override name = 'ClientConnectorError';
  /** The system or undici error code of the cause, such as `ECONNREFUSED` or `ENOTFOUND`. */
  readonly osCode: string | undefined;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    const c = options?.cause as { code?: unknown } | undefined;
    this.osCode = typeof c?.code === 'string' ? c.code : undefined;
  }

  /** True when `e` is a `ClientConnectorError` from any copy of `@aiots/http`. */
  static override is(e: unknown): e is ClientConnectorError {
    return isKind(e, 'ClientConnectorError');
  }
}

/** Which timeout of a request expired. */
export type TimeoutKind = 'total' | 'connect' | 'sockConnect' | 'sockRead' | 'heartbeat';

/**
 * A timeout of the request expired: `timeout` says which (`total`, `connect`,
 * `sockConnect`, `sockRead`, or a WebSocket's `heartbeat`) and `timeoutMs` how long it was.
 *
 * @example
 * ```ts
 * import { ClientSession, ServerTimeoutError, serve } from '@aiots/http';
 * import { sleep } from '@aiots/loop';
 * await using server = await serve(async () => { await sleep(1000); return {}; });
 * await using session = new ClientSession({ timeout: { totalMs: 20 } });
 * const e = await session.get(server.url).catch((e: unknown) => e);
 * console.log(ServerTimeoutError.is(e), (e as ServerTimeoutError).timeout); // true total
 * ```
 */
export class ServerTimeoutError extends ClientConnectionError {
  override readonly [kinds]: readonly string[] = K_TIMEOUT;
  override readonly [errorKind]: string = 'ServerTimeoutError';
  override readonly code: string = 'AIOTS_HTTP_TIMEOUT';
  override name = 'ServerTimeoutError';
  /** Which timeout expired. */
  readonly timeout: TimeoutKind;
  /** Its length in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeout: TimeoutKind, timeoutMs: number, message?: string, options?: ErrorOptions) {
    super(message ?? `the ${timeout} timeout of ${timeoutMs} ms expired`, options);
    this.timeout = timeout;
    this.timeoutMs = timeoutMs;
  }

  /** True when `e` is a `ServerTimeoutError` from any copy of `@aiots/http`. */
  static override is(e: unknown): e is ServerTimeoutError {
    return isKind(e, 'ServerTimeoutError');
  }
}

/**
 * The server answered with a status of 400 or more and `raiseForStatus` was asked for (or
 * `response.raiseForStatus()` was called). Carries `status`, `url`, `headers` and the
 * redirect `history` of the response.
 *
 * @example
 * ```ts
 * import { ClientResponseError, ClientSession, serve } from '@aiots/http';
 * await using server = await serve(async () => new Response('gone', { status: 410 }));
 * await using session = new ClientSession({ raiseForStatus: true });
 * const e = await session.get(server.url).catch((e: unknown) => e);
 * console.log(ClientResponseError.is(e), (e as ClientResponseError).status); // true 410
 * ```
 */
export class ClientResponseError extends ClientError {
  override readonly [kinds]: readonly string[] = K_RESPONSE;
  override readonly [errorKind]: string = 'ClientResponseError';
  override readonly code: string = 'AIOTS_HTTP_RESPONSE';
  override name = 'ClientResponseError';
  /** The HTTP status. */
  readonly status: number;
  /** The URL of the response (after redirects). */
  readonly url: string;
  /** The response headers. */
  readonly headers: Headers;
  /** The responses of the redirects followed before this one, oldest first. */
  readonly history: readonly unknown[];

  constructor(info: ResponseInfo, message?: string, options?: ErrorOptions) {
    super(message ?? `${info.status} for ${info.url}`, options);
    this.status = info.status;
    this.url = info.url;
    this.headers = info.headers;
    this.history = info.history;
  }

  /** True when `e` is a `ClientResponseError` (or a subclass) from any copy of `@aiots/http`. */
  static override is(e: unknown): e is ClientResponseError {
    return isKind(e, 'ClientResponseError');
  }
}

/**
 * A request was redirected more than `maxRedirects` times (a redirect loop, most often).
 * `history` holds every response of the chain, the last one included.
 *
 * @example
 * ```ts
 * import { ClientSession, TooManyRedirects, serve } from '@aiots/http';
 * await using server = await serve(async (req) => new Response(null, { status: 302, headers: { location: req.path } }));
 * await using session = new ClientSession({ maxRedirects: 3 });
 * const e = await session.get(server.url).catch((e: unknown) => e);
 * console.log(TooManyRedirects.is(e), (e as TooManyRedirects).history.length); // true 4
 * ```
 */
export class TooManyRedirects extends ClientResponseError {
  override readonly [kinds]: readonly string[] = K_REDIRECTS;
  override readonly [errorKind]: string = 'TooManyRedirects';
  override readonly code: string = 'AIOTS_HTTP_TOO_MANY_REDIRECTS';
  override name = 'TooManyRedirects';

  /** True when `e` is a `TooManyRedirects` from any copy of `@aiots/http`. */
  static override is(e: unknown): e is TooManyRedirects {
    return isKind(e, 'TooManyRedirects');
  }
}

/**
 * The URL is not an absolute `http:`/`https:` URL (or `ws:`/`wss:` for `wsConnect`), and
 * no `baseUrl` makes it one. `url` is what was given.
 *
 * @example
 * ```ts
 * import { ClientSession, InvalidURL } from '@aiots/http';
 * await using session = new ClientSession();
 * await session.get('not a url').catch((e) => console.log(InvalidURL.is(e), (e as InvalidURL).url)); // true not a url
 * ```
 */
export class InvalidURL extends ClientError {
  override readonly [kinds]: readonly string[] = K_URL;
  override readonly [errorKind]: string = 'InvalidURL';
  override readonly code: string = 'AIOTS_HTTP_INVALID_URL';
  override name = 'InvalidURL';
  /** The URL as given. */
  readonly url: string;

  constructor(url: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.url = url;
  }

  /** True when `e` is an `InvalidURL` from any copy of `@aiots/http`. */
  static override is(e: unknown): e is InvalidURL {
    return isKind(e, 'InvalidURL');
  }
}

/**
 * A response body is larger than `maxBodyBytes`: announced by `Content-Length` (nothing is
 * read) or found while reading (reading stops there). The connection is closed.
 *
 * @example
 * ```ts
 * import { BodyTooLarge, ClientSession, serve } from '@aiots/http';
 * await using server = await serve(async () => new Response('x'.repeat(1000)));
 * await using session = new ClientSession({ maxBodyBytes: 100 });
 * const res = await session.get(server.url);
 * await res.text().catch((e) => console.log(BodyTooLarge.is(e), (e as BodyTooLarge).limit)); // true 100
 * ```
 */
export class BodyTooLarge extends ClientError {
  override readonly [kinds]: readonly string[] = K_TOO_LARGE;
  override readonly [errorKind]: string = 'BodyTooLarge';
  override readonly code: string = 'AIOTS_HTTP_BODY_TOO_LARGE';
  override name = 'BodyTooLarge';
  /** The `maxBodyBytes` in force. */
  readonly limit: number;
  /** The announced length, or the bytes received when the limit was crossed. */
  readonly size: number;

  constructor(limit: number, size: number, url: string, announced: boolean) {
    super(
      announced
        ? `The body of ${url} announces ${size} bytes, more than maxBodyBytes (${limit})`
        : `The body of ${url} passed maxBodyBytes (${limit}) at ${size} bytes`,
    );
    this.limit = limit;
    this.size = size;
  }

  /** True when `e` is a `BodyTooLarge` from any copy of `@aiots/http`. */
  static override is(e: unknown): e is BodyTooLarge {
    return isKind(e, 'BodyTooLarge');
  }
}

/**
 * A compressed body (`Content-Encoding` gzip, deflate, br or zstd) could not be decoded.
 * `cause` is zlib's error; `encoding` is the coding that failed.
 *
 * @example
 * ```ts
 * import { ClientSession, ContentDecodingError, serve } from '@aiots/http';
 * await using server = await serve(
 *   async () => new Response('not gzip at all', { headers: { 'content-encoding': 'gzip' } }),
 * );
 * await using session = new ClientSession();
 * const res = await session.get(server.url);
 * await res.text().catch((e) => console.log(ContentDecodingError.is(e), (e as ContentDecodingError).encoding)); // true gzip
 * ```
 */
export class ContentDecodingError extends ClientError {
  override readonly [kinds]: readonly string[] = K_DECODING;
  override readonly [errorKind]: string = 'ContentDecodingError';
  override readonly code: string = 'AIOTS_HTTP_CONTENT_DECODING';
  override name = 'ContentDecodingError';
  /** The content coding that failed. */
  readonly encoding: string;

  constructor(encoding: string, url: string, options?: ErrorOptions) {
    super(`Could not decode the ${encoding} body of ${url}`, options);
    this.encoding = encoding;
  }

  /** True when `e` is a `ContentDecodingError` from any copy of `@aiots/http`. */
  static override is(e: unknown): e is ContentDecodingError {
    return isKind(e, 'ContentDecodingError');
  }
}
