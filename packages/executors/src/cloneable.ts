/**
 * Explains why a job's arguments could not be posted to a worker. Nothing is checked before
 * a job is sent (a check would cost up to a second clone of every argument on the loop);
 * when posting fails, this finds which argument is at fault and why: plain data is walked
 * (giving a path such as `args[0].onDone`), anything else is tried with `structuredClone`.
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

/** A platform error's message without its closing period (V8 ends clone errors with one). */
function platformMessage(e: unknown): string {
  return String((e as Error | undefined)?.message ?? e).replace(/\.$/, '');
}

const EXPECTED =
  'expected data that structured clone can copy (primitives, plain objects, arrays, Map, Set, Date, typed arrays…)';

function findProblem(value: unknown, path: string, shared: boolean): Problem | undefined {
  return walk(value, path, { seen: new Set(), n: MAX_NODES, shared });
}

/**
 * The `DataCloneError` for a job whose message could not be posted.
 * @param args the job's arguments (for a `map()` chunk, `[items]`).
 * @param chunk whether `args[0]` is a `map()` chunk.
 * @param where `ThreadPoolExecutor.submit()` or `….map()`, for the message.
 * @param shared whether the workers share memory (threads).
 * @param cause what posting threw.
 */
export function cloneFailure(
  args: readonly unknown[],
  chunk: boolean,
  where: string,
  shared: boolean,
  cause: unknown,
): DataCloneError {
  const isMap = where.endsWith('.map()');
  const items = chunk ? (args[0] as unknown[]) : args;
  for (let i = 0; i < items.length; i++) {
    const root = isMap ? 'item' : `args[${i}]`;
    const problem = findProblem(items[i], root, shared);
    if (problem === undefined) continue;
    const at = problem.path === root ? '' : ` at ${problem.path}`;
    const subject = isMap ? `An item of ${where}` : `Argument ${i} of ${where}`;
    return new DataCloneError(
      `${subject} cannot be sent to a worker: ${EXPECTED}, got ${problem.what}${at}`,
      { argument: problem.path, cause: problem.cause ?? cause },
    );
  }
  // Nothing we can see; the platform's message is all there is.
  return new DataCloneError(
    `The ${isMap ? 'item' : 'arguments'} of this ${where} job cannot be sent to a worker (${platformMessage(cause)})`,
    { argument: isMap ? 'item' : 'args', cause },
  );
}
