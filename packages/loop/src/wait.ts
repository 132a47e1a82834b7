import { checkMs, describe, TimeoutError } from './errors.ts';
import { Future, PENDING, REJECTED } from './future.ts';
import { getLoop, type TimerHandle } from './loop.ts';

/** When `wait` returns. */
export type ReturnWhen = 'FIRST_COMPLETED' | 'FIRST_EXCEPTION' | 'ALL_COMPLETED';

/**
 * asyncio's constant, for code ported from Python: `wait` returns when any awaitable is done.
 *
 * @example
 * ```ts
 * import { FIRST_COMPLETED, createTask, sleep, wait } from '@aiots/loop';
 * const fast = createTask(() => sleep(10)), slow = createTask(() => sleep(1_000));
 * const { done, pending } = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
 * console.log(done.size, pending.size); // 1 1
 * slow.cancel();
 * ```
 */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/**
 * asyncio's constant, for code ported from Python: `wait` returns when any awaitable fails,
 * or when all are done.
 *
 * @example
 * ```ts
 * import { FIRST_EXCEPTION, createTask, sleep, wait } from '@aiots/loop';
 * const ok = createTask(() => sleep(1));
 * const bad = createTask(async () => { await sleep(10); throw new Error('boom'); });
 * const slow = createTask(() => sleep(1_000));
 * const { done } = await wait([ok, bad, slow], { returnWhen: FIRST_EXCEPTION });
 * console.log(done.size, (bad.exception() as Error).message); // 2 boom
 * slow.cancel();
 * ```
 */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/**
 * asyncio's constant, for code ported from Python: `wait` returns when every awaitable is
 * done (the default).
 *
 * @example
 * ```ts
 * import { ALL_COMPLETED, createTask, sleep, wait } from '@aiots/loop';
 * const tasks = [createTask(() => sleep(10)), createTask(() => sleep(20))];
 * const { done, pending } = await wait(tasks, { returnWhen: ALL_COMPLETED });
 * console.log(done.size, pending.size); // 2 0
 * ```
 */
export const ALL_COMPLETED = 'ALL_COMPLETED';

function futureSet<F extends Future<unknown>>(aws: Iterable<F>, where: string): Set<F> {
  if (
    aws === null ||
    typeof aws !== 'object' ||
    aws instanceof Future ||
    typeof (aws as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`${where} expected an iterable of Tasks or Futures, got ${describe(aws)}`);
  }
  const fs = new Set<F>();
  for (const f of aws) {
    if (!(f instanceof Future)) {
      throw new TypeError(
        `${where} takes Tasks or Futures, got ${describe(f)}; wrap a promise with createTask(() => promise)`,
      );
    }
    fs.add(f);
  }
  return fs;
}

function checkTimeout(timeoutMs: number | null | undefined, where: string): number | undefined {
  if (timeoutMs === null || timeoutMs === undefined) return undefined;
  return checkMs(timeoutMs, 'timeoutMs', where);
}

/**
 * Waits until the Tasks or Futures in `aws` are done (or the first is, or the first fails,
 * per `returnWhen`), or until `timeoutMs` passes, and splits them into `done` and
 * `pending`. Never throws TimeoutError and never cancels anything.
 *
 * @throws {TypeError} for a non-iterable or a member that is not a Task or Future.
 * @throws {RangeError} for an empty set or an unknown `returnWhen`.
 * @example
 * ```ts
 * import { createTask, sleep, wait } from '@aiots/loop';
 * const fast = createTask(() => sleep(10)), slow = createTask(() => sleep(1000));
 * const { done, pending } = await wait([fast, slow], { returnWhen: 'FIRST_COMPLETED' });
 * console.log(done.has(fast), pending.has(slow)); // true true
 * slow.cancel();
 * ```
 */
export async function wait<F extends Future<unknown>>(
  aws: Iterable<F>,
  opts: { timeoutMs?: number | null; returnWhen?: ReturnWhen } = {},
): Promise<{ done: Set<F>; pending: Set<F> }> {
  const fs = futureSet(aws, 'wait()');
  if (fs.size === 0) {
    throw new RangeError('wait() expected a non-empty set of Tasks or Futures, got an empty one');
  }
  const returnWhen = opts.returnWhen ?? ALL_COMPLETED;
  if (
    returnWhen !== ALL_COMPLETED &&
    returnWhen !== FIRST_COMPLETED &&
    returnWhen !== FIRST_EXCEPTION
  ) {
    throw new RangeError(
      `wait() expected \`returnWhen\` to be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got ${describe(returnWhen)}`,
    );
  }
  const timeoutMs = checkTimeout(opts.timeoutMs, 'wait()');
  const loop = getLoop();
  const waiter = new Future<void>(loop, 'wait');
  let counter = fs.size;
  let handle: TimerHandle | undefined;
  const release = (): void => {
    if (waiter._state === PENDING) waiter._resolve(undefined);
  };
  const onCompletion = (f: Future<unknown>): void => {
    counter--;
    if (
      counter <= 0 ||
      returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && f._state === REJECTED)
    ) {
      if (f._state === REJECTED) f._markRetrieved();
      handle?.cancel();
      release();
    }
  };
  if (timeoutMs !== undefined) handle = loop.callLater(Math.max(0, timeoutMs), release);
  for (const f of fs) f.addDoneCallback(onCompletion);
  try {
    await waiter;
  } finally {
    handle?.cancel();
    for (const f of fs) f.removeDoneCallback(onCompletion);
  }
  const done = new Set<F>();
  const pending = new Set<F>();
  for (const f of fs) (f.done() ? done : pending).add(f);
  return { done, pending };
}

const TIMED_OUT = Symbol('timed out');
type Claimed<T> = { item: Future<T> | typeof TIMED_OUT };

/**
 * A finished Task or Future as `asCompleted` yields it: the same object that was passed in,
 * typed without `then`/`catch`/`finally` so that `for await` does not unwrap it to its value
 * in the type system (at run time it is the object itself).
 */
export type Completed<F> = Omit<
  F extends Future<unknown> ? F : Future<Awaited<F>>,
  'then' | 'catch' | 'finally'
>;

/** What `asCompleted` returns: iterate it with `for await` (Tasks) or `for` (promises). */
export interface AsCompleted<F>
  extends AsyncIterable<Completed<F>>,
    Iterable<Promise<Awaited<F>>> {}

/**
 * Yields the awaitables in `aws` as they complete. With `for await` it yields the same Task
 * and Future objects that were passed in (promises are wrapped in Futures), so you can ask
 * each for its result; with a plain `for` it yields promises, the k-th of which to be
 * awaited settles like the k-th to complete (asyncio's classic form). After `timeoutMs`,
 * what is left throws `TimeoutError`.
 *
 * @example
 * ```ts
 * import { asCompleted, createTask, sleep } from '@aiots/loop';
 * const tasks = [createTask(() => sleep(100, 'slow')), createTask(() => sleep(10, 'fast'))];
 * const order: string[] = [];
 * for await (const t of asCompleted(tasks)) order.push(t.result());
 * console.log(order); // ['fast', 'slow']
 * ```
 */
export function asCompleted<F extends PromiseLike<unknown>>(
  aws: Iterable<F>,
  opts: { timeoutMs?: number | null } = {},
): AsCompleted<F> {
  type T = Awaited<F>;
  if (
    aws === null ||
    typeof aws !== 'object' ||
    aws instanceof Future ||
    typeof (aws as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`asCompleted() expected an iterable of awaitables, got ${describe(aws)}`);
  }
  const timeoutMs = checkTimeout(opts.timeoutMs, 'asCompleted()');
  const loop = getLoop();
  const todo = new Set<Future<T>>();
  for (const a of new Set(aws)) {
    if (a instanceof Future) todo.add(a as Future<T>);
    else if (a !== null && typeof (a as { then?: unknown })?.then === 'function')
      todo.add(Future.from(a, loop) as Future<T>);
    else throw new TypeError(`asCompleted() expected awaitables, got ${describe(a)}`);
  }
  let remaining = todo.size;
  const doneQueue: (Future<T> | typeof TIMED_OUT)[] = [];
  const claimers: ((item: Future<T> | typeof TIMED_OUT) => void)[] = [];
  const push = (item: Future<T> | typeof TIMED_OUT): void => {
    const claim = claimers.shift();
    if (claim !== undefined) claim(item);
    else doneQueue.push(item);
  };
  let handle: TimerHandle | undefined;
  const onDone = (f: Future<unknown>): void => {
    if (!todo.delete(f as Future<T>)) return;
    if (todo.size === 0) handle?.cancel();
    push(f as Future<T>);
  };
  for (const f of todo) f.addDoneCallback(onDone);
  if (timeoutMs !== undefined && todo.size > 0) {
    handle = loop.callLater(Math.max(0, timeoutMs), () => {
      for (const f of todo) {
        f.removeDoneCallback(onDone);
        push(TIMED_OUT);
      }
      todo.clear();
    });
  }
  // Resolves with a box: a promise cannot resolve with a thenable without adopting it.
  const claimNext = (): Future<Claimed<T>> => {
    const fut = new Future<Claimed<T>>(loop, 'asCompleted');
    const item = doneQueue.shift();
    if (item !== undefined) fut._resolve({ item });
    else claimers.push((it) => fut._resolve({ item: it }));
    return fut;
  };
  return {
    [Symbol.asyncIterator](): AsyncIterator<Completed<F>> {
      return {
        async next(): Promise<IteratorResult<Completed<F>>> {
          if (remaining === 0) return { done: true, value: undefined };
          remaining--;
          const { item } = await claimNext();
          if (item === TIMED_OUT) throw new TimeoutError('asCompleted() timed out');
          return { done: false, value: item as unknown as Completed<F> };
        },
      };
    },
    *[Symbol.iterator](): Iterator<Promise<T>> {
      while (remaining > 0) {
        remaining--;
        yield new LazyNext<T>(loop, claimNext);
      }
    },
  };
}

/** A promise that claims its completed awaitable when first awaited (asyncio's order). */
class LazyNext<T> extends Future<T> {
  #claim: (() => Future<Claimed<T>>) | undefined;
  constructor(loop: ReturnType<typeof getLoop>, claim: () => Future<Claimed<T>>) {
    super(loop, 'asCompleted');
    this.#claim = claim;
  }
  // biome-ignore lint/suspicious/noThenProperty: a Future is a thenable by design.
  override then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Future<R1 | R2> {
    const claim = this.#claim;
    if (claim !== undefined) {
      this.#claim = undefined;
      claim().addDoneCallback((c) => {
        const { item } = c.result();
        if (item === TIMED_OUT) this._reject(new TimeoutError('asCompleted() timed out'));
        else
          item.addDoneCallback((f) => {
            if (f.cancelled()) this.cancel();
            else if (f._state === REJECTED) {
              f._markRetrieved();
              this._reject(f._value);
            } else this._resolve(f._value);
          });
      });
    }
    return super.then(onfulfilled, onrejected);
  }
}
