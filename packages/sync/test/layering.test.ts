/**
 * The layering of DESIGN.md: @aiots/sync depends on @aiots/loop only, and only through its
 * public entry point; no source file imports the package's own index.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

test('src imports only @aiots/loop (its public entry) and sibling modules', () => {
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
        (spec.startsWith('./') &&
          spec.endsWith('.ts') &&
          (file === 'index.ts' || spec !== './index.ts'));
      expect(ok, `${file} imports ${spec}`).toBe(true);
    }
  }
  expect(seen).toBeGreaterThan(20);
});
