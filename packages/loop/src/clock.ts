import { performance } from 'node:perf_hooks';

/**
 * What a loop reads the time from, and how it waits for its next timer. A loop owns one
 * clock; `run(main, { clock })` picks it.
 */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** @internal Called by the loop; true when the clock is virtual and time may jump. */
  readonly virtual: boolean;
  /** @internal For virtual clocks: real idle milliseconds to wait before jumping. */
  readonly autojumpThresholdMs: number;
  /** @internal Moves a virtual clock to `whenMs`. */
  advanceTo(whenMs: number): void;
}

/**
 * Real monotonic time (`performance.now()`), the default clock.
 *
 * @example
 * ```ts
 * import { RealClock, getRunningLoop, run, sleep } from '@aiots/loop';
 * await run(async () => {
 *   const start = getRunningLoop().time();
 *   await sleep(5); // really waits 5 ms
 *   console.log(getRunningLoop().time() - start >= 5); // true
 * }, { clock: new RealClock() });
 * ```
 */
export class RealClock implements Clock {
  readonly virtual = false;
  readonly autojumpThresholdMs = 0;
  now(): number {
    return performance.now();
  }
  advanceTo(whenMs: number): void {
    void whenMs;
    throw new TypeError('A RealClock cannot be advanced');
  }
}

/**
 * Virtual time for tests and demos: whenever no callback is ready, the loop jumps the clock
 * to its next timer, so `sleep(86_400_000)` returns at once while events keep their real-time
 * order. With `autojumpThresholdMs`, the loop first waits that much real idle time, so real
 * I/O can still arrive before time jumps.
 *
 * @example
 * ```ts
 * import { VirtualClock, getRunningLoop, run, sleep } from '@aiots/loop';
 * await run(async () => {
 *   await sleep(86_400_000);
 *   console.log(getRunningLoop().time()); // 86400000
 * }, { clock: new VirtualClock() });
 * ```
 */
export class VirtualClock implements Clock {
  readonly virtual = true;
  readonly autojumpThresholdMs: number;
  #time = 0;

  constructor(opts: { autojumpThresholdMs?: number; startMs?: number } = {}) {
    const threshold = opts.autojumpThresholdMs ?? 0;
    if (typeof threshold !== 'number' || !(threshold >= 0) || !Number.isFinite(threshold)) {
      throw new RangeError(
        `Expected \`autojumpThresholdMs\` to be a finite number >= 0, got ${String(threshold)}`,
      );
    }
    this.autojumpThresholdMs = threshold;
    this.#time = opts.startMs ?? 0;
  }

  now(): number {
    return this.#time;
  }

  advanceTo(whenMs: number): void {
    if (whenMs > this.#time) this.#time = whenMs;
  }
}
