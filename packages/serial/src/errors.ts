/**
 * The named error of `@aiots/serial`, with the `Symbol.for` brand of every aiots error so
 * `is()` holds across two copies of the package.
 */
import { AiotsError } from '@aiots/loop';

const kind = Symbol.for('aiots.error.kind');

/**
 * A serial port failed: it could not be opened (no such device, not a tty, busy), or it
 * vanished while open (`disconnected` is then true; a waiting read fails with this error
 * rather than ending as EOF). `cause` is serialport's own error when there is one.
 *
 * @example
 * ```ts
 * import { SerialPortError, openSerialConnection } from '@aiots/serial';
 * await openSerialConnection({ path: '/dev/no-such-tty', baudRate: 9600 }).catch((e) => {
 *   console.log(SerialPortError.is(e), (e as SerialPortError).code); // true AIOTS_SERIAL_PORT
 * });
 * ```
 */
export class SerialPortError extends AiotsError {
  readonly [kind] = 'SerialPortError';
  override readonly code: string = 'AIOTS_SERIAL_PORT';
  override name = 'SerialPortError';
  /** The port's path. */
  readonly path: string;
  /** True when an open port vanished (unplugged, its pty holder gone). */
  readonly disconnected: boolean;

  /**
   * @param message What failed.
   * @param path The port's path.
   * @param options `cause`, and `disconnected` for a port that vanished while open.
   */
  constructor(message: string, path: string, options?: ErrorOptions & { disconnected?: boolean }) {
    super(message, options);
    this.path = path;
    this.disconnected = options?.disconnected === true;
  }

  /** True when `e` is a `SerialPortError` from any copy of `@aiots/serial`. */
  static override is(e: unknown): e is SerialPortError {
    return (
      typeof e === 'object' &&
      e !== null &&
      (e as Record<symbol, unknown>)[kind] === 'SerialPortError'
    );
  }
}
