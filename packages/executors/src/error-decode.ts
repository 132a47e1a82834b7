/**
 * Pool side of error transport: rebuilds what a job threw from its `EncodedError` record.
 * Built-in error classes, `DOMException`, the aiots errors and the pool's `errorClasses` are
 * rebuilt as themselves; any other class becomes a `RemoteError` that keeps the remote name.
 */
import { CancelledError, InvalidStateError, TimeoutError } from '@aiots/loop';
import {
  BrokenWorkerError,
  ClosureError,
  DataCloneError,
  ExecutorShutdownError,
  JobExportError,
  JobModuleError,
  RemoteError,
} from './errors.ts';

/** Package-internal: What error-encode.js makes of a thrown value in the worker. */
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

/** A class that `errorClasses` can list: constructed as `new C(message, { cause, ...props })`. */
export type ErrorClass = new (message: string, options?: never) => Error;

const known = new Map<string, ErrorClass>(
  (
    [
      Error,
      TypeError,
      RangeError,
      SyntaxError,
      ReferenceError,
      EvalError,
      URIError,
      BrokenWorkerError,
      ClosureError,
      DataCloneError,
      ExecutorShutdownError,
      JobExportError,
      JobModuleError,
      CancelledError,
      TimeoutError,
      InvalidStateError,
    ] as unknown as ErrorClass[]
  ).map((c) => [c.name, c]),
);

function define(target: object, key: string, value: unknown): void {
  try {
    Object.defineProperty(target, key, { value, writable: true, configurable: true });
  } catch {
    // A frozen or non-configurable property: keep what the constructor made.
  }
}

/** Package-internal: */
export function decodeError(enc: EncodedError, extra?: ReadonlyMap<string, ErrorClass>): unknown {
  if (enc.$e === 0) return enc.value;
  const hasCause = enc.cause !== undefined;
  const cause = hasCause ? decodeError(enc.cause as EncodedError, extra) : undefined;
  const props = enc.props ?? {};
  let err: Error;
  if (enc.ctor === 'DOMException') {
    err = new DOMException(enc.message, enc.name);
  } else if (enc.ctor === 'AggregateError' || enc.errors !== undefined) {
    const errors = (enc.errors ?? []).map((x) => decodeError(x, extra));
    err = new AggregateError(errors, enc.message, hasCause ? { cause } : undefined);
    if (enc.ctor !== 'AggregateError') {
      err = new RemoteError(enc.message, { name: enc.name, remoteClass: enc.ctor, cause });
      define(err, 'errors', errors);
    }
  } else {
    const Ctor = extra?.get(enc.ctor) ?? known.get(enc.ctor);
    if (Ctor === undefined) {
      err = hasCause
        ? new RemoteError(enc.message, { name: enc.name, remoteClass: enc.ctor, cause })
        : new RemoteError(enc.message, { name: enc.name, remoteClass: enc.ctor });
    } else {
      try {
        const opts = hasCause ? { ...props, cause } : { ...props };
        err = new Ctor(enc.message, opts as never);
      } catch {
        err = Object.create(Ctor.prototype) as Error;
        define(err, 'message', enc.message);
      }
    }
  }
  if (enc.stack !== undefined) define(err, 'stack', enc.stack);
  if (hasCause && (err as { cause?: unknown }).cause !== cause) define(err, 'cause', cause);
  if (err.name !== enc.name) define(err, 'name', enc.name);
  for (const key of Object.keys(props)) {
    try {
      (err as unknown as Record<string, unknown>)[key] = props[key];
    } catch {
      define(err, key, props[key]);
    }
  }
  return err;
}
