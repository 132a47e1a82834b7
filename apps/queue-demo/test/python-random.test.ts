// PythonRandom against what CPython 3.13 draws for the same seeds
// (reference/random_fixtures.py wrote test/fixtures/python-random.json).
import { readFileSync } from 'node:fs';
import { PythonRandom } from '@aiots/queue-demo';
import { describe, expect, it } from 'vitest';

interface Draws {
  seed: string;
  getrandbits32: number[];
  random: number[];
  randint_0_10: number[];
  randint_wide: number[];
  randrange_1000003: number[];
  randrange_5_9: number[];
  getrandbits_k: [number, number][];
  choice: string[];
  after_2000: number[];
}

const [header, ...draws] = readFileSync(
  new URL('./fixtures/python-random.jsonl', import.meta.url),
  'utf8',
)
  .trimEnd()
  .split('\n')
  .map((line) => JSON.parse(line));
const file = { python: (header as { python: string }).python, draws: draws as Draws[] };

describe('PythonRandom matches CPython', () => {
  it('has draws from CPython 3.13 for several seeds', () => {
    expect(file.python).toMatch(/^3\.13\./);
    expect(file.draws.map((d) => d.seed)).toEqual(
      expect.arrayContaining(['0', '444', '-444', '18446744073709551739']),
    );
  });

  it.each(file.draws.map((d) => [d.seed, d] as const))('seed %s', (seed, want) => {
    const r = new PythonRandom(BigInt(seed));
    const got = {
      seed,
      getrandbits32: want.getrandbits32.map(() => r.getrandbits(32)),
      random: want.random.map(() => r.random()),
      randint_0_10: want.randint_0_10.map(() => r.randint(0, 10)),
      randint_wide: want.randint_wide.map(() => r.randint(-(2 ** 40), 2 ** 40)),
      randrange_1000003: want.randrange_1000003.map(() => r.randrange(1000003)),
      randrange_5_9: want.randrange_5_9.map(() => r.randrange(5, 9)),
      getrandbits_k: want.getrandbits_k.map(([k]) => [k, r.getrandbits(k)]),
      choice: want.choice.map(() => r.choice([...'abcdefg'])),
      after_2000: (() => {
        for (let i = 0; i < 2000; i++) r.getrandbits(32);
        return want.after_2000.map(() => r.getrandbits(32));
      })(),
    };
    expect(got).toEqual(want);
  });

  it('takes a number seed as the same int', () => {
    const a = new PythonRandom(444);
    const b = new PythonRandom(444n);
    const c = new PythonRandom(-444);
    for (let i = 0; i < 100; i++) {
      const x = a.getrandbits(32);
      expect(b.getrandbits(32)).toBe(x);
      expect(c.getrandbits(32)).toBe(x);
    }
  });

  it('re-seeding restarts the sequence', () => {
    const r = new PythonRandom(5);
    const first = [r.random(), r.random()];
    r.seed(5);
    expect([r.random(), r.random()]).toEqual(first);
  });

  it('without a seed, draws from OS randomness', () => {
    const a = new PythonRandom();
    const b = new PythonRandom();
    const xs = Array.from({ length: 4 }, () => a.getrandbits(32));
    const ys = Array.from({ length: 4 }, () => b.getrandbits(32));
    expect(xs).not.toEqual(ys); // 2**-128 chance of a false failure
  });
});

describe('PythonRandom rejects bad input with a clear error', () => {
  const r = new PythonRandom(1);
  it.each([
    ['seed 1.5', () => new PythonRandom(1.5), RangeError, /safe integer.*got 1\.5/],
    ['seed "7"', () => new PythonRandom('7' as never), TypeError, /got the string "7"/],
    ['seed 2**60', () => r.seed(2 ** 60), RangeError, /pass a bigint for a larger seed/],
    ['getrandbits(54)', () => r.getrandbits(54), RangeError, /from 0 to 53, got 54/],
    ['getrandbits(-1)', () => r.getrandbits(-1), RangeError, /from 0 to 53, got -1/],
    ['getrandbits(NaN)', () => r.getrandbits(Number.NaN), RangeError, /got NaN/],
    ['randint(3, 2)', () => r.randint(3, 2), RangeError, /`b` to be at least `a` \(3\), got 2/],
    ['randint("1", 2)', () => r.randint('1' as never, 2), TypeError, /`a` to be an integer/],
    ['randint(0, 2**53)', () => r.randint(0, 2 ** 53), RangeError, /safe integer/],
    ['randrange(0)', () => r.randrange(0), RangeError, /`start` to be 1 or more, got 0/],
    ['randrange(5, 5)', () => r.randrange(5, 5), RangeError, /above `start` \(5\), got 5/],
    ['choice([])', () => r.choice([]), RangeError, /non-empty array/],
    ['choice("abc")', () => r.choice('abc' as never), TypeError, /expected an array/],
  ])('%s', (_, call, kind, message) => {
    expect(call).toThrow(kind);
    expect(call).toThrow(message);
  });

  it('a rejected call draws nothing', () => {
    const a = new PythonRandom(9);
    const b = new PythonRandom(9);
    expect(() => a.randint(3, 2)).toThrow();
    expect(a.random()).toBe(b.random());
  });
});
