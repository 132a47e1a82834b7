import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedOutput, missingOutput, normalizeOutput, runDocExample } from '@aiots/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

describe('expectedOutput', () => {
  const texts = (code: string): string[] => expectedOutput(code).map((e) => e.text);

  it('reads literal comments after console.log', () => {
    const code = [
      'console.log(42); // 42',
      'console.log(ok); // true',
      "console.log('done'); // 'done'",
      'console.log([1, 2]); // [1, 2]',
      "console.log('a', 'b'); // a b",
      'console.info({ a: "x" }); // { a: "x" }',
      'console.log(1_000); // 1_000',
      'console.log(-1.5, null, undefined); // -1.5 null undefined',
      'console.log(x); // => 7',
    ].join('\n');
    expect(texts(code)).toEqual([
      '42',
      'true',
      'done',
      '[1, 2]',
      'a b',
      "{a: 'x'}",
      '1000',
      '-1.5 null undefined',
      '7',
    ]);
  });

  it('ignores prose, comments elsewhere and // inside strings', () => {
    const code = [
      'console.log(Date.now()); // (the time)',
      'console.log(a, b); // a, then b',
      'const x = 42; // 42',
      "console.log('http://x'); ",
      '// 42',
      'console.log(1);',
      'console.error(1); // 1',
      'console.log(elapsed); // about 10 ms…',
    ].join('\n');
    expect(texts(code)).toEqual([]);
  });

  it('reads the comment on the line a multi-line call or block ends', () => {
    const code = [
      'console.log(',
      '  1,',
      '); // 1',
      'try { f(); } catch (e) { console.log(e instanceof Error); } // true',
      'for (const n of [1, 2]) console.log(n); // 1',
    ].join('\n');
    expect(expectedOutput(code)).toEqual([
      { line: 1, comment: '1', text: '1' },
      { line: 4, comment: 'true', text: 'true' },
      { line: 5, comment: '1', text: '1' },
    ]);
  });
});

describe('missingOutput', () => {
  const expected = expectedOutput(
    ["console.log('a'); // a", 'console.log(big); // [1, 2, 3]', 'console.log(2); // 2'].join('\n'),
  );

  it('finds values in order, skipping other lines, across lines for big values', () => {
    expect(missingOutput('a\nnoise\n[\n  1,\n  2,\n  3\n]\n2\n', expected)).toEqual([]);
  });

  it('reports values missing, out of order, or only part of a line', () => {
    expect(missingOutput('2\n[ 1, 2, 3 ]\na\n', expected).map((e) => e.text)).toEqual([
      '[1, 2, 3]',
      '2',
    ]);
    expect(missingOutput('ab\n[1, 2, 3]\n22\n', expected).map((e) => e.text)).toEqual(['a', '2']);
  });

  it('normalizes inspect padding only', () => {
    expect(normalizeOutput('  [ 1,  2 ]  ')).toBe('[1, 2]');
    expect(normalizeOutput("{ a: 'x y' }")).toBe("{a: 'x y'}");
  });
});

describe('runDocExample', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aiots-run-example-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs top-level-await ESM TypeScript in a fresh process', async () => {
    const code = 'const n: number = await Promise.resolve(41);\nconsole.log(n + 1);';
    const run = await runDocExample(code, { dir, fileName: 'ok.ts' });
    expect(run).toMatchObject({ exitCode: 0, timedOut: false, stdout: '42\n', stderr: '' });
  });

  it('reports a throw as exit code 1 with the error on stderr', async () => {
    const run = await runDocExample("throw new Error('boom');", { dir, fileName: 'throws.ts' });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('Error: boom');
  });

  it('kills an example that does not exit in time', async () => {
    const code = 'setInterval(() => {}, 1000);';
    const run = await runDocExample(code, { dir, fileName: 'hangs.ts', timeoutMs: 500 });
    expect(run).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: true });
  });
});
