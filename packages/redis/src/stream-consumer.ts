/**
 * StreamConsumer: one consumer of a consumer group, the engine under `RedisQueue` and
 * `RedisFrontier`. It is one unit because its parts share one invariant: every entry this
 * consumer holds in Redis (pending under its name) is in exactly one of three places here,
 * and the heartbeat renews the lease of all of them:
 *
 *   read by the reader ──► inbox (buffered, or on its way to a parked getter)
 *                          │ handed to a getter's code
 *                          ▼
 *                          held (FIFO, with the task that got it) ──► settled (ack or lost)
 *
 * - The reader is a plain async loop (not a task: it serves every getter of the instance
 *   and must outlive any one of them). It runs while getters wait: it first reclaims entries
 *   that dead consumers left idle past the visibility timeout (`RECLAIM`, which also moves
 *   an entry delivered `maxDeliveries` times to the dead letters), then reads new ones with
 *   `XREADGROUP ... BLOCK` on a connection of its own, with `BLOCK` at most `blockMs` (2 s by
 *   default) so it comes back to reclaim, to notice a shutdown, and to stop when nobody
 *   waits. A getter never waits on Redis itself: it parks in the inbox, so cancelling it is
 *   immediate, and whatever the reader gets after that is buffered for the next getter.
 * - A connection error makes the reader back off and re-issue its reads (the client
 *   reconnects by itself); `NOGROUP` (a server restarted without persistence) re-creates the
 *   group. Any other error reply wakes the waiting getters with it.
 * - The heartbeat (a timer, every third of the visibility timeout, while the process's
 *   event loop runs) renews the lease of buffered and held entries with `XCLAIM ... JUSTID`,
 *   but only of those this consumer still holds: an entry another consumer reclaimed while
 *   this one was stalled is marked lost, and its late `taskDone()` throws `LeaseLostError`.
 * - On shutdown or close, buffered entries are released: they stay pending with their
 *   delivery count set back and an idle time that lets any other consumer reclaim them at
 *   once.
 */
import { currentTask, type Task } from '@aiots/loop';
import { Deque } from '@aiots/loop/lowlevel';
import type { ClientAdapter } from './adapter.ts';
import { Batcher } from './batcher.ts';
import type { Resource } from './connection.ts';
import {
  GroupMismatchError,
  LeaseLostError,
  RedisCommandError,
  RedisUnavailableError,
} from './errors.ts';
import { Inbox, Signal } from './inbox.ts';
import type { QueueKeys } from './names.ts';
import { ACK, DEAD_LETTER, ENSURE, HEARTBEAT, PRUNE, RECLAIM, RELEASE, STATE } from './scripts.ts';

/** Package-internal: an entry of the work stream, as this consumer got it. */
export interface Entry {
  readonly id: string;
  /** The value of the entry's field (`d` for a queue, `u` for a frontier). */
  readonly data: string;
  /** How many times it has been delivered, this delivery included. */
  readonly deliveries: number;
  /** All the entry's fields, as Redis returns them (name, value, name, value...). */
  readonly fields: readonly string[];
}

/** Package-internal: an entry handed to a caller and not settled yet. */
export interface Held {
  readonly entry: Entry;
  /** The task whose `get()` returned it, if any. */
  readonly task: Task<unknown> | undefined;
  /** Another consumer holds it now (found by a heartbeat). */
  lost: boolean;
}

/** Package-internal: how a consumer is set up. */
export interface ConsumerConfig {
  readonly adapter: ClientAdapter;
  /** The queue name or crawl id, for messages. */
  readonly name: string;
  readonly keys: QueueKeys & { readonly busy?: string };
  readonly group: string;
  readonly consumer: string;
  /** The entry field that holds the data. */
  readonly field: string;
  readonly visibilityTimeoutMs: number;
  readonly maxDeliveries: number;
  readonly blockMs: number;
  /**
   * Called when a read found nothing and getters wait (the frontier's end check). `true`
   * wakes every getter with the `end` signal.
   */
  readonly onIdle?: (() => Promise<boolean>) | undefined;
}

/** How long a released entry counts as idle: any reclaim takes it at once. */
const RELEASED_IDLE_MS = String(10 * 365 * 24 * 3_600_000);
/** How often the reader prunes consumers that died holding nothing. */
const PRUNE_EVERY_MS = 30_000;
/** How long close() waits for a blocked read to come back before dropping its connection. */
const UNBLOCK_GRACE_MS = 250;
/** How long close() gives each clean-up command before going on without it. */
const BEST_EFFORT_MS = 1_000;

/** Package-internal: the engine of a queue or frontier instance (see the file comment). */
export class StreamConsumer implements Resource {
  readonly config: ConsumerConfig;
  readonly inbox: Inbox<Entry>;
  readonly #held = new Deque<Held>();
  #ensured: Promise<void> | undefined;
  #blocking: ClientAdapter | undefined;
  #blockingId: string | undefined;
  #reader: Promise<void> | undefined;
  #lastReclaim = Number.NEGATIVE_INFINITY;
  #reclaimFrom = '-';
  #lastPrune = Date.now();
  #heartbeat: NodeJS.Timeout | undefined;
  #heartbeating = false;
  /** Frontier: this worker counts as busy (its lease is renewed). */
  busy = false;
  /** No more reads: shut down or closed. */
  #stopped = false;
  /** Aborted at shutdown: drops the reader's commands that are not sent yet. */
  readonly #stop = new AbortController();
  #closing: Promise<void> | undefined;

  constructor(config: ConsumerConfig) {
    this.config = config;
    this.inbox = new Inbox<Entry>(`${config.name}.get`);
  }

  /** True once shut down or closed: no more reads. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Entries handed to callers and not settled. */
  get heldCount(): number {
    return this.#held.size;
  }

  /**
   * Creates the group if needed (once; again after `NOGROUP`). Shared by every caller, so it
   * runs under the consumer's own stop signal, not a caller's.
   */
  ensure(): Promise<void> {
    if (this.#ensured === undefined) {
      const { adapter, keys, group, name } = this.config;
      const stop = this.#stop.signal;
      const p = adapter.run(ENSURE, [keys.stream, keys.meta], [group], stop).then((r) => {
        if (typeof r === 'string' && r !== '') throw new GroupMismatchError(name, r, group);
      });
      this.#ensured = p;
      p.catch(() => {
        if (this.#ensured === p) this.#ensured = undefined;
      });
    }
    return this.#ensured;
  }

  /**
   * The next entry for the calling task: a buffered one at once, else it parks until the
   * reader hands one over (a cancellation point). A signal instead of an entry means
   * shutdown, the end of a crawl, or a reader failure.
   */
  async next(signal?: AbortSignal): Promise<Entry | Signal> {
    const buffered = this.inbox.take();
    if (buffered !== undefined) {
      this.#hold(buffered);
      return buffered;
    }
    if (this.#stopped) return new Signal('shutdown');
    const waiting = this.inbox.wait(signal);
    this.#startReader();
    const got = await waiting;
    if (!(got instanceof Signal)) this.#hold(got);
    return got;
  }

  #hold(entry: Entry): void {
    this.#held.push({ entry, task: currentTask(), lost: false });
    this.#startHeartbeat();
  }

  /**
   * Takes the entry to settle out of `held`: the oldest the calling task got, else the
   * oldest this consumer got; with `id`, that entry. `undefined` when none matches.
   */
  unhold(id?: string): Held | undefined {
    const held = this.#held;
    let index = -1;
    if (id !== undefined) {
      for (let i = 0; i < held.size; i++) {
        if ((held.at(i) as Held).entry.id === id) {
          index = i;
          break;
        }
      }
    } else {
      const task = currentTask();
      if (task !== undefined) {
        for (let i = 0; i < held.size; i++) {
          if ((held.at(i) as Held).task === task) {
            index = i;
            break;
          }
        }
      }
      if (index === -1 && held.size > 0) index = 0;
    }
    if (index === -1) return undefined;
    const found = held.at(index) as Held;
    if (index === 0) held.shift();
    else held.retain((h) => h !== found);
    return found;
  }

  /** Puts back an entry whose settling failed (not acknowledged): it is held again. */
  rehold(held: Held): void {
    this.#held.unshift(held);
    this.#startHeartbeat();
  }

  /** The held entry whose data is `data` (the frontier's `done(url)`), if any. */
  findHeld(data: string): Entry | undefined {
    for (let i = 0; i < this.#held.size; i++) {
      const h = this.#held.at(i) as Held;
      if (h.entry.data === data) return h.entry;
    }
    return undefined;
  }

  /**
   * Acknowledges and deletes a held entry, unless its lease was lost.
   *
   * @returns The length of the stream after (0: nothing left anywhere).
   * @throws {LeaseLostError} when another consumer holds it now.
   */
  async ack(held: Held, signal?: AbortSignal): Promise<number> {
    const { id } = held.entry;
    if (held.lost) throw new LeaseLostError(id);
    const [done, left] = await this.#acks.add(id, signal);
    if (!done) throw new LeaseLostError(id);
    return left;
  }

  /** Acknowledgements of one turn, sent as one script run. */
  readonly #acks = new Batcher<string, [boolean, number]>(async (ids) => {
    const { adapter, keys, group, consumer } = this.config;
    const r = (await adapter.run(ACK, [keys.stream], [group, consumer, ...ids])) as number[];
    const left = r[0] as number;
    return ids.map((_, i) => [r[i + 1] === 1, left]);
  });

  /** Moves a held entry that cannot be decoded to the dead letters. */
  async deadLetter(held: Held, reason: string): Promise<void> {
    const { adapter, keys, group, consumer } = this.config;
    await adapter.run(
      DEAD_LETTER,
      [keys.stream, keys.dead],
      [group, consumer, held.entry.id, reason],
    );
  }

  /** `{ lag, pending }` of the group. */
  async state(signal?: AbortSignal): Promise<{ lag: number; pending: number }> {
    const { adapter, keys, group } = this.config;
    const r = (await adapter.run(STATE, [keys.stream], [group], signal)) as number[];
    return { lag: r[0] as number, pending: r[1] as number };
  }

  // ---- the reader -----------------------------------------------------------------------

  #startReader(): void {
    if (this.#reader !== undefined || this.#stopped) return;
    this.#reader = this.#readLoop().finally(() => {
      this.#reader = undefined;
      // A getter that parked after the loop's last check, or entries returned by a
      // cancelled getter: start again.
      if (!this.#stopped && this.inbox.waiting > 0) this.#startReader();
    });
  }

  async #readLoop(): Promise<void> {
    let failures = 0;
    while (!this.#stopped && this.inbox.waiting > 0) {
      try {
        await this.ensure();
        if (await this.#reclaimIfDue()) {
          failures = 0;
          continue;
        }
        const onIdle = this.config.onIdle;
        if (onIdle !== undefined) {
          // Nothing new without waiting? Then maybe the crawl is over.
          if (await this.#read(false)) continue;
          if (this.#stopped || this.inbox.waiting === 0) break;
          if (await onIdle()) {
            this.inbox.wakeAll(new Signal('end'));
            break;
          }
        }
        await this.#read(true);
        failures = 0;
      } catch (e) {
        if (this.#stopped) break;
        if (RedisCommandError.is(e) && e.message.includes('NOGROUP')) {
          this.#ensured = undefined;
          continue;
        }
        if (RedisUnavailableError.is(e)) {
          // The client reconnects by itself; reads are re-issued once it is back.
          await delay(Math.min(20 * 2 ** failures++, 1_000));
          continue;
        }
        this.inbox.wakeAll(new Signal('error', e));
        break;
      }
    }
  }

  /** Reclaims idle entries of other consumers when a scan is due; true when it got any. */
  async #reclaimIfDue(): Promise<boolean> {
    const { adapter, keys, group, consumer, visibilityTimeoutMs, maxDeliveries, field } =
      this.config;
    const now = Date.now();
    if (now - this.#lastReclaim < this.#reclaimEveryMs()) return false;
    const count = 100;
    const r = (await adapter.run(
      RECLAIM,
      [keys.stream, keys.dead],
      [
        group,
        consumer,
        String(visibilityTimeoutMs),
        String(maxDeliveries),
        String(count),
        this.#reclaimFrom,
      ],
      this.#stop.signal,
    )) as [string, number, [string, string[], number][], number];
    const [last, scanned, claimed] = r;
    // A full page: scan on from after it on the next turn; else start over next time.
    if (scanned >= count) this.#reclaimFrom = `(${last}`;
    else {
      this.#reclaimFrom = '-';
      this.#lastReclaim = now;
    }
    for (const [id, fields, deliveries] of claimed) {
      this.#deliver({ id, data: fieldOf(fields, field) ?? '', deliveries, fields });
    }
    if (now - this.#lastPrune >= PRUNE_EVERY_MS) {
      this.#lastPrune = now;
      await adapter.run(
        PRUNE,
        [keys.stream],
        [group, '', String(this.#pruneIdleMs())],
        this.#stop.signal,
      );
    }
    return claimed.length > 0;
  }

  #reclaimEveryMs(): number {
    return Math.min(this.config.visibilityTimeoutMs / 2, this.config.blockMs);
  }

  #pruneIdleMs(): number {
    return Math.max(60_000, 4 * this.config.visibilityTimeoutMs);
  }

  /** One XREADGROUP for new entries; true when it got any. */
  async #read(block: boolean): Promise<boolean> {
    const { keys, group, consumer, field } = this.config;
    const blocking = await this.#blockingClient();
    if (block && this.#blockingId === undefined) {
      this.#blockingId = String(await blocking.send(['CLIENT', 'ID'], this.#stop.signal));
    }
    const count = String(Math.min(Math.max(this.inbox.waiting, 1), 1_000));
    const args = ['XREADGROUP', 'GROUP', group, consumer, 'COUNT', count];
    if (block) {
      // Never BLOCK 0 (forever); come back in time for the next reclaim scan.
      const untilReclaim = this.#lastReclaim + this.#reclaimEveryMs() - Date.now();
      args.push('BLOCK', String(Math.max(10, Math.min(this.config.blockMs, untilReclaim))));
    }
    args.push('STREAMS', keys.stream, '>');
    const reply = (await blocking.send(args, this.#stop.signal)) as
      | [string, [string, string[] | null][]][]
      | null;
    if (reply === null) return false;
    let got = false;
    for (const [, entries] of reply) {
      for (const [id, fields] of entries) {
        if (fields === null) continue;
        this.#deliver({ id, data: fieldOf(fields, field) ?? '', deliveries: 1, fields });
        got = true;
      }
    }
    return got;
  }

  #deliver(entry: Entry): void {
    this.inbox.push(entry);
    this.#startHeartbeat();
  }

  async #blockingClient(): Promise<ClientAdapter> {
    let blocking = this.#blocking;
    if (blocking === undefined) {
      blocking = this.config.adapter.duplicate();
      this.#blocking = blocking;
      blocking.onReady(() => {
        this.#blockingId = undefined;
      });
      await blocking.connect(Number.POSITIVE_INFINITY);
    } else if (!blocking.ready) {
      // Reconnecting: commands wait in the client's offline queue.
    }
    return blocking;
  }

  // ---- the heartbeat ------------------------------------------------------------------

  /** Starts the heartbeat if it is not running (something to keep: entries, or `busy`). */
  keepAlive(): void {
    this.#startHeartbeat();
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined || this.#closing !== undefined) return;
    const every = Math.max(1, Math.floor(this.config.visibilityTimeoutMs / 3));
    this.#heartbeat = setTimeout(() => {
      this.#heartbeat = undefined;
      void this.#beat().finally(() => {
        if (this.#held.size > 0 || this.inbox.buffered > 0 || this.busy) this.#startHeartbeat();
      });
    }, every);
    this.#heartbeat.unref();
  }

  /** Renews every lease this consumer has; marks the entries it lost. */
  async #beat(): Promise<void> {
    if (this.#heartbeating) return;
    this.#heartbeating = true;
    try {
      const ids = [
        ...this.#held.toArray().map((h) => h.entry.id),
        ...this.inbox.entries().map((e) => e.id),
      ];
      const { adapter, keys, group, consumer, visibilityTimeoutMs } = this.config;
      const busyKey = keys.busy;
      if (ids.length === 0 && !(this.busy && busyKey !== undefined)) return;
      const lost = new Set<string>();
      // Chunks keep each script's argument list small.
      for (let i = 0; i === 0 || i < ids.length; i += 1_000) {
        const chunk = ids.slice(i, i + 1_000);
        const scriptKeys = busyKey === undefined ? [keys.stream] : [keys.stream, busyKey];
        const r = (await adapter.run(HEARTBEAT, scriptKeys, [
          group,
          consumer,
          String(visibilityTimeoutMs),
          this.busy && i === 0 ? '1' : '0',
          ...chunk,
        ])) as string[];
        for (const id of r) lost.add(id);
      }
      if (lost.size > 0) this.#markLost(lost);
    } catch {
      // Redis unreachable: the next beat tries again. Leases not renewed in time may be
      // reclaimed by others; the late taskDone() then reports it.
    } finally {
      this.#heartbeating = false;
    }
  }

  #markLost(lost: Set<string>): void {
    for (let i = 0; i < this.#held.size; i++) {
      const h = this.#held.at(i) as Held;
      if (lost.has(h.entry.id)) h.lost = true;
    }
    this.inbox.forget((e) => lost.has(e.id));
  }

  /** Renews leases now (tests; a frontier that just became busy). */
  beat(): Promise<void> {
    return this.#beat();
  }

  // ---- the end ------------------------------------------------------------------------

  /**
   * Stops reading and wakes every waiting getter with `shutdown`. With `release`, buffered
   * entries go back to the group for other consumers.
   */
  async shutdown(release: boolean): Promise<void> {
    this.#stopped = true;
    this.#stop.abort(new Error('the consumer was shut down'));
    this.inbox.wakeAll(new Signal('shutdown'));
    await this.#stopReader();
    if (release) await this.#release();
  }

  async #stopReader(): Promise<void> {
    const reader = this.#reader;
    if (reader === undefined) return;
    const id = this.#blockingId;
    // Not awaited: with Redis down it would wait for the reconnection.
    if (id !== undefined) this.config.adapter.send(['CLIENT', 'UNBLOCK', id]).catch(() => {});
    await within(reader, UNBLOCK_GRACE_MS);
    // Still blocked (the unblock came before the read reached the server): drop the
    // connection. Entries delivered to it meanwhile stay pending under this consumer and
    // are reclaimed by others after the visibility timeout; nothing is lost.
    // Commands not sent yet were dropped by the stop signal; one in flight on the main
    // connection while Redis is away ends when that connection closes: do not wait for it.
    if (this.#reader !== undefined) {
      this.#blocking?.destroy();
      await within(reader, BEST_EFFORT_MS);
    }
  }

  async #release(): Promise<void> {
    const entries = this.inbox.drain();
    if (entries.length === 0) return;
    const { adapter, keys, group, consumer } = this.config;
    const args = [group, consumer, RELEASED_IDLE_MS];
    for (const e of entries) args.push(e.id, String(e.deliveries - 1));
    await within(adapter.run(RELEASE, [keys.stream], args), BEST_EFFORT_MS);
  }

  /**
   * Shuts down, releases buffered entries, stops the heartbeat and closes the reader's
   * connection; removes the consumer from the group when it holds nothing. Entries still
   * held (got, never settled) stay pending: another consumer reclaims them after the
   * visibility timeout.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearTimeout(this.#heartbeat);
    this.#heartbeat = undefined;
    await this.shutdown(true);
    const { adapter, keys, group, consumer } = this.config;
    await within(
      adapter.run(PRUNE, [keys.stream], [group, consumer, String(this.#pruneIdleMs())]),
      BEST_EFFORT_MS,
    );
    await this.#blocking?.close();
  }
}

/**
 * Waits for `p` (its failure ignored) for at most `ms`: for the clean-up steps of a
 * shutdown, which must not hang while Redis is away (commands wait for the reconnection).
 */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([p.catch(() => {}), limit]);
  clearTimeout(timer);
}

/** Package-internal: the value of `field` in a stream entry's field list. */
export function fieldOf(fields: readonly unknown[], field: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === field) return String(fields[i + 1]);
  }
  return undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
