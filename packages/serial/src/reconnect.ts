/**
 * serialConnections(): a fresh connection each time the device (re)appears.
 */
import { sleep } from '@aiots/loop';
import { describe } from '@aiots/loop/lowlevel';
import type { StreamReader, StreamWriter } from '@aiots/streams';
import { openSerialConnection } from './connection.ts';
import { SerialPortError } from './errors.ts';
import { checkSerialOptions, type SerialOptions } from './options.ts';

/** Options of `serialConnections`: the port's options and the back-off. */
export interface ReconnectOptions extends SerialOptions {
  /** The first wait after a failed open, in ms (default 100). */
  retryMs?: number;
  /** The longest wait between attempts, in ms (default 5 000); each failure doubles the wait up to it. */
  maxRetryMs?: number;
}

/**
 * Yields a fresh `[reader, writer]` each time the device can be opened: the first time,
 * and again each time the loop body moves on (usually because the device vanished and a
 * read failed with `SerialPortError`). While the device is absent it retries, waiting
 * `retryMs`, then twice that, up to `maxRetryMs`. The previous connection is closed before
 * the next is opened; leaving the loop (`break`, `return`, an error, a cancel) closes the
 * current one before the code after the loop runs.
 *
 * @param opts The port's options plus `{ retryMs, maxRetryMs }`.
 * @returns An async iterable of connections; it ends only when the caller leaves it.
 * @throws {TypeError} / {RangeError} for bad options, at the first iteration.
 * @throws {CancelledError} when the task is cancelled while waiting to retry.
 * @example
 * ```ts
 * import { timeout } from '@aiots/loop';
 * import { serialConnections } from '@aiots/serial';
 * // Give up after 50 ms when no such device ever appears.
 * await timeout(50, async () => {
 *   for await (const [reader] of serialConnections({ path: '/dev/ttyUSB9', baudRate: 9600 })) {
 *     for await (const line of reader) console.log(line.toString());
 *   }
 * }).catch((e) => console.log((e as Error).name)); // TimeoutError
 * ```
 */
export async function* serialConnections(
  opts: ReconnectOptions,
): AsyncGenerator<[StreamReader, StreamWriter], void, undefined> {
  const where = 'serialConnections()';
  const o = checkSerialOptions(opts, where) as ReconnectOptions;
  const first = checkMs(o.retryMs, 'retryMs', where) ?? 100;
  const max = checkMs(o.maxRetryMs, 'maxRetryMs', where) ?? 5_000;
  if (max < first) {
    throw new RangeError(
      `${where} expected \`maxRetryMs\` (${max}) to be at least \`retryMs\` (${first})`,
    );
  }
  let delay = first;
  for (;;) {
    let conn: [StreamReader, StreamWriter];
    try {
      conn = await openSerialConnection(o);
    } catch (e) {
      if (!SerialPortError.is(e)) throw e;
      await sleep(delay);
      delay = Math.min(delay * 2, max);
      continue;
    }
    delay = first;
    const writer = conn[1];
    try {
      yield conn;
    } finally {
      await closeAndWait(writer);
    }
  }
}

/** Closes a connection and waits until it is closed; a port that already failed is fine. */
async function closeAndWait(writer: StreamWriter): Promise<void> {
  writer.close();
  try {
    await writer.waitClosed();
  } catch (e) {
    // The port already failed (that is usually why the loop body moved on).
    if (!SerialPortError.is(e)) throw e;
  }
}

function checkMs(v: unknown, name: string, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number') {
    throw new TypeError(
      `${where} expected \`${name}\` to be a number of milliseconds, got ${describe(v)}`,
    );
  }
  if (Number.isNaN(v) || v < 0) {
    throw new RangeError(
      `${where} expected \`${name}\` to be a number of milliseconds from 0 and up, got ${v}`,
    );
  }
  return v;
}
