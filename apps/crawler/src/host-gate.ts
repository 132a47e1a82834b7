/**
 * Politeness per host: at most `perHost` requests to one host at a time, and at least
 * `delayMs` between the starts of two requests to it. A host's state lives only while it has
 * requests running or waiting, so a crawl over many hosts keeps none for idle ones.
 */
import { getLoop, sleep } from '@aiots/loop';
import { Semaphore } from '@aiots/sync';

interface Host {
  readonly slots: Semaphore;
  users: number;
  nextStart: number;
}

/** Per-host limits of a crawl. */
export class HostGate {
  readonly #perHost: number;
  readonly #delayMs: number;
  readonly #hosts = new Map<string, Host>();
  #calls = 0;

  constructor(perHost: number, delayMs: number) {
    this.#perHost = perHost;
    this.#delayMs = delayMs;
  }

  /**
   * Runs `fn` once `host` has a free slot and its delay has passed; a cancellation point
   * while waiting.
   */
  async run<T>(host: string, fn: () => Promise<T>): Promise<T> {
    if (++this.#calls % 4096 === 0) this.#sweep();
    let h = this.#hosts.get(host);
    if (h === undefined) {
      h = { slots: new Semaphore(this.#perHost), users: 0, nextStart: 0 };
      this.#hosts.set(host, h);
    }
    h.users++;
    try {
      await h.slots.acquire();
      try {
        if (this.#delayMs > 0) {
          const now = getLoop().time();
          const start = Math.max(now, h.nextStart);
          h.nextStart = start + this.#delayMs;
          if (start > now) await sleep(start - now);
        }
        return await fn();
      } finally {
        h.slots.release();
      }
    } finally {
      if (--h.users === 0 && (this.#delayMs === 0 || h.nextStart <= getLoop().time())) {
        this.#hosts.delete(host);
      }
    }
  }

  /** Drops idle hosts whose delay has passed (those kept only to remember it). */
  #sweep(): void {
    const now = getLoop().time();
    for (const [host, h] of this.#hosts) {
      if (h.users === 0 && h.nextStart <= now) this.#hosts.delete(host);
    }
  }
}
