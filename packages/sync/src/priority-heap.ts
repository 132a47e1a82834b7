/**
 * The binary min-heap behind `PriorityQueue`, and its default ordering.
 *
 * Stable: items that compare equal come out in the order they were put (each carries an
 * insertion number in a parallel array, so no wrapper object per item). Python users get
 * this by queueing `(priority, count, item)` tuples; here it is built in.
 *
 * Exception-safe: a comparator that throws leaves the heap as it was. Both sifts first find
 * where the moving item lands (comparing, not writing), then move the items on that path.
 *
 * @internal Not exported from the package.
 */
import { describe } from './wait-options.ts';

/** A comparator: negative when `a` comes first, positive when `b` does, 0 when equal. */
export type Compare<T> = (a: T, b: T) => number;

function kindOf(x: unknown): number {
  switch (typeof x) {
    case 'number':
    case 'bigint':
      return 1;
    case 'string':
      return 2;
    default:
      return Array.isArray(x) ? 3 : 0;
  }
}

function incomparable(a: unknown, b: unknown): TypeError {
  return new TypeError(
    `PriorityQueue cannot compare ${describe(a)} with ${describe(b)}: without a \`compare\` function, items must be numbers, bigints, strings, or arrays of them (compared element by element, like Python tuples)`,
  );
}

/**
 * The default PriorityQueue order: numbers (and bigints) numerically, strings by code unit,
 * arrays element by element like Python tuples (a prefix comes first). Mixed kinds throw.
 *
 * Package-internal.
 */
export function naturalCompare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const ka = kindOf(a);
  if (ka === 0 || ka !== kindOf(b)) throw incomparable(a, b);
  if (ka !== 3) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  const x = a as unknown[];
  const y = b as unknown[];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const yi = y[i];
    // Like Python, identical elements are equal without being compared (so payloads that
    // are never reached need not be comparable).
    if (xi === yi) continue;
    const c = naturalCompare(xi, yi);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/** Package-internal: Checks an item before it enters a heap ordered by `naturalCompare`. */
export function checkNatural(item: unknown): void {
  // An item alone in the heap is never compared; refuse it now rather than at the next put.
  if (kindOf(item) === 0) throw incomparable(item, item);
}

/** Package-internal: */
export class PriorityHeap<T> {
  readonly #items: T[] = [];
  readonly #seqs: number[] = [];
  readonly #path: number[] = [];
  readonly #compare: Compare<T>;
  readonly #check: ((item: T) => void) | undefined;
  #nextSeq = 0;

  /** `check(item)` may throw to refuse an item before it is inserted. */
  constructor(compare: Compare<T>, check?: (item: T) => void) {
    this.#compare = compare;
    this.#check = check;
  }

  get size(): number {
    return this.#items.length;
  }

  #before(a: T, sa: number, b: T, sb: number): boolean {
    const c = this.#compare(a, b);
    return c < 0 || (c === 0 && sa < sb);
  }

  push(item: T): void {
    this.#check?.(item);
    this.#insert(item, this.#nextSeq++);
  }

  #insert(item: T, seq: number): void {
    const items = this.#items;
    const seqs = this.#seqs;
    const n = items.length;
    let i = n;
    while (i > 0) {
      const p = (i - 1) >>> 1;
      if (!this.#before(item, seq, items[p] as T, seqs[p] as number)) break;
      i = p;
    }
    items.push(item);
    seqs.push(seq);
    let j = n;
    while (j > i) {
      const p = (j - 1) >>> 1;
      items[j] = items[p] as T;
      seqs[j] = seqs[p] as number;
      j = p;
    }
    items[i] = item;
    seqs[i] = seq;
  }

  take(): T {
    const items = this.#items;
    const seqs = this.#seqs;
    const root = items[0] as T;
    const m = items.length - 1;
    if (m === 0) {
      items.pop();
      seqs.pop();
      return root;
    }
    const last = items[m] as T;
    const lastSeq = seqs[m] as number;
    const path = this.#path;
    path.length = 0;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= m) break;
      const r = l + 1;
      const c =
        r < m && this.#before(items[r] as T, seqs[r] as number, items[l] as T, seqs[l] as number)
          ? r
          : l;
      if (!this.#before(items[c] as T, seqs[c] as number, last, lastSeq)) break;
      path.push(c);
      i = c;
    }
    let hole = 0;
    for (const c of path) {
      items[hole] = items[c] as T;
      seqs[hole] = seqs[c] as number;
      hole = c;
    }
    items[hole] = last;
    seqs[hole] = lastSeq;
    items.pop();
    seqs.pop();
    return root;
  }

  clear(): void {
    this.#items.length = 0;
    this.#seqs.length = 0;
  }

  /** The items in heap order (not sorted). */
  toArray(): T[] {
    return this.#items.slice();
  }
}
