/**
 * A growable ring buffer: O(1) push/shift at both ends, no `Array.prototype.shift` (which
 * copies the whole array once it is large) and no per-item allocation. Waiter lists and the
 * FIFO queue's items live in one.
 *
 * ```
 *   head                 tail = (head + size) & mask
 *    v                    v
 * [  a  b  c  d  .  .  .  .  ]   capacity = mask + 1, always a power of two
 * ```
 *
 * Slots that no longer hold an item are set to `undefined` so the buffer never keeps a
 * finished waiter or a consumed item alive.
 *
 * Exported on `@aiots/loop/lowlevel` for primitives built on the loop.
 *
 * @example
 * ```ts
 * import { Deque } from '@aiots/loop/lowlevel';
 * const d = new Deque<number>();
 * d.push(1);
 * d.push(2);
 * d.unshift(0);
 * console.log(d.shift(), d.pop(), d.size); // 0 2 1
 * ```
 */
export class Deque<T> {
  #buf: (T | undefined)[];
  #mask: number;
  #head = 0;
  #size = 0;

  constructor(capacity = 8) {
    let cap = 8;
    while (cap < capacity) cap *= 2;
    this.#buf = new Array<T | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
  }

  /** Number of items. */
  get size(): number {
    return this.#size;
  }

  /** Appends at the tail. */
  push(item: T): void {
    if (this.#size > this.#mask) this.#grow();
    this.#buf[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  /** Inserts at the head (the item becomes the next one `shift()` returns). */
  unshift(item: T): void {
    if (this.#size > this.#mask) this.#grow();
    this.#head = (this.#head - 1) & this.#mask;
    this.#buf[this.#head] = item;
    this.#size++;
  }

  /** Removes and returns the head item (`undefined` when empty). */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const head = this.#head;
    const item = this.#buf[head];
    this.#buf[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    this.#size--;
    if (this.#size === 0) this.#head = 0;
    else if (this.#mask >= 1023 && this.#size <= this.#mask >>> 2) this.#shrink();
    return item;
  }

  /** Removes and returns the tail item (`undefined` when empty). */
  pop(): T | undefined {
    if (this.#size === 0) return undefined;
    this.#size--;
    const i = (this.#head + this.#size) & this.#mask;
    const item = this.#buf[i];
    this.#buf[i] = undefined;
    return item;
  }

  /** The head item without removing it. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#buf[this.#head];
  }

  /** The item at `index` from the head (0 = head). */
  at(index: number): T | undefined {
    return index < 0 || index >= this.#size
      ? undefined
      : this.#buf[(this.#head + index) & this.#mask];
  }

  /** Keeps only the items for which `keep(item)` is true, in order. O(size). */
  retain(keep: (item: T) => boolean): void {
    const buf = this.#buf;
    const mask = this.#mask;
    const n = this.#size;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const slot = (this.#head + i) & mask;
      const item = buf[slot] as T;
      buf[slot] = undefined;
      if (keep(item)) buf[(this.#head + kept++) & mask] = item;
    }
    this.#size = kept;
  }

  /** Removes every item. */
  clear(): void {
    this.#buf.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }

  /** The items from head to tail, as a new array. */
  toArray(): T[] {
    const out = new Array<T>(this.#size);
    for (let i = 0; i < this.#size; i++) out[i] = this.#buf[(this.#head + i) & this.#mask] as T;
    return out;
  }

  #grow(): void {
    this.#resize((this.#mask + 1) * 2);
  }

  #shrink(): void {
    this.#resize((this.#mask + 1) / 2);
  }

  #resize(cap: number): void {
    const next = new Array<T | undefined>(cap).fill(undefined);
    for (let i = 0; i < this.#size; i++) next[i] = this.#buf[(this.#head + i) & this.#mask];
    this.#buf = next;
    this.#mask = cap - 1;
    this.#head = 0;
  }
}
