/**
 * Argument checks shared by the session, the WebSocket client and the server: `TypeError`
 * for a value of the wrong type, `RangeError` for a value of the right type out of range,
 * each message saying what was expected and what came (values described by the project's
 * one `describe()`). Internal.
 */
import { describe } from '@aiots/loop/lowlevel';

export { describe };

/** An options object, or undefined; anything else is a TypeError. */
export function checkOptions<T extends object>(value: unknown, where: string): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${where} expected an options object, got ${describe(value)}`);
  }
  return value as T;
}

/** A number of milliseconds from 0 up (Infinity allowed when `infinite`), or undefined. */
export function checkMs(
  value: unknown,
  name: string,
  where: string,
  infinite = true,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(
      `${where} expected \`${name}\` to be a number of milliseconds, got ${describe(value)}`,
    );
  }
  if (value < 0 || (!infinite && !Number.isFinite(value))) {
    throw new RangeError(
      `${where} expected \`${name}\` to be a number of milliseconds from 0 ${infinite ? 'and up (or Infinity)' : 'and up'}, got ${value}`,
    );
  }
  return value;
}

/** An integer from `min` up (Infinity allowed when `infinite`), or undefined. */
export function checkInt(
  value: unknown,
  name: string,
  where: string,
  min: number,
  infinite = false,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${where} expected \`${name}\` to be an integer, got ${describe(value)}`);
  }
  if (value === Number.POSITIVE_INFINITY && infinite) return value;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `${where} expected \`${name}\` to be an integer from ${min} and up${infinite ? ' (or Infinity)' : ''}, got ${value}`,
    );
  }
  return value;
}

/** A boolean, or undefined. */
export function checkBool(value: unknown, name: string, where: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new TypeError(`${where} expected \`${name}\` to be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** An AbortSignal, or undefined. */
export function checkSignal(value: unknown, where: string): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof AbortSignal)) {
    throw new TypeError(
      `${where} expected \`signal\` to be an AbortSignal, got ${describe(value)}`,
    );
  }
  return value;
}
