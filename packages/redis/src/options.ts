/**
 * Option checks shared by the queue and the frontier, and the naming of consumers.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { describe } from '@aiots/loop/lowlevel';
import { checkName } from './names.ts';

/**
 * Package-internal: an integer option from `min` to `max`, or its default when undefined.
 *
 * @throws {TypeError} when it is not a number.
 * @throws {RangeError} when it is not an integer in range.
 */
export function checkInt(
  value: unknown,
  fallback: number,
  name: string,
  where: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new TypeError(`${where} expected \`${name}\` to be an integer, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max >= Number.MAX_SAFE_INTEGER ? `from ${min} and up` : `from ${min} to ${max}`;
    throw new RangeError(`${where} expected \`${name}\` to be an integer ${range}, got ${value}`);
  }
  return value;
}

/** Package-internal: checks that `opts` is an options object (or undefined). */
export function checkOptions(opts: unknown, where: string): void {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
    throw new TypeError(`${where} expected an options object, got ${describe(opts)}`);
  }
}

/**
 * Package-internal: a consumer name unique to one instance: the `consumer` option (checked)
 * or the host name and process id, then a random suffix.
 */
export function consumerName(option: unknown, where: string): string {
  const suffix = randomBytes(4).toString('hex');
  if (option !== undefined) return `${checkName(option, 'consumer', where)}-${suffix}`;
  return `${hostname()}-${process.pid}-${suffix}`;
}

/** Package-internal: the options every stream consumer takes. */
export interface ConsumerTimings {
  readonly visibilityTimeoutMs: number;
  readonly maxDeliveries: number;
  readonly blockMs: number;
}

/** Package-internal: checks `maxDeliveries` and `blockMs`. */
export function checkTimings(
  opts: { maxDeliveries?: unknown; blockMs?: unknown } | undefined,
  visibilityTimeoutMs: number,
  where: string,
): ConsumerTimings {
  return {
    visibilityTimeoutMs,
    maxDeliveries: checkInt(opts?.maxDeliveries, 5, 'maxDeliveries', where, 1),
    blockMs: checkInt(opts?.blockMs, 2_000, 'blockMs', where, 10, 2_000),
  };
}
