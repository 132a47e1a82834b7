/**
 * Timer queues ordered by (when, seq): equal deadlines run in the order they were
 * scheduled, which asyncio allows (its order for ties is unspecified).
 *
 * `TimerQueue` is what the loop uses: most timers are created in deadline order (the same
 * delay from a clock that only moves forward), so those go to a FIFO run at O(1) per timer,
 * and only the out-of-order ones pay for the binary heap behind it.
 */
export interface HeapItem {
  readonly _when: number;
  readonly _seq: number;
}

function less(a: HeapItem, b: HeapItem): boolean {
  return a._when < b._when || (a._when === b._when && a._seq < b._seq);
}

export class TimerHeap<T extends HeapItem> {
  readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    let i = a.length;
    a.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as T;
      if (!less(item, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = item;
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) this.#siftDown(last);
    return top;
  }

  /** Rebuilds the heap keeping only the items `keep` accepts. */
  filter(keep: (item: T) => boolean): void {
    const kept = this.items.filter(keep);
    this.items.length = 0;
    for (const item of kept) this.push(item);
  }

  #siftDown(item: T): void {
    const a = this.items;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && less(a[r] as T, a[l] as T)) c = r;
      const child = a[c] as T;
      if (!less(child, item)) break;
      a[i] = child;
      i = c;
    }
    a[i] = item;
  }
}

/** A FIFO of in-order timers in front of a heap for the rest; see the file comment. */
export class TimerQueue<T extends HeapItem> {
  #run: T[] = [];
  #head = 0;
  #heap = new TimerHeap<T>();

  get size(): number {
    return this.#run.length - this.#head + this.#heap.size;
  }

  /** Every queued item, in no particular order. */
  get items(): T[] {
    return [...this.#run.slice(this.#head), ...this.#heap.items];
  }

  clear(): void {
    this.#run = [];
    this.#head = 0;
    this.#heap.items.length = 0;
  }

  push(item: T): void {
    const run = this.#run;
    const n = run.length;
    if (n === this.#head || !less(item, run[n - 1] as T)) run.push(item);
    else this.#heap.push(item);
  }

  peek(): T | undefined {
    const a = this.#head < this.#run.length ? this.#run[this.#head] : undefined;
    const b = this.#heap.peek();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return less(b, a) ? b : a;
  }

  pop(): T | undefined {
    const top = this.peek();
    if (top === undefined) return undefined;
    if (top === this.#heap.peek()) return this.#heap.pop();
    const run = this.#run;
    run[this.#head++] = undefined as unknown as T;
    if (this.#head === run.length) {
      run.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > run.length) {
      this.#run = run.slice(this.#head);
      this.#head = 0;
    }
    return top;
  }

  /** Keeps only the items `keep` accepts. */
  filter(keep: (item: T) => boolean): void {
    this.#run = this.#run.slice(this.#head).filter(keep);
    this.#head = 0;
    this.#heap.filter(keep);
  }
}
