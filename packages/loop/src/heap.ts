/**
 * A binary min-heap of timer handles ordered by (when, seq): equal deadlines run in the order
 * they were scheduled, which asyncio allows (its order for ties is unspecified).
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
