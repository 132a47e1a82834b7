/**
 * PythonRandom: CPython's `random.Random`, bit for bit, for the parts the demo needs.
 *
 * CPython draws from MT19937 (Matsumoto and Nishimura's `genrand_int32`). `random.seed(n)`
 * for an int splits `abs(n)` into 32-bit words, least significant first (`[0]` for 0), and
 * feeds them to `init_by_array`. `getrandbits(k)` for k <= 32 is one output shifted right by
 * `32 - k`; wider values are built from 32-bit words, least significant first, the last one
 * shifted. `randrange`/`randint` use `_randbelow`: draw `n.bit_length()` bits and draw again
 * while the value is `>= n` (rejection sampling, no modulo bias). `random()` is
 * `genrand_res53`: 27 + 26 bits scaled to [0, 1).
 */
import { getRandomValues } from 'node:crypto';
import { describe } from './describe.ts';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

function checkInt(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${where} expected \`${name}\` to be an integer, got ${describe(value)}`);
  }
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(
      `${where} expected \`${name}\` to be a safe integer (at most 2**53 - 1 in size), got ${value}`,
    );
  }
  return value;
}

/** The 32-bit words of `abs(seed)`, least significant first, as CPython's `random_seed`. */
function seedKey(seed: number | bigint): Uint32Array {
  let n = typeof seed === 'bigint' ? seed : BigInt(seed);
  if (n < 0n) n = -n;
  const words: number[] = [];
  while (n > 0n) {
    words.push(Number(n & 0xffffffffn));
    n >>= 32n;
  }
  return Uint32Array.from(words.length === 0 ? [0] : words);
}

/**
 * A random number generator that gives exactly what CPython's `random` module gives for the
 * same seed: `new PythonRandom(444).randint(0, 10)` is `random.seed(444);
 * random.randint(0, 10)`. Not for cryptography, as Python's is not.
 *
 * @example
 * ```ts
 * import { PythonRandom } from '@aiots/queue-demo';
 * const random = new PythonRandom(444); // random.seed(444)
 * console.log(random.randint(0, 10), random.randint(0, 10)); // 4 4
 * ```
 */
export class PythonRandom {
  readonly #mt = new Uint32Array(N);
  #index = N;

  /**
   * @param seed An integer (`number` or `bigint`, negative ones as their absolute value,
   *   as in CPython). Without one, the generator is seeded from the operating system's
   *   randomness, as `random.Random()` is.
   * @throws {TypeError} when `seed` is not an integer. {RangeError} when it is a number
   *   beyond 2**53 - 1 in size (pass a `bigint`).
   */
  constructor(seed?: number | bigint) {
    if (seed === undefined) this.#initByArray(getRandomValues(new Uint32Array(N)));
    else this.seed(seed);
  }

  /**
   * Re-seeds the generator, as `random.seed(a)` does for an int.
   *
   * @param a The seed: a safe integer or any `bigint`.
   * @throws {TypeError} when `a` is neither. {RangeError} when it is a number beyond
   *   2**53 - 1 in size.
   * @example
   * ```ts
   * import { PythonRandom } from '@aiots/queue-demo';
   * const random = new PythonRandom(1);
   * const first = random.random();
   * random.seed(1);
   * console.log(random.random() === first); // true
   * ```
   */
  seed(a: number | bigint): void {
    if (typeof a === 'number' && Number.isInteger(a) && !Number.isSafeInteger(a)) {
      throw new RangeError(
        `PythonRandom.seed() expected \`a\` to be a safe integer (pass a bigint for a larger seed), got ${a}`,
      );
    }
    if (typeof a !== 'bigint') checkInt(a, 'a', 'PythonRandom.seed()');
    this.#initByArray(seedKey(a));
  }

  /**
   * The next float in [0, 1), as `random.random()`.
   *
   * @returns A float with 53 random bits.
   * @example
   * ```ts
   * import { PythonRandom } from '@aiots/queue-demo';
   * console.log(new PythonRandom(0).random()); // 0.8444218515250481
   * ```
   */
  random(): number {
    const a = this.#next() >>> 5;
    const b = this.#next() >>> 6;
    return (a * 67108864 + b) * (1 / 9007199254740992);
  }

  /**
   * An integer of `k` random bits, as `random.getrandbits(k)`.
   *
   * @param k How many bits: an integer from 0 to 53.
   * @returns An integer from 0 to 2**k - 1.
   * @throws {TypeError} when `k` is not an integer. {RangeError} when it is outside 0..53.
   * @example
   * ```ts
   * import { PythonRandom } from '@aiots/queue-demo';
   * console.log(new PythonRandom(444).getrandbits(8)); // 79
   * ```
   */
  getrandbits(k: number): number {
    checkInt(k, 'k', 'PythonRandom.getrandbits()');
    if (k < 0 || k > 53) {
      throw new RangeError(
        `PythonRandom.getrandbits() expected \`k\` to be an integer from 0 to 53, got ${k}`,
      );
    }
    return this.#bits(k);
  }

  /**
   * A random integer from `start` up to but not including `stop`, as
   * `random.randrange(start, stop)`; with one argument, from 0 up to `start`.
   *
   * @param start The lowest value (or, alone, the bound above the highest).
   * @param stop The bound above the highest value.
   * @returns An integer with `start <= n < stop`.
   * @throws {TypeError} when an argument is not an integer. {RangeError} when the range is
   *   empty or wider than 2**53.
   * @example
   * ```ts
   * import { PythonRandom } from '@aiots/queue-demo';
   * const n = new PythonRandom(7).randrange(10, 20);
   * console.log(n >= 10 && n < 20); // true
   * ```
   */
  randrange(start: number, stop?: number): number {
    const where = 'PythonRandom.randrange()';
    checkInt(start, 'start', where);
    if (stop === undefined) {
      if (start > 0) return this.#below(start);
      throw new RangeError(`${where} expected \`start\` to be 1 or more, got ${start}`);
    }
    checkInt(stop, 'stop', where);
    const width = stop - start;
    if (width <= 0) {
      throw new RangeError(
        `${where} expected \`stop\` to be above \`start\` (${start}), got ${stop}`,
      );
    }
    if (!Number.isSafeInteger(width)) {
      throw new RangeError(`${where} expected a range of at most 2**53 - 1 values, got ${width}`);
    }
    return start + this.#below(width);
  }

  /**
   * A random integer from `a` to `b`, both included, as `random.randint(a, b)`.
   *
   * @param a The lowest value.
   * @param b The highest value.
   * @returns An integer with `a <= n <= b`.
   * @throws {TypeError} when an argument is not an integer. {RangeError} when `b < a` or
   *   the range is wider than 2**53 - 1 values.
   * @example
   * ```ts
   * import { PythonRandom } from '@aiots/queue-demo';
   * const random = new PythonRandom(444);
   * console.log([1, 2, 3, 4, 5].map(() => random.randint(0, 10))); // [ 4, 4, 0, 4, 7 ]
   * ```
   */
  randint(a: number, b: number): number {
    const where = 'PythonRandom.randint()';
    checkInt(a, 'a', where);
    checkInt(b, 'b', where);
    if (b < a)
      throw new RangeError(`${where} expected \`b\` to be at least \`a\` (${a}), got ${b}`);
    const width = b - a + 1;
    if (!Number.isSafeInteger(width)) {
      throw new RangeError(`${where} expected a range of at most 2**53 - 1 values, got ${width}`);
    }
    return a + this.#below(width);
  }

  /**
   * A random element of a non-empty array, as `random.choice(seq)`.
   *
   * @param seq The array to choose from.
   * @returns One of its elements.
   * @throws {TypeError} when `seq` is not an array. {RangeError} when it is empty.
   * @example
   * ```ts
   * import { PythonRandom } from '@aiots/queue-demo';
   * console.log(['red', 'green', 'blue'].includes(new PythonRandom(3).choice(['red', 'green', 'blue']))); // true
   * ```
   */
  choice<T>(seq: readonly T[]): T {
    if (!Array.isArray(seq)) {
      throw new TypeError(`PythonRandom.choice() expected an array, got ${describe(seq)}`);
    }
    if (seq.length === 0) {
      throw new RangeError('PythonRandom.choice() expected a non-empty array, got an empty one');
    }
    return seq[this.#below(seq.length)] as T;
  }

  /** `_randbelow_with_getrandbits(n)` for 0 < n <= 2**53 - 1. */
  #below(n: number): number {
    const k = n.toString(2).length;
    let r = this.#bits(k);
    while (r >= n) r = this.#bits(k);
    return r;
  }

  /** `getrandbits(k)` for 0 <= k <= 53. */
  #bits(k: number): number {
    if (k === 0) return 0;
    if (k <= 32) return this.#next() >>> (32 - k);
    const low = this.#next();
    const high = this.#next() >>> (64 - k);
    return high * 4294967296 + low;
  }

  #initGenrand(s: number): void {
    const mt = this.#mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] as number;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.#index = N;
  }

  #initByArray(key: Uint32Array): void {
    const mt = this.#mt;
    this.#initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] as number;
      mt[i] =
        ((((mt[i] as number) ^ Math.imul(prev ^ (prev >>> 30), 1664525)) >>> 0) +
          (key[j] as number) +
          j) >>>
        0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1] as number;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] as number;
      mt[i] = ((((mt[i] as number) ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) >>> 0) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1] as number;
        i = 1;
      }
    }
    mt[0] = 0x80000000; // MSB is 1, assuring a non-zero initial array
  }

  /** `genrand_uint32`: the next 32-bit output. */
  #next(): number {
    const mt = this.#mt;
    if (this.#index >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = ((mt[kk] as number) & UPPER_MASK) | ((mt[kk + 1] as number) & LOWER_MASK);
        mt[kk] = (mt[kk + M] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = ((mt[kk] as number) & UPPER_MASK) | ((mt[kk + 1] as number) & LOWER_MASK);
        mt[kk] = (mt[kk + (M - N)] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = ((mt[N - 1] as number) & UPPER_MASK) | ((mt[0] as number) & LOWER_MASK);
      mt[N - 1] = (mt[M - 1] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.#index = 0;
    }
    let y = mt[this.#index++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}
