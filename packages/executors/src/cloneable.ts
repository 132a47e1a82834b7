/**
 * Checks, before a job is queued, that its arguments can cross by structured clone, so
 * `submit` can throw a `DataCloneError` naming the argument instead of failing later in a
 * batch. Plain data is walked (cheap, and gives a path such as `args[0].onDone`); anything
 * else is tried with `structuredClone`, which is exact.
 */
import { DataCloneError } from './errors.ts';

const MAX_NODES = 10_000;

interface Problem {
  path: string;
  what: string;
  cause?: unknown;
}

function describeFn(v: unknown): string {
  if (typeof v === 'function') return `a function (${v.name || 'anonymous'})`;
  if (typeof v === 'symbol') return `a symbol (${v.toString()})`;
  return typeof v;
}

interface Walk {
  seen: Set<object>;
  n: number;
  /** False for process pools: processes share no memory. */
  shared: boolean;
}

function walk(v: unknown, path: string, ctx: Walk): Problem | undefined {
  const t = typeof v;
  if (t === 'function' || t === 'symbol') return { path, what: describeFn(v) };
  if (t !== 'object' || v === null) return undefined;
  const o = v as object;
  if (ctx.seen.has(o)) return undefined;
  ctx.seen.add(o);
  if (--ctx.n < 0) return tryClone(o, path);
  const proto = Object.getPrototypeOf(o);
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const x = o[i];
      if (typeof x === 'object' || typeof x === 'function' || typeof x === 'symbol') {
        const p = walk(x, `${path}[${i}]`, ctx);
        if (p !== undefined) return p;
      }
    }
    return undefined;
  }
  if (proto === Object.prototype || proto === null) {
    for (const key of Object.keys(o)) {
      const x = (o as Record<string, unknown>)[key];
      if (typeof x === 'object' || typeof x === 'function' || typeof x === 'symbol') {
        const p = walk(
          x,
          /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`,
          ctx,
        );
        if (p !== undefined) return p;
      }
    }
    return undefined;
  }
  if (o instanceof Map) {
    let i = 0;
    for (const [k, x] of o) {
      const p = walk(k, `${path}<key ${i}>`, ctx) ?? walk(x, `${path}.get(<key ${i}>)`, ctx);
      if (p !== undefined) return p;
      i++;
    }
    return undefined;
  }
  if (o instanceof Set) {
    let i = 0;
    for (const x of o) {
      const p = walk(x, `${path}<item ${i++}>`, ctx);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (o instanceof ArrayBuffer) {
    return o.detached ? { path, what: 'a detached ArrayBuffer' } : undefined;
  }
  if (
    o instanceof SharedArrayBuffer ||
    (ArrayBuffer.isView(o) && o.buffer instanceof SharedArrayBuffer)
  ) {
    return ctx.shared
      ? undefined
      : { path, what: 'shared memory (a SharedArrayBuffer), which processes cannot share' };
  }
  if (ArrayBuffer.isView(o)) {
    return (o.buffer as ArrayBuffer).detached
      ? { path, what: 'a view of a detached ArrayBuffer' }
      : undefined;
  }
  if (o instanceof Date || o instanceof RegExp || o instanceof Error) return undefined;
  return tryClone(o, path);
}

function tryClone(o: object, path: string): Problem | undefined {
  try {
    structuredClone(o);
    return undefined;
  } catch (e) {
    const name = (o.constructor as { name?: string } | undefined)?.name ?? 'object';
    return { path, what: `an instance of ${name} that cannot be cloned`, cause: e };
  }
}

/** Package-internal: Throws `DataCloneError` if `args[index]` cannot cross to a worker. */
export function checkArgument(value: unknown, index: number, where: string, shared: boolean): void {
  const t = typeof value;
  if (t !== 'object' && t !== 'function' && t !== 'symbol') return;
  if (value === null) return;
  const path = `args[${index}]`;
  const problem = walk(value, path, { seen: new Set(), n: MAX_NODES, shared });
  if (problem !== undefined) throw cloneError(problem, index, where);
}

/** Package-internal: */
export function cloneError(problem: Problem, index: number, where: string): DataCloneError {
  const at = problem.path === `args[${index}]` ? '' : ` at ${problem.path}`;
  return new DataCloneError(
    `Argument ${index} of ${where} cannot be sent to a worker: expected data that structured clone can copy (primitives, plain objects, arrays, Map, Set, Date, typed arrays…), got ${problem.what}${at}`,
    { argument: problem.path, cause: problem.cause },
  );
}
