/**
 * A Map with a size cap that forgets the least recently used entry first: the caches of job
 * definitions must stay bounded in a program that keeps making new job functions.
 */
export class LruMap<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();
  /** The most recently used key: a hit on it needs no reordering (a job submitted in a loop). */
  #newest: K | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined && key !== this.#newest) {
      // Map iterates in insertion order: re-inserting makes the key the newest.
      this.#map.delete(key);
      this.#map.set(key, value);
      this.#newest = key;
    }
    return value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#newest = key;
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value as K;
      this.#map.delete(oldest);
    }
  }
}
