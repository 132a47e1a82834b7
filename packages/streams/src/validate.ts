/**
 * @internal Argument checks shared by the package: `TypeError` for a value of the wrong
 * type, `RangeError` for a value of the right type out of range, with messages that say
 * what was expected and what came.
 */
import { describe, signalOf } from '@aiots/loop/lowlevel';

export { describe, signalOf };

/** An integer from `min` up to `max`. */
export function checkInteger(
  value: unknown,
  name: string,
  where: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const range = max >= Number.MAX_SAFE_INTEGER ? `from ${min} and up` : `from ${min} to ${max}`;
  if (typeof value !== 'number') {
    throw new TypeError(
      `${where} expected \`${name}\` to be an integer ${range}, got ${describe(value)}`,
    );
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${where} expected \`${name}\` to be an integer ${range}, got ${value}`);
  }
  return value;
}

/** A non-negative number of milliseconds, or `undefined`/`null` for none. */
export function checkMs(value: unknown, name: string, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') {
    throw new TypeError(
      `${where} expected \`${name}\` to be a number of milliseconds, got ${describe(value)}`,
    );
  }
  if (Number.isNaN(value) || value < 0) {
    throw new RangeError(
      `${where} expected \`${name}\` to be a number of milliseconds from 0 and up, got ${value}`,
    );
  }
  return value;
}

/** A TCP or UDP port: an integer from 0 to 65535. */
export function checkPort(value: unknown, where: string): number {
  return checkInteger(value, 'port', where, 0, 65535);
}

/** A non-empty string. */
export function checkString(value: unknown, name: string, where: string): string {
  if (typeof value !== 'string') {
    throw new TypeError(`${where} expected \`${name}\` to be a string, got ${describe(value)}`);
  }
  if (value.length === 0) {
    throw new RangeError(`${where} expected \`${name}\` to be a non-empty string, got ""`);
  }
  return value;
}

/** An options object or `undefined`. */
export function checkOptions<T extends object>(value: unknown, where: string): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') {
    throw new TypeError(`${where} expected an options object, got ${describe(value)}`);
  }
  return value as T;
}

/** The stream limit: an integer from 1 and up (default 64 KiB). */
export function checkLimit(value: unknown, where: string): number {
  if (value === undefined) return DEFAULT_LIMIT;
  return checkInteger(value, 'limit', where, 1);
}

/** asyncio's default stream limit: 64 KiB. */
export const DEFAULT_LIMIT = 65536;

/** Bytes from a write argument: a Uint8Array (Buffer) as is, a string as UTF-8. */
export function toBytes(data: unknown, where: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  throw new TypeError(`${where} expected a Uint8Array, Buffer or string, got ${describe(data)}`);
}
