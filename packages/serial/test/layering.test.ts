/**
 * The layering of DESIGN.md: @aiots/serial builds on @aiots/loop and @aiots/streams' public entry points, serialport
 * and Node's built-ins only; no source file imports the package's own index.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

test('src imports only @aiots/loop, @aiots/streams, serialport, node: built-ins and sibling modules', () => {
  let seen = 0;
  for (const file of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
    // Without comments: the TSDoc examples import '@aiots/serial', as users do.
    const text = readFileSync(`${src}${file}`, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(/^(?:import|export)[^'";]*from '([^']+)'/gm)) {
      const spec = m[1] as string;
      seen++;
      const ok =
        spec === '@aiots/loop' ||
        spec === '@aiots/loop/lowlevel' ||
        spec === '@aiots/streams' ||
        spec === 'serialport' ||
        spec.startsWith('node:') ||
        (spec.startsWith('./') &&
          spec.endsWith('.ts') &&
          (file === 'index.ts' || spec !== './index.ts'));
      expect(ok, `${file} imports ${spec}`).toBe(true);
    }
  }
  expect(seen).toBeGreaterThan(10);
});
