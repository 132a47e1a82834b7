/**
 * What makes a public package's documentation checked: its TSDoc and README examples run
 * and typecheck through the shared doc checks, so the examples the API reference shows
 * compile. Every public package with entry points must register them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importableEntries, publicPackages } from '../src/workspace.ts';

const libraries = (await publicPackages()).filter((p) => importableEntries(p.manifest).length > 0);

describe('every public package with entry points', () => {
  for (const pkg of libraries) {
    it(`${pkg.name} runs its doc examples from source and against dist/`, () => {
      const tests = readdirSync(join(pkg.dir, 'test'))
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => readFileSync(join(pkg.dir, 'test', f), 'utf8'));
      const calls = tests.flatMap((text) =>
        [...text.matchAll(/docExampleTests\(([^;]*)\);/g)].map((m) => m[1] ?? ''),
      );
      expect(
        calls.some((args) => !args.includes('built: true')),
        'docExampleTests on the sources',
      ).toBe(true);
      expect(
        calls.some((args) => args.includes('built: true')),
        'docExampleTests against dist/',
      ).toBe(true);
    });
  }
});
