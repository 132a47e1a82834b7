/**
 * bridge(): a foreign operation (a Node API, undici, a driver) run as an aiots awaitable,
 * tied to the task that awaits it.
 */
import { CancelledError, describe } from './errors.ts';
import { Future } from './future.ts';
import { getLoop } from './loop.ts';

/** Options of `bridge()`. */
export interface BridgeOptions {
  /** What `formatTaskTree()` shows for a task waiting here (default `'bridge'`). */
  label?: string | undefined;
}

/**
 * True when `e` is how a foreign API reports that `signal` aborted it: the reason itself
 * (fetch, undici), or an `AbortError` whose `cause` is the reason (Node's own APIs).
 */
function abortedBy(e: unknown, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  const reason = signal.reason;
  if (e === reason) return true;
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: unknown; code?: unknown; cause?: unknown };
  return err.name === 'AbortError' || err.code === 'ABORT_ERR' || err.cause === reason;
}

class BridgeFuture<T> extends Future<T> {
  readonly controller = new AbortController();
  #cancelMsg: unknown = undefined;

  // A cancel aborts the foreign operation and is accepted, but the Future settles only when
  // the operation does: a task awaiting it resumes once the operation has really stopped
  // (its socket or file handle released), as a task group waits for its children.
  override cancel(msg?: unknown): boolean {
    if (this.done()) return super.cancel(msg);
    if (!this.controller.signal.aborted) {
      this.#cancelMsg = msg;
      this.controller.abort(
        new CancelledError(msg === undefined || msg === null ? '' : String(msg)),
      );
    }
    return true;
  }

  readonly ok = (value: T): void => {
    // A result that arrived although a cancel was requested is delivered, not dropped: the
    // task gets its cancel at its next cancellation point instead.
    if (!this.done() && !this.getLoop().isClosed()) this.setResult(value);
  };

  readonly fail = (e: unknown): void => {
    if (this.done() || this.getLoop().isClosed()) return;
    if (abortedBy(e, this.controller.signal)) super.cancel(this.#cancelMsg);
    else this.setException(e);
  };
}

/**
 * Runs a foreign operation as an aiots cancellation point. `start(signal)` is called at
 * once; cancelling the task that awaits the result (or a `timeout` around it) aborts
 * `signal`, and when the operation then rejects because of that abort (with the signal's
 * reason, or an `AbortError`), the awaiting task gets `CancelledError`: it ends cancelled,
 * not failed. The returned promise settles only when the operation does, so after a cancel
 * the operation has really stopped; an operation that ignores `signal` delays the cancel
 * until it ends, and a result it still delivers is returned (the task then gets its cancel
 * at its next cancellation point).
 *
 * @param start Starts the operation with the signal to honour.
 * @param opts `label` for the task tree.
 * @returns The operation's result.
 * @throws {TypeError} when `start` is not a function.
 * @throws {CancelledError} when the awaiting task is cancelled and the operation stops.
 * @throws whatever the operation rejects with otherwise.
 * @example
 * ```ts
 * import { setTimeout as delay } from 'node:timers/promises';
 * import { CancelledError, createTask } from '@aiots/loop';
 * import { bridge } from '@aiots/loop/lowlevel';
 * const t = createTask(() => bridge((signal) => delay(10_000, 'late', { signal })));
 * setTimeout(() => t.cancel(), 5);
 * try { await t; } catch (e) { console.log(CancelledError.is(e), t.cancelled()); } // true true
 * ```
 */
export function bridge<T>(
  start: (signal: AbortSignal) => PromiseLike<T> | T,
  opts?: BridgeOptions,
): Promise<T> {
  if (typeof start !== 'function') {
    throw new TypeError(`bridge() expected a function (signal) => Promise, got ${describe(start)}`);
  }
  const fut = new BridgeFuture<T>(getLoop(), opts?.label ?? 'bridge');
  let p: PromiseLike<T> | T;
  try {
    p = start(fut.controller.signal);
  } catch (e) {
    fut.fail(e);
    return fut;
  }
  if (
    p !== null &&
    (typeof p === 'object' || typeof p === 'function') &&
    typeof (p as PromiseLike<T>).then === 'function'
  ) {
    (p as PromiseLike<T>).then(fut.ok, fut.fail);
  } else fut.ok(p as T);
  return fut;
}
