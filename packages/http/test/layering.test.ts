/**
 * The layering of DESIGN.md: @aiots/http builds on @aiots/loop (its main entry and
 * ./lowlevel), @aiots/sync and undici, through their public entry points only; no source
 * file imports the package's own index. And the export surface is a decision: a new public
 * name fails this test until it is listed here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as http from '@aiots/http';
import { expect, test } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

test('src imports only loop, sync, undici, node: builtins and sibling modules', () => {
  let seen = 0;
  const external = new Set(['@aiots/loop', '@aiots/loop/lowlevel', '@aiots/sync', 'undici']);
  for (const file of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(`${src}${file}`, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(/^(?:import|export)[^'";]*from '([^']+)'/gm)) {
      const spec = m[1] as string;
      seen++;
      const ok =
        external.has(spec) ||
        spec.startsWith('node:') ||
        (spec.startsWith('./') &&
          spec.endsWith('.ts') &&
          (file === 'index.ts' || spec !== './index.ts'));
      expect(ok, `${file} imports ${spec}`).toBe(true);
    }
  }
  expect(seen).toBeGreaterThan(40);
});

test('the export surface', () => {
  expect(Object.keys(http).sort()).toEqual([
    'BodyTooLarge',
    'ClientConnectionError',
    'ClientConnectorError',
    'ClientError',
    'ClientResponse',
    'ClientResponseError',
    'ClientSession',
    'ContentDecodingError',
    'CookieJar',
    'HttpServer',
    'InvalidURL',
    'ServerRequest',
    'ServerTimeoutError',
    'TooManyRedirects',
    'WebSocketConnection',
    'serve',
  ]);
});
