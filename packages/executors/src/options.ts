/**
 * Validation of the pool options, shared by both pool classes.
 */
import { availableParallelism } from 'node:os';
import type { ErrorClass } from './error-decode.ts';
import type { SchedulerOptions } from './scheduler.ts';

function checkInt(value: unknown, name: string, min: number, allowInfinity = false): number {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < min ||
    (!Number.isInteger(value) && !(allowInfinity && value === Number.POSITIVE_INFINITY))
  ) {
    const got =
      typeof value === 'number' ? String(value) : `${typeof value} ${JSON.stringify(value)}`;
    throw new TypeError(
      `Expected \`${name}\` to be an integer from ${min} and up${allowInfinity ? ' (or Infinity)' : ''}, got ${got}`,
    );
  }
  return value;
}

/** The options both pools take. */
export interface CommonOptions {
  maxWorkers?: number;
  idleTimeoutMs?: number;
  cancelGraceMs?: number;
  errorClasses?: readonly ErrorClass[];
}

/**
 * Checks the options both pools share.
 * @throws {TypeError} for an option of the wrong type or out of range.
 */
export function schedulerOptions(kind: string, opts: CommonOptions): SchedulerOptions {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`Expected ${kind} options to be an object, got ${String(opts)}`);
  }
  const maxWorkers =
    opts.maxWorkers === undefined
      ? availableParallelism()
      : checkInt(opts.maxWorkers, 'maxWorkers', 1);
  const idleTimeoutMs =
    opts.idleTimeoutMs === undefined
      ? 30_000
      : checkInt(opts.idleTimeoutMs, 'idleTimeoutMs', 0, true);
  const cancelGraceMs =
    opts.cancelGraceMs === undefined ? 100 : checkInt(opts.cancelGraceMs, 'cancelGraceMs', 0);
  let errorClasses: Map<string, ErrorClass> | undefined;
  if (opts.errorClasses !== undefined) {
    if (!Array.isArray(opts.errorClasses)) {
      throw new TypeError(
        `Expected \`errorClasses\` to be an array of Error classes, got ${typeof opts.errorClasses}`,
      );
    }
    errorClasses = new Map(opts.errorClasses.map((c) => [c.name, c]));
  }
  return { maxWorkers, idleTimeoutMs, cancelGraceMs, errorClasses };
}
