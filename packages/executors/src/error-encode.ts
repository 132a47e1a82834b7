/**
 * Worker side of error transport: turns whatever a job threw into a plain, cloneable record
 * that keeps the class name, `name`, `message`, `stack`, `cause` (recursively), the `errors`
 * of an AggregateError and every own enumerable property. Structured clone alone would drop
 * the class of a custom error and its own properties. Runs inside workers: no imports.
 */

/** @internal A thrown value, ready to be cloned to the pool. */
export type EncodedError =
  | {
      $e: 1;
      ctor: string;
      name: string;
      message: string;
      stack: string | undefined;
      cause?: EncodedError;
      errors?: EncodedError[];
      props?: Record<string, unknown>;
    }
  | { $e: 0; value: unknown };

const SKIP = new Set(['name', 'message', 'stack', 'cause', 'errors']);

function cloneable(v: unknown): boolean {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol')) {
    return true;
  }
  if (typeof v !== 'object') return false;
  try {
    structuredClone(v);
    return true;
  } catch {
    return false;
  }
}

/** @internal */
export function encodeError(e: unknown, depth = 0): EncodedError {
  if (typeof e !== 'object' || e === null || !('message' in e || e instanceof Error)) {
    return { $e: 0, value: cloneable(e) ? e : String(e) };
  }
  const err = e as Error & { errors?: unknown };
  let ctor = 'Error';
  try {
    ctor = (err.constructor as { name?: string } | undefined)?.name || 'Error';
  } catch {
    // A hostile getter: keep the default.
  }
  const out: EncodedError & { $e: 1 } = {
    $e: 1,
    ctor,
    name: String(err.name ?? ctor),
    message: String(err.message ?? ''),
    stack: typeof err.stack === 'string' ? err.stack : undefined,
  };
  if (depth < 8) {
    if ('cause' in err) out.cause = encodeError(err.cause, depth + 1);
    if (Array.isArray(err.errors)) out.errors = err.errors.map((x) => encodeError(x, depth + 1));
  }
  let props: Record<string, unknown> | undefined;
  for (const key of Object.keys(err)) {
    if (SKIP.has(key)) continue;
    const v = (err as unknown as Record<string, unknown>)[key];
    props ??= {};
    props[key] = cloneable(v) ? v : String(v);
  }
  if (props !== undefined) out.props = props;
  return out;
}

/** @internal An error made by the runtime itself (a job that cannot load, a result that cannot cross). */
export function runtimeError(
  name: string,
  message: string,
  props?: Record<string, unknown>,
  cause?: unknown,
): EncodedError {
  const out: EncodedError & { $e: 1 } = { $e: 1, ctor: name, name, message, stack: undefined };
  if (props !== undefined) out.props = props;
  if (cause !== undefined) out.cause = encodeError(cause, 1);
  return out;
}
