/**
 * What the waits of `@aiots/sync` share: the `{ signal }` option and abort watch, the
 * validators and `describe` (all from `@aiots/loop/lowlevel`), the settled promises of the
 * fast paths, and the waiter Future that reports its hand-off. Only `WaitOptions` is public.
 */
import {
  AbortWatch,
  describe,
  HandOffFuture,
  signalOf,
  type WaitOptions,
} from '@aiots/loop/lowlevel';

export { AbortWatch, describe, signalOf, type WaitOptions };

/** Package-internal: The settled promise the fast paths return: no allocation per call. */
export const RESOLVED_TRUE: Promise<true> = Promise.resolve(true);
/** Package-internal: */
export const RESOLVED_VOID: Promise<void> = Promise.resolve();

/**
 * Package-internal: A waiter's Future that tells its primitive, once, whether the waiter took what
 * it was handed (see `HandOffFuture`): `acquire()` returns it as is, with no `async`
 * wrapper around `await fut` to do the bookkeeping after the wait.
 */
export class HandOff<T> extends HandOffFuture<T> {
  /** How many permits (Semaphore) or other units the waiter asked for. */
  readonly weight: number;

  /**
   * @param onHandoff called once with `taken` (see `HandOffFuture`).
   * @param reportTaken false when only a result that was not taken matters.
   */
  constructor(
    onHandoff: (fut: HandOff<T>, taken: boolean) => void,
    label: string,
    weight: number,
    reportTaken: boolean,
  ) {
    super(onHandoff as (fut: HandOffFuture<T>, taken: boolean) => void, { label, reportTaken });
    this.weight = weight;
  }
}

/** Package-internal: Validates a weight or count: an integer from 1 up to `max`. */
export function checkCount(
  value: unknown,
  name: string,
  where: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${where} expected \`${name}\` to be an integer, got ${describe(value)}`);
  }
  if (value < 1 || value > max) {
    const range = max >= Number.MAX_SAFE_INTEGER ? 'from 1 and up' : `from 1 to ${max}`;
    throw new RangeError(`${where} expected \`${name}\` to be an integer ${range}, got ${value}`);
  }
  return value;
}
