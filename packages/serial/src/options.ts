/**
 * @internal The serial options and their checks.
 */
import { describe, signalOf } from '@aiots/loop/lowlevel';

/** Options of `openSerialConnection` and `createSerialConnection`. */
export interface SerialOptions {
  /** The device: `/dev/ttyUSB0`, `/dev/ttyACM0`, a pty, `COM3`. */
  path: string;
  /** Bits per second, an integer from 1 up: 9600, 115200, ... */
  baudRate: number;
  /** 5, 6, 7 or 8 (default 8). */
  dataBits?: 5 | 6 | 7 | 8;
  /** `'none'` (default), `'even'`, `'odd'`, `'mark'` or `'space'`. */
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  /** 1 (default), 1.5 or 2. */
  stopBits?: 1 | 1.5 | 2;
  /** RTS/CTS hardware flow control (default false). */
  rtscts?: boolean;
  /** XON/XOFF software flow control, both directions (default false). */
  xon?: boolean;
  /** See `xon`. */
  xoff?: boolean;
  /** Any character restarts output after XOFF (default false). */
  xany?: boolean;
  /** Drop DTR on close (default true). */
  hupcl?: boolean;
  /** Open the port exclusively (default true). */
  lock?: boolean;
  /** `openSerialConnection` only: the reader's line limit (default 64 KiB). */
  limit?: number;
  /**
   * How often (ms) to check that the device node is still there, so a vanished device ends
   * the connection even when the driver does not report it (default 250; 0: never).
   */
  presenceCheckMs?: number;
  /** Aborting it abandons the open. */
  signal?: AbortSignal | undefined;
}

const PARITY = new Set(['none', 'even', 'odd', 'mark', 'space']);

/** @internal Checks `opts`; throws TypeError/RangeError saying what was expected. */
export function checkSerialOptions(opts: unknown, where: string): SerialOptions {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(
      `${where} expected an options object like { path, baudRate }, got ${describe(opts)}`,
    );
  }
  const o = opts as SerialOptions;
  if (typeof o.path !== 'string') {
    throw new TypeError(`${where} expected \`path\` to be a string, got ${describe(o.path)}`);
  }
  if (o.path.length === 0)
    throw new RangeError(`${where} expected \`path\` to be a non-empty string, got ""`);
  if (typeof o.baudRate !== 'number') {
    throw new TypeError(
      `${where} expected \`baudRate\` to be an integer from 1 and up, got ${describe(o.baudRate)}`,
    );
  }
  if (!Number.isInteger(o.baudRate) || o.baudRate < 1) {
    throw new RangeError(
      `${where} expected \`baudRate\` to be an integer from 1 and up, got ${o.baudRate}`,
    );
  }
  if (o.dataBits !== undefined && ![5, 6, 7, 8].includes(o.dataBits)) {
    throw new RangeError(
      `${where} expected \`dataBits\` to be 5, 6, 7 or 8, got ${describe(o.dataBits)}`,
    );
  }
  if (o.stopBits !== undefined && ![1, 1.5, 2].includes(o.stopBits)) {
    throw new RangeError(
      `${where} expected \`stopBits\` to be 1, 1.5 or 2, got ${describe(o.stopBits)}`,
    );
  }
  if (o.parity !== undefined && !PARITY.has(o.parity)) {
    throw new RangeError(
      `${where} expected \`parity\` to be 'none', 'even', 'odd', 'mark' or 'space', got ${describe(o.parity)}`,
    );
  }
  for (const flag of ['rtscts', 'xon', 'xoff', 'xany', 'hupcl', 'lock'] as const) {
    const v = o[flag];
    if (v !== undefined && typeof v !== 'boolean') {
      throw new TypeError(`${where} expected \`${flag}\` to be a boolean, got ${describe(v)}`);
    }
  }
  if (
    o.limit !== undefined &&
    (typeof o.limit !== 'number' || !Number.isInteger(o.limit) || o.limit < 1)
  ) {
    const e = `${where} expected \`limit\` to be an integer from 1 and up, got ${describe(o.limit)}`;
    throw typeof o.limit === 'number' ? new RangeError(e) : new TypeError(e);
  }
  const pc = o.presenceCheckMs;
  if (pc !== undefined && (typeof pc !== 'number' || Number.isNaN(pc) || pc < 0)) {
    const e = `${where} expected \`presenceCheckMs\` to be a number of milliseconds from 0 and up, got ${describe(pc)}`;
    throw typeof pc === 'number' ? new RangeError(e) : new TypeError(e);
  }
  signalOf(o, where);
  return o;
}
