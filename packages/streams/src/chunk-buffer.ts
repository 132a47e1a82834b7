/**
 * @internal The byte buffer behind `StreamReader`: the chunks as they arrived, never joined
 * until a read needs bytes from more than one of them. A read that fits in the first chunk
 * returns a view of it (no copy); searching for a separator walks the chunks in place and
 * checks the bytes that straddle two chunks, so a long line arriving in small pieces costs
 * one copy at the end, not one per piece.
 *
 * ```
 *  chunks: [ used | A A A ] [ B B B B ] [ C C ]      size = 9
 *             ^ head, off
 * ```
 */
const EMPTY = Buffer.alloc(0);

export class ChunkBuffer {
  #chunks: Buffer[] = [];
  /** Index of the first live chunk. */
  #head = 0;
  /** Bytes of `#chunks[#head]` already taken. */
  #off = 0;
  #size = 0;

  /** Bytes held. */
  get size(): number {
    return this.#size;
  }

  /** Appends `chunk` (not copied: the caller must not reuse it). */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  /** Puts `chunk` back in front of everything held (a read that was not taken). */
  unshift(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const chunks = this.#chunks;
    if (this.#off > 0) {
      chunks[this.#head] = (chunks[this.#head] as Buffer).subarray(this.#off);
      this.#off = 0;
    }
    if (this.#head > 0) chunks[--this.#head] = chunk;
    else chunks.unshift(chunk);
    this.#size += chunk.length;
  }

  /** Drops everything. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#off = 0;
    this.#size = 0;
  }

  /** Takes the first `n` bytes out (`n <= size`): a view when they lie in one chunk. */
  take(n: number): Buffer {
    if (n <= 0) return EMPTY;
    const chunks = this.#chunks;
    const first = chunks[this.#head] as Buffer;
    const off = this.#off;
    const avail = first.length - off;
    if (n < avail) {
      this.#off = off + n;
      this.#size -= n;
      return first.subarray(off, off + n);
    }
    if (n === avail) {
      this.#dropHead();
      this.#size -= n;
      return off === 0 ? first : first.subarray(off);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      // `#dropHead` may compact the array: read it afresh each time.
      const c = this.#chunks[this.#head] as Buffer;
      const from = this.#off;
      const want = n - at;
      const have = c.length - from;
      if (want < have) {
        c.copy(out, at, from, from + want);
        this.#off = from + want;
        at = n;
      } else {
        c.copy(out, at, from);
        at += have;
        this.#dropHead();
      }
    }
    this.#size -= n;
    return out;
  }

  /** Takes everything out. */
  takeAll(): Buffer {
    return this.#size === 0 ? EMPTY : this.take(this.#size);
  }

  /** Drops the first `n` bytes (`n <= size`). */
  skip(n: number): void {
    while (n > 0) {
      const c = this.#chunks[this.#head] as Buffer;
      const have = c.length - this.#off;
      if (n < have) {
        this.#off += n;
        this.#size -= n;
        return;
      }
      n -= have;
      this.#size -= have;
      this.#dropHead();
    }
  }

  /**
   * Where `sep` first starts at or after position `from`, or -1. `sep` must not be empty.
   */
  indexOf(sep: Buffer, from: number): number {
    const chunks = this.#chunks;
    const n = chunks.length;
    const sl = sep.length;
    const single = sl === 1 ? (sep[0] as number) : -1;
    // Position (in buffer terms) of byte 0 of chunk i: negative for a partly used head.
    let base = -this.#off;
    for (let i = this.#head; i < n; i++) {
      const c = chunks[i] as Buffer;
      const len = c.length;
      const end = base + len;
      if (end > from) {
        const local =
          i === this.#head ? Math.max(from - base, this.#off) : Math.max(from - base, 0);
        const j = single >= 0 ? c.indexOf(single, local) : c.indexOf(sep, local);
        if (j >= 0) return base + j;
        if (sl > 1 && i + 1 < n) {
          // Matches that start in this chunk's tail and run into the next chunks.
          for (let k = Math.max(local, len - sl + 1); k < len; k++) {
            if (this.#matchesAt(i, k, sep)) return base + k;
          }
        }
      }
      base = end;
    }
    return -1;
  }

  /** True when the bytes at position `at` are `sep`. */
  startsWith(sep: Buffer, at: number): boolean {
    if (at + sep.length > this.#size) return false;
    let base = -this.#off;
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const len = (this.#chunks[i] as Buffer).length;
      if (base + len > at) return this.#matchesAt(i, at - base, sep);
      base += len;
    }
    return false;
  }

  /** True when `sep` starts at byte `k` of chunk `i` (running into later chunks). */
  #matchesAt(i: number, k: number, sep: Buffer): boolean {
    const chunks = this.#chunks;
    let c = chunks[i] as Buffer;
    for (let s = 0; s < sep.length; s++) {
      while (k >= c.length) {
        i++;
        if (i >= chunks.length) return false;
        c = chunks[i] as Buffer;
        k = 0;
      }
      if (c[k] !== sep[s]) return false;
      k++;
    }
    return true;
  }

  #dropHead(): void {
    const chunks = this.#chunks;
    chunks[this.#head] = undefined as unknown as Buffer;
    this.#head++;
    this.#off = 0;
    if (this.#head === chunks.length) {
      chunks.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= chunks.length) {
      this.#chunks = chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
