/** The named error of `@aiots/echo`. */
import { AiotsError } from '@aiots/loop';
import { isErrorKind as isKind, errorKind as kind } from '@aiots/loop/lowlevel';

/**
 * An echo client gave up: no connection after `retries` attempts, or no echo in time on a
 * serial line. `cause` holds the last error.
 *
 * @example
 * ```ts
 * import { EchoClientError, tcpEchoClient } from '@aiots/echo';
 * const e = await tcpEchoClient({ port: 1, messages: ['hi'], retries: 0, log: () => {} }).catch((e: unknown) => e);
 * console.log(EchoClientError.is(e), (e as EchoClientError).code); // true AIOTS_ECHO_CLIENT
 * ```
 */
export class EchoClientError extends AiotsError {
  readonly [kind] = 'EchoClientError';
  override readonly code: string = 'AIOTS_ECHO_CLIENT';
  override name = 'EchoClientError';

  /** True when `e` is an `EchoClientError` from any copy of `@aiots/echo`. */
  static override is(e: unknown): e is EchoClientError {
    return isKind(e, 'EchoClientError');
  }
}
