/**
 * Turns an error from undici or Node into one of ours, keeping it as `cause`. Internal.
 */
import {
  ClientConnectionError,
  ClientConnectorError,
  ClientError,
  ServerTimeoutError,
} from './errors.ts';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'ENETDOWN',
]);

/** Socket-level failures of a connection that was (or seemed) established. */
const SOCKET_CODES = new Set([
  'UND_ERR_SOCKET',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/** What a failed attempt was doing, for the message and the class. */
export interface Where {
  method: string;
  url: string;
  /** True once undici gave the request a connection (onRequestStart). */
  started: boolean;
  /** The sockRead timeout in force, for undici's header and body timeouts. */
  sockReadMs: number | undefined;
  /** The sockConnect timeout in force, for undici's connect timeout. */
  sockConnectMs: number | undefined;
}

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** True for a TLS failure: bad certificate, handshake error. */
function isTls(code: string | undefined, err: unknown): boolean {
  if (code === undefined) return /TLS|SSL|certificate/i.test(String((err as Error)?.message));
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.includes('CERT') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN'
  );
}

/** Our error for `err`, which undici reported for the attempt described by `where`. */
export function mapError(err: unknown, where: Where): unknown {
  if (ClientError.is(err)) return err;
  const code = codeOf(err);
  const what = `${where.method} ${where.url}`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new ServerTimeoutError(
      'sockConnect',
      where.sockConnectMs ?? 10_000,
      `${what}: could not connect within ${where.sockConnectMs ?? 10_000} ms`,
      { cause: err },
    );
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    const ms = where.sockReadMs ?? 300_000;
    const part = code === 'UND_ERR_HEADERS_TIMEOUT' ? 'the response headers' : 'more of the body';
    return new ServerTimeoutError('sockRead', ms, `${what}: waited ${ms} ms for ${part}`, {
      cause: err,
    });
  }
  if (code !== undefined && CONNECT_CODES.has(code)) {
    return new ClientConnectorError(`${what}: cannot connect (${code})`, { cause: err });
  }
  if (isTls(code, err)) {
    return new ClientConnectorError(`${what}: TLS failed (${code ?? (err as Error).message})`, {
      cause: err,
    });
  }
  if (!where.started && code !== undefined && SOCKET_CODES.has(code)) {
    return new ClientConnectorError(`${what}: the connection failed (${code})`, { cause: err });
  }
  if (
    code !== undefined &&
    (SOCKET_CODES.has(code) || code.startsWith('UND_ERR_RES') || code.startsWith('HPE_'))
  ) {
    const message = (err as Error).message;
    return new ClientConnectionError(`${what}: ${message || code}`, { cause: err });
  }
  if (code === 'UND_ERR_INVALID_ARG') {
    return new TypeError(`${what}: ${(err as Error).message}`, { cause: err });
  }
  if (err instanceof Error && err.name === 'HTTPParserError') {
    return new ClientConnectionError(`${what}: malformed response (${err.message})`, {
      cause: err,
    });
  }
  return new ClientConnectionError(`${what}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

/**
 * True when `err` is the kind of failure a stale keep-alive socket gives: the server had
 * closed it, and the request died on it before any response came.
 */
export function isStaleSocket(err: unknown): boolean {
  const cause = ClientError.is(err) ? (err as Error).cause : err;
  const code = codeOf(cause);
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}
