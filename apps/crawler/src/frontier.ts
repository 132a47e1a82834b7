/**
 * The crawl's to-do list and its memory of what it has seen, behind small interfaces.
 *
 * In one process, `Frontier` and `SeenSet` are kept apart on purpose: the seen-set is keyed
 * on a URL without its fragment, while a frontier entry carries what the crawl needs to fetch
 * a page (its depth and the URL as it was found), so the same page found twice is one key but
 * could be two entries.
 *
 * Across processes they cannot be two stores: a process killed between adding a link to a
 * shared seen-set and queueing it would leave the page seen and never fetched. A
 * `SharedFrontier` (the shape of `RedisFrontier` from `@aiots/redis`) does both in one atomic
 * step, keyed on the URL without its fragment, and carries the depth with it.
 */
import { InvalidStateError } from '@aiots/loop';
import { Deque, ParkingLot, signalOf, type WaitOptions } from '@aiots/loop/lowlevel';

/**
 * The to-do list of a crawl in one process, used with a `SeenSet` that de-duplicates pages.
 * For a crawl spread over several processes, see `SharedFrontier`.
 */
export interface Frontier {
  /** Adds `entry` unless it was claimed before; resolves `true` when this call added it. */
  claim(entry: string): Promise<boolean>;
  /** The next entry to work on, waiting for one; `undefined` once the crawl has ended. */
  next(): Promise<string | undefined>;
  /** Marks an entry from `next()` as worked on (claim what it found first). */
  done(entry: string): Promise<void>;
  /** True once nothing is waiting and nothing is being worked on. */
  finished(): Promise<boolean>;
}

/**
 * The frontier of a crawl shared by several processes: `RedisFrontier` from `@aiots/redis`
 * has this shape. It de-duplicates by itself, atomically with queueing (so a process killed
 * at any moment leaves no page marked seen and never queued), carries each page's depth to
 * whichever process gets it, and `next()` returns `undefined` once every process is idle.
 */
export interface SharedFrontier {
  /** Adds `url` with its `depth` unless any process claimed it before; `true` when this call did. */
  claim(url: string, opts?: { depth?: number }): Promise<boolean>;
  /** The next URL for this process, waiting for one; `undefined` once the whole crawl has ended. */
  next(): Promise<string | undefined>;
  /** The depth a URL this process got from `next()` was claimed with. */
  depthOf(url: string): number | undefined;
  /** Marks a URL from `next()` as fetched (its links claimed first). */
  done(url: string): Promise<void>;
}

/**
 * The URLs a crawl in one process has seen (keyed without their fragment), used with a
 * `Frontier`.
 */
export interface SeenSet {
  /** Adds `member`; resolves `true` when it was not there before. */
  add(member: string): Promise<boolean>;
  /** True when `member` was added before. */
  has(member: string): Promise<boolean>;
  /** How many members there are. */
  size(): Promise<number>;
}

/**
 * The seen-set of a crawl in this process: a `Set` of strings (about 100 bytes per URL of
 * 60 characters).
 *
 * @example
 * ```ts
 * import { MemorySeenSet } from '@aiots/crawler';
 * const seen = new MemorySeenSet();
 * console.log(await seen.add('http://example.com/'), await seen.add('http://example.com/')); // true false
 * console.log(await seen.size()); // 1
 * ```
 */
export class MemorySeenSet implements SeenSet {
  readonly #members = new Set<string>();

  /**
   * Adds `member`.
   *
   * @param member A string (a URL key).
   * @returns `true` when it was new.
   */
  async add(member: string): Promise<boolean> {
    const before = this.#members.size;
    this.#members.add(member);
    return this.#members.size !== before;
  }

  /**
   * @param member A string.
   * @returns `true` when it was added before.
   */
  async has(member: string): Promise<boolean> {
    return this.#members.has(member);
  }

  /** @returns The number of members. */
  async size(): Promise<number> {
    return this.#members.size;
  }
}

/**
 * The frontier of a crawl in this process: a FIFO of entries (breadth first) and a count of
 * the entries handed out and not yet `done()`. `next()` waits (a cancellation point) while
 * the queue is empty but some entry is still being worked on, since its page may add more;
 * once both are empty every waiter gets `undefined`.
 *
 * An entry handed to a task that is cancelled before it resumes goes back to the front of
 * the queue; nothing is lost.
 *
 * @example
 * ```ts
 * import { MemoryFrontier } from '@aiots/crawler';
 * const frontier = new MemoryFrontier();
 * await frontier.claim('a');
 * const entry = await frontier.next(); // 'a', now held
 * await frontier.claim('b'); // found while working on 'a'
 * await frontier.done('a');
 * console.log(entry, await frontier.next(), await frontier.finished()); // a b false
 * await frontier.done('b');
 * console.log(await frontier.next(), await frontier.finished()); // undefined true
 * ```
 */
export class MemoryFrontier implements Frontier {
  readonly #queue = new Deque<string>();
  readonly #lot = new ParkingLot<string | undefined>({
    label: 'MemoryFrontier.next',
    onReturned: (entry) => {
      if (entry === undefined) return;
      this.#held--;
      this.#queue.unshift(entry);
      this.#dispatch();
    },
  });
  #held = 0;
  #claimed = 0;

  /** Entries waiting in the queue. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Entries handed out by `next()` and not yet `done()`. */
  get held(): number {
    return this.#held;
  }

  /**
   * Queues `entry` (this frontier does not de-duplicate: a `SeenSet` does).
   *
   * @param entry Any string.
   * @returns `true`.
   * @throws {TypeError} when `entry` is not a string.
   */
  async claim(entry: string): Promise<boolean> {
    if (typeof entry !== 'string') {
      throw new TypeError(`Expected \`entry\` to be a string, got ${typeof entry}`);
    }
    this.#claimed++;
    this.#queue.push(entry);
    this.#dispatch();
    return true;
  }

  /**
   * The next entry, first in first out; waits while the queue is empty and entries are
   * held.
   *
   * @param opts `{ signal }`: an abort rejects the wait with `signal.reason`.
   * @returns The entry, or `undefined` once the crawl has ended.
   * @throws {CancelledError} when the task is cancelled while waiting.
   */
  next(opts?: WaitOptions): Promise<string | undefined> {
    // Not `async`: the caller must await the parking lot's own future, so that a cancel
    // after the hand-off is delivered there and the entry comes back (onReturned).
    let signal: AbortSignal | undefined;
    try {
      signal = signalOf(opts, 'MemoryFrontier.next()');
    } catch (e) {
      return Promise.reject(e);
    }
    const entry = this.#queue.shift();
    if (entry !== undefined) {
      this.#held++;
      return Promise.resolve(entry);
    }
    if (this.#held === 0) return Promise.resolve(undefined);
    return this.#lot.park(signal === undefined ? undefined : { signal });
  }

  /**
   * Marks an entry from `next()` as worked on.
   *
   * @param _entry The entry (this frontier only counts).
   * @throws {InvalidStateError} when no entry is held.
   */
  async done(_entry: string): Promise<void> {
    if (this.#held === 0) {
      throw new InvalidStateError('MemoryFrontier.done() called with no entry handed out');
    }
    this.#held--;
    this.#dispatch();
  }

  /** @returns `true` when the queue is empty and no entry is held. */
  async finished(): Promise<boolean> {
    return this.#queue.size === 0 && this.#held === 0;
  }

  /** Entries claimed so far. */
  get claimed(): number {
    return this.#claimed;
  }

  #dispatch(): void {
    while (this.#lot.size > 0) {
      const entry = this.#queue.peek();
      if (entry === undefined) {
        if (this.#held === 0) this.#lot.unparkAll(undefined);
        return;
      }
      this.#queue.shift();
      this.#held++;
      this.#lot.unpark(entry);
    }
  }
}
