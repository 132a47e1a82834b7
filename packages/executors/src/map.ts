/**
 * `map()`: ordered results over a lazily read input. At most `prefetch` jobs (or chunks) are
 * in flight, and the input is read only to refill that window as the consumer takes results,
 * so a slow consumer or an endless input keeps memory bounded (asyncio's `Executor.map`
 * submits the whole input up front).
 */
import type { Task } from '@aiots/loop';

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

function positiveInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(
      `Expected \`${name}\` to be an integer from 1 and up, got ${String(value)}`,
    );
  }
  return value;
}

/** Package-internal: */
export function mapJobs<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  opts: MapOptions,
  maxWorkers: number,
  where: string,
  submitOne: (item: T) => Task<R>,
  submitChunk: (items: T[]) => Task<unknown>,
): AsyncIterableIterator<R> {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`Expected ${where} options to be an object, got ${String(opts)}`);
  }
  const chunksize = opts.chunksize === undefined ? 1 : positiveInt(opts.chunksize, 'chunksize');
  const prefetch =
    opts.prefetch === undefined ? maxWorkers * 2 : positiveInt(opts.prefetch, 'prefetch');
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
      const task = inflight[head] as Task<unknown>;
      inflight[head++] = undefined;
      if (head > 256 && head * 2 > inflight.length) {
        inflight.splice(0, head);
        head = 0;
      }
      const v = await task;
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
    for (let i = head; i < inflight.length; i++) inflight[i]?.cancel();
    if (!exhausted) await iter.return?.();
  }
}
