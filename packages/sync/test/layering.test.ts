/**
 * The layering of DESIGN.md: @aiots/sync depends on @aiots/loop only, and only through its
 * public entry points (the main one and `./lowlevel`), never on a `_` member; no source file imports the package's own index.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

// The `_` members sync declares itself (`_notifyWaiters(n) {`, `_x = ...`).
const ownUnderscored = new Set(
  readdirSync(src)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      [
        ...readFileSync(`${src}${f}`, 'utf8').matchAll(
          /^\s+(?:readonly\s+)?(_[A-Za-z]\w*)\s*[(:=]/gm,
        ),
      ].map((m) => m[1] as string),
    ),
);

test('src imports only @aiots/loop (its public entries) and sibling modules, and touches no _ member', () => {
  let seen = 0;
  for (const file of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
    // Without comments: the TSDoc examples import '@aiots/sync', as users do.
    const text = readFileSync(`${src}${file}`, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(/^(?:import|export)[^'";]*from '([^']+)'/gm)) {
      const spec = m[1] as string;
      seen++;
      const ok =
        spec === '@aiots/loop' ||
        spec === '@aiots/loop/lowlevel' ||
        (spec.startsWith('./') &&
          spec.endsWith('.ts') &&
          (file === 'index.ts' || spec !== './index.ts'));
      expect(ok, `${file} imports ${spec}`).toBe(true);
    }
    // `_` members are internals of the package that defines them: any `._name` not declared
    // in sync's own sources reaches into @aiots/loop.
    const foreign = [...text.matchAll(/\.(_[A-Za-z]\w*)/g)]
      .map((u) => u[1] as string)
      .filter((name) => !ownUnderscored.has(name));
    expect(foreign, `${file} uses _ members of another package`).toEqual([]);
  }
  expect(seen).toBeGreaterThan(20);
});
