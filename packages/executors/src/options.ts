/**
 * Validation of options objects: one rule for every option of the package. A value of the
 * wrong type is a `TypeError`, a number out of range a `RangeError`, and a key the function
 * does not know (a typo such as `maxWorker`) a `TypeError` that names the known ones, so a
 * misspelt option never passes silently as its default.
 */
import { availableParallelism } from 'node:os';
import { describe } from '@aiots/loop/lowlevel';
import type { ErrorClass } from './error-decode.ts';
import type { SchedulerOptions } from './scheduler.ts';

/** The most workers a pool may have: far above any useful size, below what breaks a machine. */
export const MAX_WORKERS = 1024;
/** The longest delay Node's timers take (about 24.8 days); longer ones would fire at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/**
 * Throws when `opts` is not an object or has a key not in `known`.
 * @param what names the options in messages: `ThreadPoolExecutor options`, `map() options`.
 * @param hints extra words for a key that belongs elsewhere (`resourceLimits` on a process pool).
 * @throws {TypeError}
 */
export function checkKeys(
  what: string,
  opts: unknown,
  known: readonly string[],
  hints: Readonly<Record<string, string>> = {},
): asserts opts is Record<string, unknown> {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new TypeError(`Expected ${what} to be an object, got ${describe(opts)}`);
  }
  for (const key of Object.keys(opts)) {
    if (known.includes(key)) continue;
    const hint = hints[key];
    let near = '';
    if (hint === undefined) {
      const best = known
        .map((k) => [k, editDistance(key, k)] as const)
        .sort((x, y) => x[1] - y[1])[0];
      if (best !== undefined && best[1] <= 2) near = ` (did you mean \`${best[0]}\`?)`;
    }
    throw new TypeError(
      `Unknown option \`${key}\` in ${what}${near}${hint !== undefined ? `: ${hint}` : ''}; expected only ${known.map((k) => `\`${k}\``).join(', ')}`,
    );
  }
}

/**
 * `opts[key]` as an integer from `min` to `max` (or `Infinity` when allowed), or `fallback`
 * when it is undefined.
 * @throws {TypeError} when it is not a number; {RangeError} when it is out of range.
 */
export function intOption(
  opts: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
  fallback: number,
  allowInfinity = false,
): number {
  const value = opts[key];
  if (value === undefined) return fallback;
  const expected = `Expected \`${key}\` to be an integer from ${min} to ${max}${allowInfinity ? ' or Infinity' : ''}`;
  if (typeof value !== 'number') throw new TypeError(`${expected}, got ${describe(value)}`);
  if (allowInfinity && value === Number.POSITIVE_INFINITY) return value;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${expected}, got ${value}`);
  }
  return value;
}

/**
 * `opts[key]` as a boolean, or `fallback` when it is undefined.
 * @throws {TypeError}
 */
export function boolOption(opts: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = opts[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${key}\` to be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** The options both pools take. */
const COMMON = ['maxWorkers', 'idleTimeoutMs', 'cancelGraceMs', 'errorClasses'] as const;

/**
 * Checks a pool's options: the shared ones, and that every key is one of them or `own`.
 * @throws {TypeError} for an unknown option or a value of the wrong type; {RangeError} for a
 *   number out of range.
 */
export function schedulerOptions(
  kind: string,
  opts: unknown,
  own: readonly string[],
  hints?: Readonly<Record<string, string>>,
): SchedulerOptions {
  checkKeys(`${kind} options`, opts, [...COMMON, ...own], hints);
  const maxWorkers = intOption(opts, 'maxWorkers', 1, MAX_WORKERS, availableParallelism());
  const idleTimeoutMs = intOption(opts, 'idleTimeoutMs', 0, MAX_DELAY_MS, 30_000, true);
  const cancelGraceMs = intOption(opts, 'cancelGraceMs', 0, MAX_DELAY_MS, 100);
  let errorClasses: Map<string, ErrorClass> | undefined;
  const classes = opts.errorClasses;
  if (classes !== undefined) {
    if (!Array.isArray(classes)) {
      throw new TypeError(
        `Expected \`errorClasses\` to be an array of Error classes, got ${describe(classes)}`,
      );
    }
    for (const [i, c] of classes.entries()) {
      if (typeof c !== 'function') {
        throw new TypeError(
          `Expected \`errorClasses\` to be an array of Error classes, got ${describe(c)} at index ${i}`,
        );
      }
    }
    errorClasses = new Map((classes as ErrorClass[]).map((c) => [c.name, c]));
  }
  return { maxWorkers, idleTimeoutMs, cancelGraceMs, errorClasses };
}
