import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixturesDir = new URL('./fixtures/', import.meta.url);

/** One run of the CPython reference (reference/asyncq_virtual.py --fixtures). */
export interface Fixture {
  file: string;
  seed: string;
  nprod: number;
  ncon: number;
  lines: string[];
}

/** Every `asyncq-seed<N>-p<P>-c<C>.txt` fixture. */
export function fixtures(): Fixture[] {
  return readdirSync(fixturesDir)
    .filter((f) => f.startsWith('asyncq-'))
    .sort()
    .map((file) => {
      const m = /^asyncq-seed(-?\d+)-p(\d+)-c(\d+)\.txt$/.exec(file);
      if (m === null) throw new Error(`unexpected fixture name ${file}`);
      const text = readFileSync(new URL(file, fixturesDir), 'utf8');
      return {
        file,
        seed: m[1] as string,
        nprod: Number(m[2]),
        ncon: Number(m[3]),
        lines: text.trimEnd().split('\n'),
      };
    });
}

const ID = /<([0-9a-f]{10})>/g;

/**
 * The lines with each item id replaced by its number in order of first appearance (ids are
 * random bytes, as os.urandom's are in asyncq.py): `<item 1>`, `<item 2>`... Two runs with
 * the same schedule then read the same, and which consumer got which producer's item still
 * counts. Also checks the ids themselves: each is added once, then got once.
 */
export function normalizeIds(lines: readonly string[]): string[] {
  const numbers = new Map<string, number>();
  const added = new Set<string>();
  const got = new Set<string>();
  const out = lines.map((line) =>
    line.replace(ID, (_, id: string) => {
      if (line.includes(' added ')) {
        expect(added.has(id), `item ${id} added twice`).toBe(false);
        added.add(id);
      } else {
        expect(added.has(id), `item ${id} got before it was added`).toBe(true);
        expect(got.has(id), `item ${id} got twice`).toBe(false);
        got.add(id);
      }
      const n = numbers.get(id) ?? numbers.size + 1;
      numbers.set(id, n);
      return `<item ${n}>`;
    }),
  );
  expect([...got].sort()).toEqual([...added].sort());
  return out;
}

/** The lines with latencies and the elapsed time masked (for real-time runs). */
export function maskTimes(lines: readonly string[]): string[] {
  return lines.map((l) => l.replace(/in \d+\.\d{5} seconds\.$/, 'in X seconds.'));
}
