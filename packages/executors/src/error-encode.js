/**
 * Worker side of error transport: turns whatever a job threw into a plain, cloneable record
 * that keeps the class name, `name`, `message`, `stack`, `cause` (recursively), the `errors`
 * of an AggregateError and every own enumerable property. Structured clone alone would drop
 * the class of a custom error and its own properties. Runs inside workers: no imports.
 * The record's type is `EncodedError` in error-decode.ts.
 */

/**
 * @typedef {{ $e: 1; ctor: string; name: string; message: string; stack: string | undefined;
 *   cause?: Encoded; errors?: Encoded[]; props?: Record<string, unknown> } | { $e: 0; value: unknown }} Encoded
 */

const SKIP = new Set(['name', 'message', 'stack', 'cause', 'errors']);

/**
 * @param {unknown} v
 * @returns {boolean}
 */
function cloneable(v) {
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

/**
 * @param {unknown} e what was thrown
 * @param {number} [depth]
 * @returns {Encoded}
 */
export function encodeError(e, depth = 0) {
  if (typeof e !== 'object' || e === null || !('message' in e || e instanceof Error)) {
    return { $e: 0, value: cloneable(e) ? e : String(e) };
  }
  const err = /** @type {Error & { errors?: unknown }} */ (e);
  let ctor = 'Error';
  try {
    ctor = err.constructor?.name || 'Error';
  } catch {
    // A hostile getter: keep the default.
  }
  /** @type {Encoded & { $e: 1 }} */
  const out = {
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
  /** @type {Record<string, unknown> | undefined} */
  let props;
  for (const key of Object.keys(err)) {
    if (SKIP.has(key)) continue;
    const v = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (err))[key];
    props ??= {};
    props[key] = cloneable(v) ? v : String(v);
  }
  if (props !== undefined) out.props = props;
  return out;
}

/**
 * An error made by the runtime itself (a job that cannot load, a result that cannot cross).
 * @param {string} name
 * @param {string} message
 * @param {Record<string, unknown>} [props]
 * @param {unknown} [cause]
 * @returns {Encoded}
 */
export function runtimeError(name, message, props, cause) {
  /** @type {Encoded & { $e: 1 }} */
  const out = { $e: 1, ctor: name, name, message, stack: undefined };
  if (props !== undefined) out.props = props;
  if (cause !== undefined) out.cause = encodeError(cause, 1);
  return out;
}
