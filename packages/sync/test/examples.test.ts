/**
 * Every `@example` in the TSDoc of src/ and every TypeScript block of README.md runs, as
 * written, importing the package by its name: the documentation cannot rot.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}test/.examples/`;

interface Example {
  where: string;
  code: string;
}

function fromTsDoc(file: string): Example[] {
  const text = readFileSync(`${root}src/${file}`, 'utf8');
  const out: Example[] = [];
  const re = /@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const code = (m[1] as string)
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n');
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ where: `src/${file}:${line}`, code });
  }
  return out;
}

function fromReadme(): Example[] {
  const text = readFileSync(`${root}README.md`, 'utf8');
  const out: Example[] = [];
  const re = /```ts\n([\s\S]*?)\n```/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ where: `README.md:${line}`, code: m[1] as string });
  }
  return out;
}

const examples = [
  ...readdirSync(`${root}src`)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .flatMap(fromTsDoc),
  ...fromReadme(),
];

mkdirSync(outDir, { recursive: true });
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('documentation examples run', () => {
  test('there are examples for every export', () => {
    expect(examples.length).toBeGreaterThan(50);
  });

  test.each(examples.map((e, i) => [e.where, i] as const))('%s', async (_where, i) => {
    const { code } = examples[i] as Example;
    const file = `${outDir}example-${i}.ts`;
    // Examples log what they show; keep the test output readable.
    writeFileSync(file, `${code}\nexport {};\n`);
    const printed: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => {
      printed.push(format(...args));
    };
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      console.log = log;
    }
    // `console.log(x); // shown` lines: what is printed is what the comment shows (ignoring
    // spacing and quote style). Comments with an ellipsis only show the start.
    const shown = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1] as string);
    const norm = (x: string) => x.replace(/\s+/g, '').replace(/"/g, "'");
    if (shown.length === 0) return; // a log in a loop (the README's workers): just runs
    expect(printed.length).toBe(shown.length);
    shown.forEach((expected, k) => {
      const got = norm(printed[k] as string);
      const want = norm(expected);
      if (want.endsWith('...')) expect(got.startsWith(want.slice(0, -3))).toBe(true);
      else expect(got).toBe(want);
    });
  });
});
