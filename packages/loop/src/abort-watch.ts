/**
 * The `{ signal }` option every aiots wait accepts, and the watch that turns an abort into
 * the cancel of one pending Future.
 */
import { describe } from './errors.ts';
import type { Future } from './future.ts';

/**
 * Options every aiots wait accepts as its last argument.
 *
 * @example
 * ```ts
 * import type { WaitOptions } from '@aiots/loop/lowlevel';
 * const opts: WaitOptions = { signal: AbortSignal.timeout(1_000) };
 * console.log(opts.signal instanceof AbortSignal); // true
 * ```
 */
export interface WaitOptions {
  /**
   * Aborting it abandons the wait: the call rejects with `signal.reason`, and whatever was
   * already handed to this waiter is passed on, so nothing is lost. An already aborted
   * signal rejects at once without waiting or taking anything.
   */
  signal?: AbortSignal | undefined;
}

/**
 * The `signal` of a `{ signal }` options argument, validated.
 *
 * @param opts The options argument as the caller passed it (`undefined` and `null` allowed).
 * @param where The call, for the message (`'Lock.acquire()'`).
 * @returns The signal, or `undefined` when there is none.
 * @throws {TypeError} when `opts` is not an object or `signal` is not an `AbortSignal`.
 * @example
 * ```ts
 * import { signalOf } from '@aiots/loop/lowlevel';
 * console.log(signalOf(undefined, 'read()')); // undefined
 * try { signalOf({ signal: 1 } as never, 'read()'); } catch (e) { console.log((e as Error).message); } // read() expected `signal` to be an AbortSignal, got number 1
 * ```
 */
export function signalOf(
  opts: WaitOptions | undefined | null,
  where: string,
): AbortSignal | undefined {
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
 * Watches `signal` for the duration of one wait: an abort while `fut` is still pending
 * cancels `fut` (which wakes its waiter at once) and records that the abort, not a task
 * cancel, ended the wait, so the waiter can throw `signal.reason` instead. Call `dispose()`
 * when the wait ends. A listener object rather than a closure per wait.
 *
 * @example
 * ```ts
 * import { getLoop } from '@aiots/loop';
 * import { AbortWatch } from '@aiots/loop/lowlevel';
 * const ac = new AbortController();
 * const fut = getLoop().createFuture<number>();
 * const watch = new AbortWatch(ac.signal, fut);
 * ac.abort(new Error('stop'));
 * console.log(fut.cancelled(), watch.aborted); // true true
 * watch.dispose();
 * ```
 */
export class AbortWatch {
  /** True when the abort cancelled the wait (the waiter should throw `signal.reason`). */
  aborted = false;
  readonly #signal: AbortSignal;
  readonly #fut: Future<unknown>;

  /**
   * @param signal The signal to watch.
   * @param fut The pending Future an abort cancels.
   */
  constructor(signal: AbortSignal, fut: Future<unknown>) {
    this.#signal = signal;
    this.#fut = fut;
    signal.addEventListener('abort', this);
  }

  /** @internal The `abort` listener. */
  handleEvent(): void {
    const fut = this.#fut;
    if (fut.done()) return;
    // A Future of a loop that has closed (a wait left behind by a run() that ended) cannot
    // be cancelled any more, and the abort has nothing left to stop: stop listening.
    if (fut.getLoop().isClosed()) {
      this.dispose();
      return;
    }
    this.aborted = true;
    fut.cancel();
  }

  /** Stops watching. */
  dispose(): void {
    this.#signal.removeEventListener('abort', this);
  }
}
