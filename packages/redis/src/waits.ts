/**
 * How the package waits: Redis commands as aiots cancellation points (`bridge`), and naps
 * between polls that a local event can cut short. The only module that knows how a wait is
 * parked, so switching the mechanism touches nothing else.
 */
import { TimeoutError, waitFor } from '@aiots/loop';
import { type BridgeOptions, bridge, ParkingLot } from '@aiots/loop/lowlevel';

/**
 * Package-internal: runs a Redis command tied to the calling task: cancelling the task (or
 * aborting `signal`) drops the command if it was not sent yet; a command already sent
 * completes and its result is kept (the task gets its cancel at its next await).
 */
export function io<T>(
  start: (signal: AbortSignal) => Promise<T>,
  signal: AbortSignal | undefined,
  opts: BridgeOptions,
): Promise<T> {
  if (signal === undefined) return bridge(start, opts);
  return bridge((bridged) => start(AbortSignal.any([bridged, signal])), opts);
}

/** Package-internal: what wakes a nap early. */
export type Wake = 'wake' | 'shutdown';

/** Package-internal: a lot for naps, woken by local events (a slot freed, a queue drained). */
export class Alarm {
  readonly #lot = new ParkingLot<Wake>({ onReturned: () => {} });

  /** Wakes every napper with `why`. */
  ring(why: Wake): void {
    if (this.#lot.size > 0) this.#lot.unparkAll(why);
  }

  /**
   * Waits up to `ms` or until `ring()`: a cancellation point.
   *
   * @returns What woke it, or `undefined` when the time ran out.
   */
  async nap(ms: number, signal: AbortSignal | undefined): Promise<Wake | undefined> {
    try {
      return await waitFor(this.#lot.park(signal === undefined ? undefined : { signal }), ms);
    } catch (e) {
      if (TimeoutError.is(e)) return undefined;
      throw e;
    }
  }
}
