/**
 * The job runner inside a worker thread or child process (the same code for both; only the
 * port differs). One unit because batching, ordering and crash reporting share one
 * invariant: jobs run one at a time in `seq` order, each is reported exactly once, and a
 * result is never held back while a job that could crash the worker runs.
 *
 * Batching. Results are collected and sent in one message when the batch is done, every
 * `FLUSH_AT` results, or at least every `YIELD_MS` (when the runner also yields to the event
 * loop so cancel messages get in). Before a job whose function has not yet proven fast (it
 * has never finished synchronously in under `FAST_MS`), or that is a suspect, pending results
 * are flushed together with a STARTED marker, and the job's own result is flushed as soon as
 * it ends: if that job kills the worker (process.exit, out of memory, SIGKILL), nothing
 * already computed is lost, and the pool knows it was running because its result is the
 * oldest one missing. Async jobs always count as not fast, because a timer may throw while
 * they wait.
 *
 * Plain JavaScript on purpose (see protocol.js): every worker loads this file.
 */
import { encodeError, runtimeError } from './error-encode.js';
import {
  DEF_SOURCE,
  FLAG_CHUNK,
  FLAG_SUSPECT,
  isTransferred,
  MSG_BATCH,
  MSG_CANCEL,
  MSG_FATAL,
  MSG_RESULTS,
  ST_ERR,
  ST_OK,
  ST_PARTIAL,
  ST_SKIPPED,
  ST_STARTED,
} from './protocol.js';

/** @typedef {import('./error-encode.js').Encoded} Encoded */
/** @typedef {import('node:worker_threads').TransferListItem} TransferListItem */
/** @typedef {(...args: unknown[]) => unknown} JobFn */
/** @typedef {{ post(msg: unknown[], transfer?: TransferListItem[]): void }} Port */

const YIELD_MS = 1;
const FAST_MS = 1;
const FLUSH_AT = 256;
const FAST = 1;
const SLOW = 2;

class LoadFailure {
  /** @param {Encoded} error */
  constructor(error) {
    this.error = error;
  }
}

class Partial {
  /**
   * @param {unknown[]} values
   * @param {unknown} error
   */
  constructor(values, error) {
    this.values = values;
    this.error = error;
  }
}

/**
 * @param {unknown} r
 * @returns {r is PromiseLike<unknown>}
 */
function isThenable(r) {
  return (
    r !== null &&
    (typeof r === 'object' || typeof r === 'function') &&
    typeof (/** @type {{ then?: unknown }} */ (r).then) === 'function'
  );
}

/**
 * Calls `fn` with the `argc` arguments at `b[at…]`, without an array for the common counts.
 * @param {JobFn} fn
 * @param {unknown[]} b
 * @param {number} at
 * @param {number} argc
 */
function call(fn, b, at, argc) {
  switch (argc) {
    case 0:
      return fn();
    case 1:
      return fn(b[at]);
    case 2:
      return fn(b[at], b[at + 1]);
    case 3:
      return fn(b[at], b[at + 1], b[at + 2]);
    default:
      return fn(...b.slice(at, at + argc));
  }
}

/**
 * @param {JobFn} fn
 * @param {unknown[]} items
 * @returns {unknown}
 */
function runChunk(fn, items) {
  const values = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    let r;
    try {
      r = fn(items[i]);
    } catch (e) {
      return new Partial(values.slice(0, i), e);
    }
    if (isThenable(r)) return finishChunk(fn, items, values, i, r);
    values[i] = r;
  }
  return values;
}

/**
 * @param {JobFn} fn
 * @param {unknown[]} items
 * @param {unknown[]} values
 * @param {number} from
 * @param {PromiseLike<unknown>} first
 */
async function finishChunk(fn, items, values, from, first) {
  let i = from;
  try {
    values[i] = await first;
    for (i++; i < items.length; i++) values[i] = await fn(items[i]);
  } catch (e) {
    return new Partial(values.slice(0, i), e);
  }
  return values;
}

/** @param {unknown} v */
function describeValue(v) {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'Object'})`;
  return `${typeof v} ${String(v).slice(0, 40)}`;
}

/**
 * A platform error's message without its closing period, to quote inside a sentence
 * (V8 ends its clone errors with one: "() => {} could not be cloned.").
 * @param {unknown} e
 */
function withoutPeriod(e) {
  return String(/** @type {Error} */ (e)?.message ?? e).replace(/\.$/, '');
}

function abortReason() {
  return new DOMException('The job was cancelled', 'AbortError');
}

export class WorkerRuntime {
  /** @type {Port} */ #port;
  /** @type {boolean} */ #canTransfer;
  /** @type {(JobFn | Promise<void> | LoadFailure | undefined)[]} */ #fns = [];
  /** @type {number[]} */ #speed = [];
  /** @type {unknown[][]} */ #batches = [];
  #pos = 2;
  /** @type {Set<number> | undefined} */ #cancelled;
  #lastSeen = -1;
  /** @type {unknown[]} */ #out = [MSG_RESULTS, 0];
  /** @type {TransferListItem[] | undefined} */ #outTransfer;
  /** @type {Map<number, TransferListItem[]> | undefined} */ #outTransferAt;
  #busy = 0;
  #running = false;
  #seq = -1;
  /**
   * The running job is reported as soon as it ends, before the next one starts (`#done`):
   * set for an announced job, whose STARTED marker then means "running" until its result
   * arrives (how the pool knows whom to blame when the worker dies silently), and for an
   * async one.
   */
  #reportOnEnd = false;
  /** @type {AbortController | undefined} */ #ac;
  #aborted = false;
  #yieldAt = 0;
  #dead = false;

  /** @type {Int32Array | undefined} */ #current;

  /**
   * @param {Port} port
   * @param {boolean} canTransfer
   * @param {Int32Array} [running] shared with the pool (threads): the seq of the job running,
   *   or -1, so the pool knows it even when the worker dies without a word (out of memory).
   */
  constructor(port, canTransfer, running) {
    this.#port = port;
    this.#canTransfer = canTransfer;
    this.#current = running;
  }

  /**
   * Handles BATCH and CANCEL messages.
   * @param {unknown[]} msg
   */
  onMessage(msg) {
    if (msg[0] === MSG_BATCH) {
      const defs = /** @type {unknown[] | 0} */ (msg[1]);
      if (defs !== 0) this.#define(defs);
      this.#batches.push(msg);
      if (!this.#running) {
        this.#running = true;
        this.#drain();
      }
    } else if (msg[0] === MSG_CANCEL) {
      this.#cancel(/** @type {number} */ (msg[1]), /** @type {number} */ (msg[2]));
    }
  }

  /**
   * The AbortSignal of the running job (for `jobSignal()`).
   * @returns {AbortSignal}
   */
  signal() {
    if (this.#seq < 0) {
      throw new TypeError(
        'jobSignal() must be called while a job runs on an @aiots/executors worker (not at module top level or after the job returned)',
      );
    }
    if (this.#ac === undefined) {
      this.#ac = new AbortController();
      if (this.#aborted) this.#ac.abort(abortReason());
    }
    return this.#ac.signal;
  }

  /**
   * The worker is about to die: send what is pending and which job was running.
   * @param {Encoded} error
   */
  fatal(error) {
    if (this.#dead) return;
    this.#dead = true;
    try {
      this.#flush();
      this.#port.post([MSG_FATAL, this.#seq, error]);
    } catch {
      // The port is gone; the pool still sees the exit.
    }
  }

  /** A requested exit: not a crash. */
  exiting() {
    this.#dead = true;
  }

  /**
   * Fills slots of the function table. A slot may be given a new function: the pool reuses
   * only slots that no job it has sent and not seen reported uses, so no queued job needs
   * the function replaced.
   * @param {unknown[]} defs
   */
  #define(defs) {
    for (let i = 0; i < defs.length; i += 4) {
      const id = /** @type {number} */ (defs[i]);
      const payload = /** @type {string} */ (defs[i + 2]);
      const name = /** @type {string} */ (defs[i + 3]);
      this.#speed[id] = 0;
      if (defs[i + 1] === DEF_SOURCE) {
        try {
          // Indirect eval: the function sees only the worker's globals, like a module job;
          // evaluating the source it was sent is what a function job is.
          // biome-ignore lint/security/noGlobalEval: see above.
          // biome-ignore lint/complexity/noCommaOperator: (0, eval) makes the eval indirect.
          const fn = (0, eval)(`(${payload}\n)`);
          this.#fns[id] =
            typeof fn === 'function'
              ? fn
              : new LoadFailure(
                  runtimeError(
                    'TypeError',
                    `The job source did not evaluate to a function (${name})`,
                  ),
                );
        } catch (e) {
          this.#fns[id] = new LoadFailure(encodeError(e));
        }
      } else {
        /** @type {Promise<void>} */
        const loading = import(payload).then(
          (/** @type {Record<string, unknown>} */ ns) => {
            // The slot may hold another function by now.
            if (this.#fns[id] !== loading) return;
            const fn = ns[name];
            if (typeof fn === 'function') {
              this.#fns[id] = /** @type {JobFn} */ (fn);
              return;
            }
            const names = Object.keys(ns).filter((k) => typeof ns[k] === 'function');
            this.#fns[id] = new LoadFailure(
              runtimeError(
                'JobExportError',
                `Expected ${payload} to export a function named "${name}", got ${describeValue(fn)}; its function exports are: ${names.length ? names.join(', ') : '(none)'}`,
                { module: payload, exportName: name },
              ),
            );
          },
          (/** @type {unknown} */ e) => {
            if (this.#fns[id] !== loading) return;
            this.#fns[id] = new LoadFailure(
              runtimeError(
                'JobModuleError',
                `Could not load the job module ${payload}: ${/** @type {Error} */ (e)?.message ?? String(e)}`,
                { module: payload },
                e,
              ),
            );
          },
        );
        this.#fns[id] = loading;
      }
    }
  }

  /**
   * @param {number} seq
   * @param {number} mode 1: skip if queued, abort if running; 0: skip if queued only
   */
  #cancel(seq, mode) {
    if (seq === this.#seq) {
      if (mode === 1 && !this.#aborted) {
        this.#aborted = true;
        this.#ac?.abort(abortReason());
      }
      return;
    }
    if (seq > this.#lastSeen) {
      if (this.#cancelled === undefined) this.#cancelled = new Set();
      this.#cancelled.add(seq);
    }
  }

  #drain = () => {
    let now = performance.now();
    this.#yieldAt = now + YIELD_MS;
    for (;;) {
      const b = this.#batches[0];
      if (b === undefined) break;
      const pos = this.#pos;
      if (pos >= b.length) {
        this.#batches.shift();
        this.#pos = 2;
        continue;
      }
      if (now >= this.#yieldAt) {
        this.#flush();
        setImmediate(this.#drain);
        return;
      }
      const seq = /** @type {number} */ (b[pos]);
      const fnId = /** @type {number} */ (b[pos + 1]);
      const flags = /** @type {number} */ (b[pos + 2]);
      const argc = /** @type {number} */ (b[pos + 3]);
      const fn = this.#fns[fnId];
      if (fn instanceof Promise) {
        // The module is still loading; come back to this same job when it is.
        this.#flush();
        fn.then(this.#drain, this.#drain);
        return;
      }
      const at = pos + 4;
      this.#pos = at + argc;
      this.#lastSeen = seq;
      if (this.#cancelled?.delete(seq)) {
        this.#push(seq, ST_SKIPPED, undefined);
        continue;
      }
      if (fn === undefined || fn instanceof LoadFailure) {
        this.#push(
          seq,
          ST_ERR,
          fn?.error ?? runtimeError('Error', `internal: unknown job function ${fnId}`),
        );
        continue;
      }
      const announced = this.#speed[fnId] !== FAST || (flags & FLAG_SUSPECT) !== 0;
      if (announced) {
        this.#push(seq, ST_STARTED, undefined);
        this.#flush();
      }
      this.#reportOnEnd = announced;
      this.#seq = seq;
      if (this.#current !== undefined) Atomics.store(this.#current, 0, seq);
      this.#ac = undefined;
      this.#aborted = false;
      const t0 = now;
      let r;
      try {
        r =
          flags & FLAG_CHUNK
            ? runChunk(fn, /** @type {unknown[]} */ (b[at]))
            : call(fn, b, at, argc);
      } catch (e) {
        now = performance.now();
        this.#speed[fnId] = now - t0 < FAST_MS ? FAST : SLOW;
        this.#done(seq, ST_ERR, encodeError(e), now - t0);
        continue;
      }
      if (isThenable(r)) {
        this.#speed[fnId] = SLOW;
        this.#reportOnEnd = true;
        this.#flush();
        r.then(
          (v) => this.#asyncDone(seq, ST_OK, v, t0),
          (e) => this.#asyncDone(seq, ST_ERR, encodeError(e), t0),
        );
        return;
      }
      now = performance.now();
      this.#speed[fnId] = now - t0 < FAST_MS ? FAST : SLOW;
      this.#done(seq, ST_OK, r, now - t0);
    }
    this.#flush();
    this.#running = false;
  };

  /**
   * @param {number} seq
   * @param {number} status
   * @param {unknown} value
   * @param {number} t0
   */
  #asyncDone(seq, status, value, t0) {
    this.#done(seq, status, value, performance.now() - t0);
    this.#drain();
  }

  /**
   * @param {number} seq
   * @param {number} status
   * @param {unknown} value
   * @param {number} took
   */
  #done(seq, status, value, took) {
    this.#seq = -1;
    if (this.#current !== undefined) Atomics.store(this.#current, 0, -1);
    this.#ac = undefined;
    this.#busy += took;
    if (status === ST_OK && value instanceof Partial) {
      this.#push(seq, ST_PARTIAL, [value.values, encodeError(value.error)]);
    } else {
      if (status === ST_OK && isTransferred(value)) {
        if (this.#canTransfer && value.transferList.length > 0) {
          const list = [...value.transferList];
          if (this.#outTransferAt === undefined) this.#outTransferAt = new Map();
          this.#outTransferAt.set(this.#out.length, list);
          if (this.#outTransfer === undefined) this.#outTransfer = [];
          for (const t of list) this.#outTransfer.push(t);
        }
        value = value.value;
      }
      this.#push(seq, status, value);
    }
    if (this.#reportOnEnd) {
      this.#reportOnEnd = false;
      this.#flush();
    }
  }

  /**
   * @param {number} seq
   * @param {number} status
   * @param {unknown} value
   */
  #push(seq, status, value) {
    const out = this.#out;
    out.push(seq, status, value);
    if (out.length >= FLUSH_AT * 3) this.#flush();
  }

  #flush() {
    const out = this.#out;
    if (out.length === 2) return;
    out[1] = this.#busy;
    this.#busy = 0;
    this.#out = [MSG_RESULTS, 0];
    const transfer = this.#outTransfer;
    const transferAt = this.#outTransferAt;
    this.#outTransfer = undefined;
    this.#outTransferAt = undefined;
    try {
      this.#port.post(out, transfer);
    } catch {
      this.#postOneByOne(out, transferAt);
    }
  }

  /**
   * A batch failed to clone: send entry by entry, turning the ones that cannot cross into errors.
   * @param {unknown[]} out
   * @param {Map<number, TransferListItem[]> | undefined} transferAt
   */
  #postOneByOne(out, transferAt) {
    for (let i = 2; i < out.length; i += 3) {
      const entry = [MSG_RESULTS, i === 2 ? out[1] : 0, out[i], out[i + 1], out[i + 2]];
      try {
        this.#port.post(entry, transferAt?.get(i));
      } catch (e) {
        this.#port.post([
          MSG_RESULTS,
          0,
          out[i],
          ST_ERR,
          runtimeError(
            'DataCloneError',
            `The result of this job cannot be sent back (${withoutPeriod(e)}). Results cross by structured clone: return data, not functions, class instances with native state or promises.`,
            { argument: 'result' },
            e,
          ),
        ]);
      }
    }
  }
}
