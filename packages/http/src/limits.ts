/**
 * The connection caps aiohttp's connector has and undici lacks: `limit`, across every host,
 * and `limitPerHost`, per origin. A request holds one slot of each from before it is
 * dispatched until its attempt is over (body read, released or failed), so the connections
 * in use never pass either cap. A request over a cap waits FIFO on `@aiots/sync`'s
 * Semaphore, which is a cancellation point and hands a freed slot to the oldest waiter (no
 * barging). The per-host slot is taken first, then the global one: a request never holds a
 * global slot while it waits for its host, so a busy host cannot starve the others. Internal.
 */
import { Semaphore } from '@aiots/sync';

interface HostSlots {
  sem: Semaphore;
  /** Requests holding or waiting for a slot of this host. */
  users: number;
}

/** What a request holds while its attempt runs. */
export interface Slot {
  readonly origin: string;
  held: boolean;
}

export class Limits {
  readonly limit: number;
  readonly limitPerHost: number;
  readonly #global: Semaphore | undefined;
  readonly #hosts = new Map<string, HostSlots>();
  /** Requests waiting for a slot. */
  waiting = 0;
  /** Attempts holding a slot (dispatched or about to be). */
  inFlight = 0;

  constructor(limit: number, limitPerHost: number) {
    this.limit = limit;
    this.limitPerHost = limitPerHost;
    this.#global = Number.isFinite(limit) ? new Semaphore(limit) : undefined;
  }

  /**
   * Takes a slot for `origin` when one is free at once (no await; the Semaphore takes a free
   * permit synchronously), else returns undefined and the caller awaits `acquire`.
   */
  tryAcquire(origin: string): Slot | undefined {
    const g = this.#global;
    if (this.limitPerHost === 0) {
      if (g !== undefined) {
        if (g.locked()) return undefined;
        void g.acquire();
      }
      this.inFlight++;
      return { origin, held: true };
    }
    const h = this.#host(origin);
    if (h.sem.locked() || (g?.locked() ?? false)) {
      this.#unuse(origin, h);
      return undefined;
    }
    void h.sem.acquire();
    if (g !== undefined) void g.acquire();
    this.inFlight++;
    return { origin, held: true };
  }

  /** Waits FIFO for a slot for `origin`; a cancellation point. `signal` abandons the wait. */
  async acquire(origin: string, signal: AbortSignal | undefined): Promise<Slot> {
    const opts = signal === undefined ? undefined : { signal };
    this.waiting++;
    let h: HostSlots | undefined;
    let hostHeld = false;
    try {
      if (this.limitPerHost !== 0) {
        h = this.#host(origin);
        await h.sem.acquire(opts);
        hostHeld = true;
      }
      if (this.#global !== undefined) await this.#global.acquire(opts);
    } catch (e) {
      if (h !== undefined) {
        if (hostHeld) h.sem.release();
        this.#unuse(origin, h);
      }
      throw e;
    } finally {
      this.waiting--;
    }
    this.inFlight++;
    return { origin, held: true };
  }

  /** Gives a slot back (once). */
  release(slot: Slot): void {
    if (!slot.held) return;
    slot.held = false;
    this.inFlight--;
    if (this.limitPerHost !== 0) {
      const h = this.#hosts.get(slot.origin);
      if (h !== undefined) {
        h.sem.release();
        this.#unuse(slot.origin, h);
      }
    }
    this.#global?.release();
  }

  #host(origin: string): HostSlots {
    let h = this.#hosts.get(origin);
    if (h === undefined) {
      h = { sem: new Semaphore(this.limitPerHost), users: 0 };
      this.#hosts.set(origin, h);
    }
    h.users++;
    return h;
  }

  /** Forgets a host nobody holds or waits for, so a crawl of many hosts keeps no garbage. */
  #unuse(origin: string, h: HostSlots): void {
    if (--h.users === 0) this.#hosts.delete(origin);
  }
}
