/**
 * The wire protocol between a pool and its workers, shared by threads and processes.
 *
 * Every message is one flat array (flat arrays of primitives are the cheapest thing to
 * structured-clone, and one message carries many jobs):
 *
 * ```
 * main → worker  [BATCH, defs, seq, fnId, flags, argc, ...args, seq, fnId, …]
 *                  defs: 0 or [fnId, kind, payload, name, …] for job functions this worker
 *                  has not seen yet (kind SOURCE: payload is function source; MODULE: a URL)
 *                [CANCEL, seq, mode]   mode 1: skip if queued, abort its signal if running
 *                                      mode 0: skip if queued, leave it alone if running
 *                [EXIT]                finish nothing more, exit now
 * worker → main  [READY]
 *                [RESULTS, busyMs, seq, status, value, seq, status, value, …]
 *                [FATAL, seq, error]   sent from the crash hooks just before the worker dies
 * ```
 *
 * A worker runs its jobs one at a time in `seq` order and reports every job it was given
 * exactly once (OK, ERR, PARTIAL or SKIPPED), so the pool keeps each worker's jobs in a FIFO
 * and matches reports to its head. STARTED is not a report: it marks the job the worker is
 * about to run and is always flushed with every result before it, so after a crash the first
 * unreported job is the one that was running.
 *
 * The files loaded by workers (this one, error-encode.js, worker-runtime.js and the two entry
 * scripts) are plain JavaScript checked through JSDoc: a worker started from sources would
 * otherwise load Node's TypeScript stripper, which doubles what starting a worker costs, and
 * pools start many (one per crash).
 */

export const MSG_BATCH = 1;
export const MSG_CANCEL = 2;
export const MSG_EXIT = 3;
export const MSG_READY = 10;
export const MSG_RESULTS = 11;
export const MSG_FATAL = 12;

export const ST_OK = 0;
export const ST_ERR = 1;
export const ST_SKIPPED = 2;
export const ST_STARTED = 3;
/** A `map` chunk that failed part-way: the value is `[valuesBefore, error]`. */
export const ST_PARTIAL = 4;

export const DEF_SOURCE = 0;
export const DEF_MODULE = 1;

/** The job's single argument is an array of items; the result is the array of results. */
export const FLAG_CHUNK = 1;
/**
 * The job was in flight on a worker that died without saying which job it ran: run it with a
 * STARTED marker (and pending results flushed) even if its function is known to be fast, so
 * if it kills this worker too, it is identified exactly.
 */
export const FLAG_SUSPECT = 2;

/** The key under which a worker's runtime publishes itself for `@aiots/executors/worker`. */
export const RUNTIME_KEY = Symbol.for('aiots.executors.runtime');

/** The brand of a `transfer()` marker (a `Symbol.for` key, so every copy agrees). */
export const TRANSFER_KEY = Symbol.for('aiots.executors.transfer');

/**
 * True when `v` is a `transfer()` marker.
 * @param {unknown} v
 * @returns {v is { value: unknown; transferList: readonly import('node:worker_threads').TransferListItem[] }}
 */
export function isTransferred(v) {
  return (
    typeof v === 'object' &&
    v !== null &&
    /** @type {Record<symbol, unknown>} */ (v)[TRANSFER_KEY] === true
  );
}
