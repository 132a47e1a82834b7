/**
 * What every wait of `@aiots/sync` accepts (`{ signal }`), and the helpers that make a wait
 * abortable. Only `WaitOptions` is public.
 */
import { Future, getLoop } from '@aiots/loop';

/**
 * Options every wait accepts.
 *
 * @example
 * ```ts
 * import { Lock, type WaitOptions } from '@aiots/sync';
 * const lock = new Lock();
 * await lock.acquire();
 * const opts: WaitOptions = { signal: AbortSignal.timeout(10) };
 * await lock.acquire(opts).catch((e) => console.log((e as Error).name)); // TimeoutError
 * ```
 */
export interface WaitOptions {
  /**
   * Aborting it abandons the wait: the call rejects with `signal.reason`, and a wakeup, permit
   * or item that was already handed to this waiter is passed on, so nothing is lost. An
   * already aborted signal rejects at once without waiting or taking anything.
   */
  signal?: AbortSignal | undefined;
}

/** @internal The settled promise the fast paths return: no allocation per call. */
export const RESOLVED_TRUE: Promise<true> = Promise.resolve(true);
/** @internal */
export const RESOLVED_VOID: Promise<void> = Promise.resolve();

/** @internal The signal in `opts`, validated. */
export function signalOf(opts: WaitOptions | undefined, where: string): AbortSignal | undefined {
  if (opts === undefined || opts === null) return undefined;
  if (typeof opts !== 'object') {
    throw new TypeError(
      `${where} expected an options object like { signal }, got ${describe(opts)}`,
    );
  }
  const signal = opts.signal;
  if (signal === undefined || signal === null) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(
      `${where} expected \`signal\` to be an AbortSignal, got ${describe(signal)}`,
    );
  }
  return signal;
}

/**
 * @internal Watches `signal` for the duration of one wait: an abort while `fut` is still
 * pending cancels `fut` (which wakes the waiter at once) and records that the abort, not a
 * task cancel, ended the wait. A listener object (`handleEvent`) rather than a closure.
 */
export class AbortWatch {
  /** True when the abort cancelled the wait (the waiter throws `signal.reason`). */
  aborted = false;
  readonly #signal: AbortSignal;
  readonly #fut: Future<unknown>;

  constructor(signal: AbortSignal, fut: Future<unknown>) {
    this.#signal = signal;
    this.#fut = fut;
    signal.addEventListener('abort', this);
  }

  handleEvent(): void {
    if (!this.#fut.done()) {
      this.aborted = true;
      this.#fut.cancel();
    }
  }

  dispose(): void {
    this.#signal.removeEventListener('abort', this);
  }
}

/**
 * @internal A waiter's Future that tells its primitive, once, whether the waiter took what it
 * was handed (see `Future._enableHandoff`): `acquire()` returns it as is, with no `async`
 * wrapper around `await fut` to do the bookkeeping after the wait.
 */
export class HandOff<T> extends Future<T> {
  /** How many permits (Semaphore) or other units the waiter asked for. */
  readonly weight: number;
  readonly #onHandoff: (fut: HandOff<T>, taken: boolean) => void;

  /**
   * @param onHandoff called once with `taken` (see `Future._enableHandoff`).
   * @param tellTaken false when only a result that was not taken matters.
   */
  constructor(
    onHandoff: (fut: HandOff<T>, taken: boolean) => void,
    label: string,
    weight: number,
    tellTaken: boolean,
  ) {
    super(getLoop(), label);
    this.weight = weight;
    this.#onHandoff = onHandoff;
    this._enableHandoff(tellTaken);
  }

  override _handoff(taken: boolean): void {
    this.#onHandoff(this, taken);
  }
}

/** @internal Validates a weight or count: an integer from 1 up to `max`. */
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

/** @internal A description of a value for error messages: its type and a short rendering. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const ctor = (value as object).constructor;
  return ctor?.name ? `an instance of ${ctor.name}` : 'an object';
}
