/**
 * Inbox: where entries a consumer read from Redis wait for the tasks that asked for them.
 *
 * Entries are handed to parked getters through a `ParkingLot`, whose hand-off cannot lose a
 * value: when a getter is handed an entry and its task is cancelled before it resumes (the
 * race behind CPython's queue fixes, gh-90155), the entry comes back here (`onReturned`) and
 * goes to the next getter, or to the front of the buffer for the next `take()`, at once. An
 * entry never leaves the inbox except into the code of a task that asked for it, or by
 * `drain()` when the consumer releases what it holds.
 *
 * Signals (shutdown, the end of a crawl, a failure of the reader) wake every parked getter;
 * a signal handed to a getter cancelled before it resumed is simply dropped.
 */
import { Deque, ParkingLot } from '@aiots/loop/lowlevel';

/** Package-internal: what wakes every getter instead of an entry. */
export class Signal {
  readonly kind: 'shutdown' | 'end' | 'error';
  readonly error: unknown;
  constructor(kind: 'shutdown' | 'end' | 'error', error?: unknown) {
    this.kind = kind;
    this.error = error;
  }
}

/** Package-internal: a FIFO of entries and of the tasks waiting for them. */
export class Inbox<E> {
  readonly #buffer = new Deque<E>();
  readonly #lot: ParkingLot<E | Signal>;

  constructor(label: string) {
    this.#lot = new ParkingLot<E | Signal>({
      label,
      onReturned: (value) => {
        if (value instanceof Signal) return;
        // It was the oldest entry handed out: it stays ahead of the buffer.
        if (!this.#lot.unpark(value)) this.#buffer.unshift(value);
      },
    });
  }

  /** Getters parked and still waiting. */
  get waiting(): number {
    return this.#lot.size;
  }

  /** Entries buffered, not handed to anyone. */
  get buffered(): number {
    return this.#buffer.size;
  }

  /** The oldest buffered entry, or `undefined`. */
  take(): E | undefined {
    return this.#buffer.shift();
  }

  /** Parks the current task until an entry or a signal comes (a cancellation point). */
  wait(signal?: AbortSignal): Promise<E | Signal> {
    return signal === undefined ? this.#lot.park() : this.#lot.park({ signal });
  }

  /** Hands `entry` to the oldest waiting getter, or buffers it. */
  push(entry: E): void {
    if (!this.#lot.unpark(entry)) this.#buffer.push(entry);
  }

  /** Wakes every waiting getter with `signal`. */
  wakeAll(signal: Signal): number {
    return this.#lot.unparkAll(signal);
  }

  /** The buffered entries, for a heartbeat. */
  entries(): E[] {
    return this.#buffer.toArray();
  }

  /** Drops the buffered entries `lost` says another consumer owns now. */
  forget(lost: (entry: E) => boolean): void {
    this.#buffer.retain((e) => !lost(e));
  }

  /** Takes every buffered entry out (to release them). */
  drain(): E[] {
    const all = this.#buffer.toArray();
    this.#buffer.clear();
    return all;
  }
}
