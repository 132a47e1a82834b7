import { CancelledError, describe } from './errors.ts';
import { CANCELLED, Future, PENDING, REJECTED, toFuture } from './future.ts';
import { getLoop, type Loop } from './loop.ts';

/** Anything `gather`, `waitFor` and `shield` accept: a Task, a Future or any promise. */
export type Awaitable<T = unknown> = PromiseLike<T>;

/** The results of `gather(aws)`, in argument order. */
export type GatherResults<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: Awaited<A[K]>;
};

/**
 * The Future `gather` returns; cancelling it cancels every child.
 *
 * @example
 * ```ts
 * import { CancelledError, GatheringFuture, createTask, gather, sleep } from '@aiots/loop';
 * const child = createTask(() => sleep(1_000));
 * const all = gather([child, sleep(1_000)]);
 * console.log(all instanceof GatheringFuture); // true
 * all.cancel();
 * await all.catch((e) => console.log(CancelledError.is(e), child.cancelled())); // true true
 * ```
 */
export class GatheringFuture<T> extends Future<T> {
  /** @internal */ _children: Future<unknown>[];
  /** @internal */ _cancelRequested = false;
  /** @internal */ _cancelMsg: unknown = undefined;

  /** @internal */
  constructor(loop: Loop, children: Future<unknown>[]) {
    super(loop, 'gather');
    this._children = children;
  }

  /**
   * Cancels every child that is not done. The gather then fails with `CancelledError` once
   * all children finished, even with `returnExceptions` (bpo-32684).
   * @returns true if any child accepted the cancel.
   */
  override cancel(msg?: unknown): boolean {
    if (this._state !== PENDING) return false;
    let accepted = false;
    for (const child of this._children) if (child.cancel(msg)) accepted = true;
    if (accepted) {
      this._cancelRequested = true;
      this._cancelMsg = msg;
    }
    return accepted;
  }
}

function outcome(child: Future<unknown>): unknown {
  if (child._state === CANCELLED) return child._cancelledError();
  child._markRetrieved();
  return child._value;
}

/**
 * Waits for every awaitable and resolves with their results in argument order. When one
 * fails, the gather fails with that error at once and the others keep running (as in
 * asyncio); with `returnExceptions` errors are returned in place instead. Cancelling the
 * gather (or the task awaiting it) cancels every child.
 *
 * @param aws Tasks, Futures or promises. Promises are observed, not cancelled.
 * @throws {TypeError} when `aws` is not iterable or holds something that is not awaitable.
 * @example
 * ```ts
 * import { createTask, gather, sleep } from '@aiots/loop';
 * const [a, b] = await gather([createTask(() => sleep(20, 'a')), sleep(10, 'b')]);
 * console.log(a, b); // a b
 * ```
 */
export function gather<const A extends readonly unknown[]>(
  aws: A,
  opts?: { returnExceptions?: false },
): GatheringFuture<GatherResults<A>>;
export function gather<const A extends readonly unknown[]>(
  aws: A,
  opts: { returnExceptions: boolean },
): GatheringFuture<{ -readonly [K in keyof A]: Awaited<A[K]> | unknown }>;
export function gather(
  aws: Iterable<unknown>,
  opts: { returnExceptions?: boolean } = {},
): GatheringFuture<unknown[]> {
  if (
    aws === null ||
    typeof (aws as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`gather() expected an array of awaitables, got ${describe(aws)}`);
  }
  const loop = getLoop();
  const list = Array.isArray(aws) ? aws : Array.from(aws);
  const n = list.length;
  const children = new Array<Future<unknown>>(n);
  for (let i = 0; i < n; i++) {
    const aw = list[i];
    children[i] =
      aw instanceof Future
        ? aw
        : toFuture(aw as PromiseLike<unknown>, `gather() at index ${i}`, loop);
  }
  const outer = new GatheringFuture<unknown[]>(loop, children);
  if (n === 0) {
    outer._resolve([]);
    return outer;
  }
  const returnExceptions = opts.returnExceptions === true;
  let finished = 0;
  const onChildDone = (child: Future<unknown>): void => {
    finished++;
    if (outer._state !== PENDING) {
      if (child._state === REJECTED) child._markRetrieved();
      return;
    }
    if (!returnExceptions) {
      if (child._state === CANCELLED) {
        outer._reject(child._cancelledError());
        return;
      }
      if (child._state === REJECTED) {
        child._markRetrieved();
        outer._reject(child._value);
        return;
      }
    }
    if (finished === n) {
      if (outer._cancelRequested) {
        const m = outer._cancelMsg;
        outer._reject(new CancelledError(m === undefined || m === null ? '' : String(m)));
        return;
      }
      const results = new Array<unknown>(n);
      for (let i = 0; i < n; i++) results[i] = outcome(children[i] as Future<unknown>);
      outer._resolve(results);
    }
  };
  for (const child of children) {
    if (child._state !== PENDING) loop._schedule(onChildDone, child);
    else child._addEntry(onChildDone as never);
  }
  return outer;
}
