import { fileURLToPath } from 'node:url';
import { checkDocExamples } from '@aiots/test-utils';
import { describe, expect, it } from 'vitest';

const fixture = new URL('fixtures/docs-bad/', import.meta.url);

describe('checkDocExamples', () => {
  const report = checkDocExamples(fixture);

  it('reads the public surface from every package.json entry point', () => {
    expect(report.packageName).toBe('docs-bad');
    expect(report.packageDir).toBe(fileURLToPath(fixture).replace(/\/$/, ''));
    expect(report.exports).toEqual([
      '.: Foreign',
      '.: ghost',
      '.: Bare',
      '.: documented',
      '.: alias',
      '.: internalThing',
      '.: LIMIT',
      '.: noExample',
      '.: Shape',
      '.: undocumented',
      '.: Widget',
      './extra: shellOnly',
    ]);
  });

  it('names each export that lacks a summary or a runnable example, once', () => {
    expect(report.problems.map((p) => `${p.where} ${p.name} ${p.message}`)).toEqual([
      '? ghost cannot find its declaration',
      'src/things.ts:24 Bare has no TSDoc comment',
      'src/things.ts:36 LIMIT has no summary sentence',
      'src/things.ts:15 noExample has no @example with a ```ts block',
      'src/things.ts:17 undocumented has no TSDoc comment',
      'src/things.ts:51 Widget.prototype.label has no summary sentence',
      'src/things.ts:56 Widget.prototype.turn has no summary sentence',
      'src/things.ts:62 Widget.make has no summary sentence',
      'src/extra.ts:9 shellOnly has no @example with a ```ts block',
    ]);
  });

  it('collects every ts example in src/, public or not, with its line', () => {
    expect(report.examples.map((e) => [e.name, e.where, e.skip])).toEqual([
      ['documented', 'src/things.ts:6', false],
      ['LIMIT', 'src/things.ts:32', false],
      ['Widget', 'src/things.ts:43', true],
      ['hidden', 'src/things.ts:72', false],
    ]);
    expect(report.examples[0]?.code).toBe(
      "import { documented } from 'docs-bad';\nconsole.log(documented(21)); // 42",
    );
  });

  it('checks exports only when asked not to check members', () => {
    const names = checkDocExamples(fixture, { members: 'none' }).problems.map((p) => p.name);
    expect(names).not.toContain('Widget.prototype.turn');
  });
});
