/**
 * The named errors of `@aiots/streams`. Each extends `AiotsError` from `@aiots/loop`, carries
 * a stable `name` and `code`, passes the system error through as `cause`, and is recognised
 * by `is()` through a `Symbol.for` brand, so the check holds even when two copies of the
 * package are loaded.
 *
 * The connection errors mirror Python's `ConnectionError` family: `ConnectionError.is(e)` is
 * true for all four kinds, as `except ConnectionError` catches them in Python.
 */
import { AiotsError } from '@aiots/loop';

const kind = Symbol.for('aiots.error.kind');
const connectionBrand = Symbol.for('aiots.streams.connection-error');

function isKind(e: unknown, name: string): boolean {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[kind] === name;
}

/**
 * Raised by `readexactly()` and `readuntil()` when the stream ends before the read is
 * complete. `partial` holds the bytes that were read (and taken out of the buffer);
 * `expected` is the number asked for, or `null` for `readuntil()`.
 *
 * @example
 * ```ts
 * import { IncompleteReadError, StreamReader } from '@aiots/streams';
 * const reader = new StreamReader();
 * reader.feedData(Buffer.from('abc'));
 * reader.feedEof();
 * try {
 *   await reader.readexactly(5);
 * } catch (e) {
 *   if (IncompleteReadError.is(e)) console.log(e.message, e.partial.toString()); // 3 bytes read on a total of 5 expected bytes abc
 * }
 * ```
 */
export class IncompleteReadError extends AiotsError {
  readonly [kind] = 'IncompleteReadError';
  override readonly code: string = 'AIOTS_INCOMPLETE_READ';
  override name = 'IncompleteReadError';
  /** The bytes read before the stream ended. */
  readonly partial: Buffer;
  /** How many bytes were expected; `null` when reading up to a separator. */
  readonly expected: number | null;

  /**
   * @param partial The bytes read before the end of the stream.
   * @param expected The number of bytes asked for, or `null`.
   */
  constructor(partial: Buffer, expected: number | null, options?: ErrorOptions) {
    super(
      `${partial.length} bytes read on a total of ${expected ?? 'undefined'} expected bytes`,
      options,
    );
    this.partial = partial;
    this.expected = expected;
  }

  /** True when `e` is an `IncompleteReadError` from any copy of `@aiots/streams`. */
  static override is(e: unknown): e is IncompleteReadError {
    return isKind(e, 'IncompleteReadError');
  }
}

/**
 * Raised by `readuntil()` and `readline()` when no separator is found within the reader's
 * `limit`, or the one found ends a chunk longer than the limit. `consumed` is how many bytes
 * must be taken out of the buffer to get past the check. `readuntil()` leaves the buffer as
 * it was; `readline()` drops the oversized line (or, when no newline was seen, the buffer)
 * so the next read starts clean.
 *
 * @example
 * ```ts
 * import { LimitOverrunError, StreamReader } from '@aiots/streams';
 * const reader = new StreamReader({ limit: 4 });
 * reader.feedData(Buffer.from('abcdefgh\nxy\n'));
 * try {
 *   await reader.readline();
 * } catch (e) {
 *   if (LimitOverrunError.is(e)) console.log(e.consumed); // 8
 * }
 * console.log((await reader.readline()).toString()); // xy
 * ```
 */
export class LimitOverrunError extends AiotsError {
  readonly [kind] = 'LimitOverrunError';
  override readonly code: string = 'AIOTS_LIMIT_OVERRUN';
  override name = 'LimitOverrunError';
  /** How many bytes of the buffer the check looked at. */
  readonly consumed: number;

  /**
   * @param message What overran.
   * @param consumed How many bytes the check consumed.
   */
  constructor(message: string, consumed: number, options?: ErrorOptions) {
    super(message, options);
    this.consumed = consumed;
  }

  /** True when `e` is a `LimitOverrunError` from any copy of `@aiots/streams`. */
  static override is(e: unknown): e is LimitOverrunError {
    return isKind(e, 'LimitOverrunError');
  }
}

/**
 * Base class of the connection errors (`ConnectionRefusedError`, `ConnectionResetError`,
 * `BrokenPipeError`, `ConnectionAbortedError`), as in Python. `cause` is the system error
 * when there was one; `syscallCode` is its code (`ECONNRESET`, ...).
 *
 * @example
 * ```ts
 * import { ConnectionError, ConnectionResetError } from '@aiots/streams';
 * console.log(ConnectionError.is(new ConnectionResetError('gone'))); // true
 * ```
 */
export class ConnectionError extends AiotsError {
  readonly [connectionBrand] = true;
  readonly [kind]: string = 'ConnectionError';
  override readonly code: string = 'AIOTS_CONNECTION';
  override name = 'ConnectionError';

  /** The system error code (`ECONNREFUSED`, `ECONNRESET`, `EPIPE`, ...), when known. */
  get syscallCode(): string | undefined {
    const c = (this.cause as { code?: unknown } | undefined)?.code;
    return typeof c === 'string' ? c : undefined;
  }

  /** True when `e` is any connection error from any copy of `@aiots/streams`. */
  static override is(e: unknown): e is ConnectionError {
    return typeof e === 'object' && e !== null && connectionBrand in e;
  }
}

/**
 * The peer refused the connection (`ECONNREFUSED`): nothing listens at that address.
 *
 * @example
 * ```ts
 * import { ConnectionRefusedError, openConnection } from '@aiots/streams';
 * // Port 1 on loopback: nothing listens there.
 * await openConnection('127.0.0.1', 1).catch((e) => console.log(ConnectionRefusedError.is(e))); // true
 * ```
 */
export class ConnectionRefusedError extends ConnectionError {
  override readonly [kind] = 'ConnectionRefusedError';
  override readonly code: string = 'AIOTS_CONNECTION_REFUSED';
  override name = 'ConnectionRefusedError';

  /** True when `e` is a `ConnectionRefusedError` from any copy of `@aiots/streams`. */
  static override is(e: unknown): e is ConnectionRefusedError {
    return isKind(e, 'ConnectionRefusedError');
  }
}

/**
 * The connection was reset by the peer (`ECONNRESET`), or was lost while a write was
 * waiting to drain. Reads after a reset fail with it; so does `drain()` after `close()`.
 *
 * @example
 * ```ts
 * import { ConnectionResetError } from '@aiots/streams';
 * const e = new ConnectionResetError('Connection lost');
 * console.log(ConnectionResetError.is(e), e.code); // true AIOTS_CONNECTION_RESET
 * ```
 */
export class ConnectionResetError extends ConnectionError {
  override readonly [kind] = 'ConnectionResetError';
  override readonly code: string = 'AIOTS_CONNECTION_RESET';
  override name = 'ConnectionResetError';

  /** True when `e` is a `ConnectionResetError` from any copy of `@aiots/streams`. */
  static override is(e: unknown): e is ConnectionResetError {
    return isKind(e, 'ConnectionResetError');
  }
}

/**
 * A write went to a connection whose other end is closed (`EPIPE`).
 *
 * @example
 * ```ts
 * import { BrokenPipeError } from '@aiots/streams';
 * console.log(BrokenPipeError.is(new BrokenPipeError('EPIPE'))); // true
 * ```
 */
export class BrokenPipeError extends ConnectionError {
  override readonly [kind] = 'BrokenPipeError';
  override readonly code: string = 'AIOTS_BROKEN_PIPE';
  override name = 'BrokenPipeError';

  /** True when `e` is a `BrokenPipeError` from any copy of `@aiots/streams`. */
  static override is(e: unknown): e is BrokenPipeError {
    return isKind(e, 'BrokenPipeError');
  }
}

/**
 * The connection was aborted on this side (`ECONNABORTED`), or by `transport.abort()`
 * while a read or drain was waiting.
 *
 * @example
 * ```ts
 * import { ConnectionAbortedError } from '@aiots/streams';
 * console.log(new ConnectionAbortedError('aborted').code); // AIOTS_CONNECTION_ABORTED
 * ```
 */
export class ConnectionAbortedError extends ConnectionError {
  override readonly [kind] = 'ConnectionAbortedError';
  override readonly code: string = 'AIOTS_CONNECTION_ABORTED';
  override name = 'ConnectionAbortedError';

  /** True when `e` is a `ConnectionAbortedError` from any copy of `@aiots/streams`. */
  static override is(e: unknown): e is ConnectionAbortedError {
    return isKind(e, 'ConnectionAbortedError');
  }
}

/**
 * A TLS peer's certificate was rejected: self-signed, expired, issued by an unknown
 * authority, or for another host name. `cause` is Node's error (its `code` says which).
 *
 * @example
 * ```ts
 * import { CertificateError } from '@aiots/streams';
 * const e = new CertificateError('self-signed certificate');
 * console.log(CertificateError.is(e), e.code); // true AIOTS_CERTIFICATE
 * ```
 */
export class CertificateError extends AiotsError {
  readonly [kind] = 'CertificateError';
  override readonly code: string = 'AIOTS_CERTIFICATE';
  override name = 'CertificateError';

  /** True when `e` is a `CertificateError` from any copy of `@aiots/streams`. */
  static override is(e: unknown): e is CertificateError {
    return isKind(e, 'CertificateError');
  }
}

/**
 * A host name could not be resolved to an address (`ENOTFOUND`, `EAI_AGAIN`).
 *
 * @example
 * ```ts
 * import { HostNotFoundError, openConnection } from '@aiots/streams';
 * await openConnection('no-such-host.invalid', 80).catch((e) => console.log(HostNotFoundError.is(e))); // true
 * ```
 */
export class HostNotFoundError extends AiotsError {
  readonly [kind] = 'HostNotFoundError';
  override readonly code: string = 'AIOTS_HOST_NOT_FOUND';
  override name = 'HostNotFoundError';

  /** True when `e` is a `HostNotFoundError` from any copy of `@aiots/streams`. */
  static override is(e: unknown): e is HostNotFoundError {
    return isKind(e, 'HostNotFoundError');
  }
}

/**
 * A subprocess could not be started: the program does not exist, is not executable, or the
 * working directory is missing. `cause` is Node's spawn error (`ENOENT`, `EACCES`, ...).
 *
 * @example
 * ```ts
 * import { SubprocessError, createSubprocessExec } from '@aiots/streams';
 * await createSubprocessExec('no-such-program-here', []).catch((e) => console.log(SubprocessError.is(e))); // true
 * ```
 */
export class SubprocessError extends AiotsError {
  readonly [kind] = 'SubprocessError';
  override readonly code: string = 'AIOTS_SUBPROCESS';
  override name = 'SubprocessError';

  /** True when `e` is a `SubprocessError` from any copy of `@aiots/streams`. */
  static override is(e: unknown): e is SubprocessError {
    return isKind(e, 'SubprocessError');
  }
}
