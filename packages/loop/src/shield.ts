import { Future, PENDING, REJECTED, toFuture } from './future.ts';

/**
 * Protects `aw` from cancellation: cancelling the task that awaits `shield(aw)` (or the
 * returned promise) throws `CancelledError` in that task, but `aw` keeps running. If `aw`
 * is already done it is returned as is.
 *
 * @example
 * ```ts
 * import { createTask, shield, sleep } from '@aiots/loop';
 * const save = createTask(() => sleep(20, 'saved'));
 * const caller = createTask(() => shield(save));
 * caller.cancel();
 * console.log(await save); // saved
 * ```
 */
export function shield<T>(aw: PromiseLike<T>): Promise<T> {
  const inner = toFuture(aw, 'shield()');
  if (inner._state !== PENDING) return inner;
  const outer = new Future<T>(inner._loop, 'shield');
  const onInnerDone = (f: Future<T>): void => {
    if (outer._state !== PENDING) {
      if (f._state === REJECTED) f._markRetrieved();
      return;
    }
    if (f.cancelled()) outer.cancel();
    else if (f._state === REJECTED) {
      f._markRetrieved();
      outer._reject(f._value);
    } else outer._resolve(f._value);
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(() => {
    if (inner._state === PENDING) inner.removeDoneCallback(onInnerDone);
  });
  return outer;
}
