/**
 * The options of a session and of a request, and how they merge: a request's option
 * replaces the session's, field by field for `timeout`, name by name for `headers` and
 * `params`. Internal except for the option types.
 */
import type { Dispatcher } from 'undici';
import { CookieJar } from './cookie-jar.ts';
import { ACCEPT_ENCODING } from './decode.ts';
import { addHeaders, flatten, type HeaderMap, type HeadersInit } from './headers.ts';
import type { RequestData } from './request-body.ts';
import { type RetryOptions, type RetryPolicy, toPolicy } from './retry.ts';
import { type ParamsInit, toBase, toPairs } from './url.ts';
import { checkBool, checkInt, checkMs, checkOptions, checkSignal, describe } from './validate.ts';

/** Timeouts, in milliseconds; each may be `Infinity` (none). */
export interface TimeoutOptions {
  /** The whole request: connecting, redirects, retries and reading the body (default 5 min). */
  totalMs?: number;
  /** From the start of the request until it has a connection, waiting for a free slot included. */
  connectMs?: number;
  /** Between two reads from the socket: waiting for the headers, and for each body chunk. */
  sockReadMs?: number;
  /** Opening a new socket, TLS handshake included (default 30 s). */
  sockConnectMs?: number;
}

/** Options a session sets for all its requests and a request may override. */
export interface RequestSettings {
  /** Relative request URLs are resolved against it (`new URL(url, baseUrl)`). */
  baseUrl?: string | URL;
  /** Headers to send; a request's replace the session's of the same name (`undefined` removes one). */
  headers?: HeadersInit;
  /** Query parameters appended to the URL; a request's replace the session's of the same name. */
  params?: ParamsInit;
  /** Timeouts; a request's fields replace the session's one by one. */
  timeout?: TimeoutOptions;
  /** Throw `ClientResponseError` for a final status of 400 or more (default false). */
  raiseForStatus?: boolean;
  /** Redirects followed before `TooManyRedirects` (default 10). */
  maxRedirects?: number;
  /** Follow redirects (default true); false returns the 3xx response itself. */
  allowRedirects?: boolean;
  /** Refuse response bodies larger than this many bytes, decompressed (default Infinity). */
  maxBodyBytes?: number;
  /** Retry failed requests (default: no retries, apart from one of a stale keep-alive socket). */
  retry?: RetryOptions | false;
  /** Where cookies are kept; `null` for none. Default: a jar of the session's own. */
  cookieJar?: CookieJar | null;
  /** An HTTP proxy URL, reached through undici's `ProxyAgent`. */
  proxy?: string | URL;
  /** Aborting it aborts the request (and the reading of its body): the call rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** An undici dispatcher to send through instead of the session's own pool. */
  dispatcher?: Dispatcher;
}

/** Options of `new ClientSession(opts)`. */
export interface SessionOptions extends RequestSettings {
  /** Connections in use at once across all hosts (default 100; `Infinity` for no cap). */
  limit?: number;
  /** Connections in use at once per origin (default 0: only `limit` applies). */
  limitPerHost?: number;
}

/** Options of `session.request(method, url, opts)` and its shortcuts. */
export interface RequestOptions extends RequestSettings {
  /** A value to send as JSON (`Content-Type: application/json`). */
  json?: unknown;
  /** A body to send: text, bytes, form fields, FormData (multipart), a Blob or an async iterable. */
  data?: RequestData;
}

/** Everything a request needs, merged and checked. */
export interface Resolved {
  readonly baseUrl: URL | undefined;
  readonly headers: HeaderMap;
  /** `headers` flattened for undici. */
  readonly flat: string[];
  readonly params: [string, string][] | undefined;
  readonly totalMs: number;
  readonly connectMs: number;
  readonly sockReadMs: number | undefined;
  readonly sockConnectMs: number;
  readonly raiseForStatus: boolean;
  readonly maxRedirects: number;
  readonly allowRedirects: boolean;
  readonly maxBodyBytes: number;
  readonly retry: RetryPolicy | undefined;
  readonly cookieJar: CookieJar | null;
  readonly proxy: string | undefined;
  readonly signal: AbortSignal | undefined;
  readonly dispatcher: Dispatcher | undefined;
}

const DEFAULT_HEADERS: HeaderMap = new Map([
  ['accept', ['accept', '*/*']],
  ['accept-encoding', ['accept-encoding', ACCEPT_ENCODING]],
  ['user-agent', ['user-agent', 'aiots-http']],
]);

const INF = Number.POSITIVE_INFINITY;

function checkProxy(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new TypeError(
      `${where} expected \`proxy\` to be a URL string or URL, got ${describe(value)}`,
    );
  }
  const u = URL.parse(String(value));
  if (u === null || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new TypeError(
      `${where} expected \`proxy\` to be an http(s) URL, got ${describe(String(value))}`,
    );
  }
  return u.href;
}

function checkDispatcher(value: unknown, where: string): Dispatcher | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof (value as Dispatcher).dispatch !== 'function') {
    throw new TypeError(
      `${where} expected \`dispatcher\` to be an undici Dispatcher, got ${describe(value)}`,
    );
  }
  return value as Dispatcher;
}

function checkJar(value: unknown, where: string): CookieJar | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (!(value instanceof CookieJar)) {
    throw new TypeError(
      `${where} expected \`cookieJar\` to be a CookieJar or null, got ${describe(value)}`,
    );
  }
  return value;
}

function timeouts(value: unknown, where: string): TimeoutOptions {
  const t = checkOptions<TimeoutOptions>(value, `${where} \`timeout\``) ?? {};
  return {
    totalMs: checkMs(t.totalMs, 'timeout.totalMs', where),
    connectMs: checkMs(t.connectMs, 'timeout.connectMs', where),
    sockReadMs: checkMs(t.sockReadMs, 'timeout.sockReadMs', where),
    sockConnectMs: checkMs(t.sockConnectMs, 'timeout.sockConnectMs', where),
  };
}

/** The settings of a session, checked, with the defaults filled in. */
export function resolveSession(opts: SessionOptions, where: string): Resolved {
  const t = timeouts(opts.timeout, where);
  const headers = addHeaders(new Map(DEFAULT_HEADERS), opts.headers, where);
  const jar = checkJar(opts.cookieJar, where);
  return {
    baseUrl: toBase(opts.baseUrl, where),
    headers,
    flat: flatten(headers),
    params: toPairs(opts.params, where),
    totalMs: t.totalMs ?? 300_000,
    connectMs: t.connectMs ?? INF,
    sockReadMs: t.sockReadMs,
    sockConnectMs: t.sockConnectMs ?? 30_000,
    raiseForStatus: checkBool(opts.raiseForStatus, 'raiseForStatus', where) ?? false,
    maxRedirects: checkInt(opts.maxRedirects, 'maxRedirects', where, 0) ?? 10,
    allowRedirects: checkBool(opts.allowRedirects, 'allowRedirects', where) ?? true,
    maxBodyBytes: checkInt(opts.maxBodyBytes, 'maxBodyBytes', where, 0, true) ?? INF,
    retry: toPolicy(opts.retry, where),
    cookieJar: jar === undefined ? new CookieJar() : jar,
    proxy: checkProxy(opts.proxy, where),
    signal: checkSignal(opts.signal, where),
    dispatcher: checkDispatcher(opts.dispatcher, where),
  };
}

function mergeParams(
  base: [string, string][] | undefined,
  extra: [string, string][] | undefined,
): [string, string][] | undefined {
  if (extra === undefined) return base;
  if (base === undefined) return extra;
  const names = new Set(extra.map(([k]) => k));
  return [...base.filter(([k]) => !names.has(k)), ...extra];
}

/** A request's settings on top of its session's. */
export function resolveRequest(s: Resolved, opts: RequestOptions, where: string): Resolved {
  let headers = s.headers;
  let flat = s.flat;
  if (opts.headers !== undefined && opts.headers !== null) {
    headers = addHeaders(new Map(s.headers), opts.headers, where);
    flat = flatten(headers);
  }
  let totalMs = s.totalMs;
  let connectMs = s.connectMs;
  let sockReadMs = s.sockReadMs;
  let sockConnectMs = s.sockConnectMs;
  if (opts.timeout !== undefined && opts.timeout !== null) {
    const t = timeouts(opts.timeout, where);
    totalMs = t.totalMs ?? totalMs;
    connectMs = t.connectMs ?? connectMs;
    sockReadMs = t.sockReadMs ?? sockReadMs;
    sockConnectMs = t.sockConnectMs ?? sockConnectMs;
  }
  const jar = checkJar(opts.cookieJar, where);
  const signal = checkSignal(opts.signal, where);
  return {
    baseUrl: opts.baseUrl === undefined ? s.baseUrl : toBase(opts.baseUrl, where),
    headers,
    flat,
    params: mergeParams(s.params, toPairs(opts.params, where)),
    totalMs,
    connectMs,
    sockReadMs,
    sockConnectMs,
    raiseForStatus: checkBool(opts.raiseForStatus, 'raiseForStatus', where) ?? s.raiseForStatus,
    maxRedirects: checkInt(opts.maxRedirects, 'maxRedirects', where, 0) ?? s.maxRedirects,
    allowRedirects: checkBool(opts.allowRedirects, 'allowRedirects', where) ?? s.allowRedirects,
    maxBodyBytes: checkInt(opts.maxBodyBytes, 'maxBodyBytes', where, 0, true) ?? s.maxBodyBytes,
    retry: opts.retry === undefined ? s.retry : toPolicy(opts.retry, where),
    cookieJar: jar === undefined ? s.cookieJar : jar,
    proxy: opts.proxy === undefined ? s.proxy : checkProxy(opts.proxy, where),
    signal:
      signal === undefined
        ? s.signal
        : s.signal === undefined
          ? signal
          : AbortSignal.any([s.signal, signal]),
    dispatcher: checkDispatcher(opts.dispatcher, where) ?? s.dispatcher,
  };
}
