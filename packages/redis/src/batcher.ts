/**
 * Batcher: calls made in the same turn of the event loop go to Redis as one command (one
 * script run with many arguments) instead of one each. Ten consumers finishing their items
 * together acknowledge them in one `EVALSHA`; ten producers putting together add theirs in
 * one. The client already pipelines commands of one turn into one write; this also saves the
 * per-command work on both sides (encoding, parsing, a script call each), which is most of
 * the cost of small items.
 *
 * A call whose signal aborts before its batch is sent leaves the batch at once and rejects
 * with the signal's reason: it was not sent. Once sent, it completes.
 */

interface Pending<I, R> {
  readonly item: I;
  readonly resolve: (r: R) => void;
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/** Package-internal: see the file comment. */
export class Batcher<I, R> {
  readonly #send: (items: I[]) => Promise<R[]>;
  readonly #max: number;
  #pending: Pending<I, R>[] = [];
  #scheduled = false;

  /**
   * @param send Sends a batch; resolves with one result per item, in order.
   * @param max The most items in one batch.
   */
  constructor(send: (items: I[]) => Promise<R[]>, max = 500) {
    this.#send = send;
    this.#max = max;
  }

  /** Queues `item` for the next batch; resolves with its result. */
  add(item: I, signal?: AbortSignal): Promise<R> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<R>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      if (signal !== undefined) {
        onAbort = () => {
          const i = this.#pending.indexOf(entry);
          if (i >= 0) {
            this.#pending.splice(i, 1);
            reject(signal.reason);
          }
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      const entry: Pending<I, R> = { item, resolve, reject, signal, onAbort };
      this.#pending.push(entry);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#flush);
      }
    });
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const all = this.#pending;
    this.#pending = [];
    for (let start = 0; start < all.length; start += this.#max) {
      const batch = all.slice(start, start + this.#max);
      for (const p of batch) {
        if (p.onAbort !== undefined) p.signal?.removeEventListener('abort', p.onAbort);
      }
      this.#send(batch.map((p) => p.item)).then(
        (results) => {
          for (let i = 0; i < batch.length; i++)
            (batch[i] as Pending<I, R>).resolve(results[i] as R);
        },
        (e: unknown) => {
          for (const p of batch) p.reject(e);
        },
      );
    }
  };
}
