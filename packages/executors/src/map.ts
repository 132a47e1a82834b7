/**
 * `map()`: ordered results over a lazily read input. At most `prefetch` jobs (or chunks) are
 * in flight, and the input is read only to refill that window as the consumer takes results,
 * so a slow consumer or an endless input keeps memory bounded (asyncio's `Executor.map`
 * submits the whole input up front).
 */
import type { Task } from '@aiots/loop';
import { checkKeys, intOption } from './options.ts';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Options of `map()`. */
export interface MapOptions {
  /** Items per job (default 1): larger chunks mean fewer messages for tiny jobs. */
  chunksize?: number;
  /** Jobs (chunks) in flight ahead of the consumer (default 2 × maxWorkers). */
  prefetch?: number;
}

/** Package-internal: What a chunk resolves with when one of its items threw. */
export class ChunkFailure {
  readonly values: unknown[];
  readonly error: unknown;
  constructor(values: unknown[], error: unknown) {
    this.values = values;
    this.error = error;
  }
}

/** The iterator behind `map()`: checks its options and input, then runs lazily. */
export function mapJobs<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  opts: MapOptions,
  maxWorkers: number,
  where: string,
  submitOne: (item: T) => Task<R>,
  submitChunk: (items: T[]) => Task<unknown>,
): AsyncIterableIterator<R> {
  checkKeys(`${where} options`, opts, ['chunksize', 'prefetch']);
  const chunksize = intOption(opts, 'chunksize', 1, MAX_SAFE, 1);
  const prefetch = intOption(opts, 'prefetch', 1, MAX_SAFE, maxWorkers * 2);
  const source = items as Partial<Iterable<T> & AsyncIterable<T>> | null | undefined;
  if (
    source === null ||
    source === undefined ||
    (typeof source[Symbol.asyncIterator] !== 'function' &&
      typeof source[Symbol.iterator] !== 'function')
  ) {
    throw new TypeError(
      `${where} expected items to be an Iterable or AsyncIterable, got ${source === null ? 'null' : typeof source}`,
    );
  }
  return run(source as Iterable<T> | AsyncIterable<T>, chunksize, prefetch, submitOne, submitChunk);
}

async function* run<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  chunksize: number,
  prefetch: number,
  submitOne: (item: T) => Task<R>,
  submitChunk: (items: T[]) => Task<unknown>,
): AsyncGenerator<R> {
  const isAsync = typeof (items as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';
  const iter = isAsync
    ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (items as Iterable<T>)[Symbol.iterator]();
  const inflight: (Task<unknown> | undefined)[] = [];
  let head = 0;
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && inflight.length - head < prefetch) {
        if (chunksize === 1) {
          const r = isAsync ? await iter.next() : (iter as Iterator<T>).next();
          if (r.done) {
            exhausted = true;
            break;
          }
          inflight.push(submitOne(r.value));
        } else {
          const chunk: T[] = [];
          while (chunk.length < chunksize) {
            const r = isAsync ? await iter.next() : (iter as Iterator<T>).next();
            if (r.done) {
              exhausted = true;
              break;
            }
            chunk.push(r.value);
          }
          if (chunk.length > 0) inflight.push(submitChunk(chunk));
        }
      }
      if (head === inflight.length) return;
      // The task stays in `inflight` while it is awaited: should the await throw (the
      // consumer's task is cancelled), `finally` stops it with the others.
      const v = await (inflight[head] as Task<unknown>);
      inflight[head++] = undefined;
      if (head > 256 && head * 2 > inflight.length) {
        inflight.splice(0, head);
        head = 0;
      }
      if (chunksize === 1) {
        yield v as R;
      } else if (v instanceof ChunkFailure) {
        for (const x of v.values) yield x as R;
        throw v.error;
      } else {
        for (const x of v as R[]) yield x;
      }
    }
  } finally {
    // Leaving early (break, return(), an error, a cancel): the jobs this map started are
    // cancelled, and the iterator finishes only once they have stopped, so nothing of it
    // runs on after the consumer's loop.
    const stopping: Task<unknown>[] = [];
    for (let i = head; i < inflight.length; i++) {
      const t = inflight[i];
      if (t !== undefined && !t.done()) {
        t.cancel();
        stopping.push(t);
      }
    }
    try {
      if (!exhausted) await iter.return?.();
    } finally {
      if (stopping.length > 0) await allDone(stopping);
    }
  }
}

/**
 * Resolves once every task is done. An aiots Future, so a cancel of the waiting task ends
 * the wait (the jobs are already cancelled, and still stop). Returns at once when their loop
 * is closed: nothing would settle them any more.
 */
function allDone(tasks: Task<unknown>[]): PromiseLike<void> | undefined {
  const loop = (tasks[0] as Task<unknown>).getLoop();
  if (loop.isClosed()) return undefined;
  const all = loop.createFuture<void>();
  let left = tasks.length;
  const one = (): void => {
    if (--left === 0 && !all.done()) all.setResult();
  };
  for (const t of tasks) t.addDoneCallback(one);
  return all;
}
