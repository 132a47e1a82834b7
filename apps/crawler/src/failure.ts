/**
 * What went wrong with a page, as one `[KIND]: reason` for the log line and one kind for the
 * summary: the HTTP status for an error status, else the error's system code or a name.
 */
import { STATUS_CODES } from 'node:http';
import {
  BodyTooLarge,
  ClientConnectionError,
  ClientConnectorError,
  ContentDecodingError,
  InvalidURL,
  ServerTimeoutError,
  TooManyRedirects,
} from '@aiots/http';

/** A failed page: `kind` labels it (`404`, `ECONNREFUSED`, `TIMEOUT`...), `reason` says why. */
export interface Failure {
  readonly kind: string;
  readonly reason: string;
}

/** The failure of a response whose status is 400 or more. */
export function statusFailure(status: number, statusText: string): Failure {
  const reason = statusText !== '' ? statusText : (STATUS_CODES[status] ?? 'Unknown Status');
  return { kind: String(status), reason };
}

/** `GET http://...: rest` → `rest`: the log line names the URL already. */
function withoutRequest(message: string): string {
  const m = /^[A-Z]+ \S+: (.*)$/s.exec(message);
  return m === null ? message : (m[1] as string);
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code) ? code : undefined;
}

/** The failure behind an error thrown while fetching or reading a page. */
export function errorFailure(err: unknown): Failure {
  const message = err instanceof Error ? err.message : String(err);
  if (TooManyRedirects.is(err)) {
    return { kind: 'TOO_MANY_REDIRECTS', reason: withoutRequest(message) };
  }
  if (ServerTimeoutError.is(err)) return { kind: 'TIMEOUT', reason: withoutRequest(message) };
  if (ClientConnectorError.is(err)) {
    const cause = err.cause as Error | undefined;
    const kind = err.osCode ?? codeOf(cause) ?? 'CONNECT';
    return { kind, reason: cause?.message || withoutRequest(message) };
  }
  if (InvalidURL.is(err)) return { kind: 'INVALID_URL', reason: withoutRequest(message) };
  if (BodyTooLarge.is(err)) return { kind: 'TOO_LARGE', reason: withoutRequest(message) };
  if (ContentDecodingError.is(err)) return { kind: 'DECODING', reason: withoutRequest(message) };
  const cause = (err as { cause?: unknown } | null)?.cause;
  const fallback = ClientConnectionError.is(err) ? 'CONNECTION' : 'ERROR';
  const kind = codeOf(cause) ?? codeOf(err) ?? fallback;
  return { kind, reason: withoutRequest(message) };
}
