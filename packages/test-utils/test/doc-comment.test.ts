import { parseDocComment, parseFences, stripCommentMargin } from '@aiots/test-utils';
import { describe, expect, it } from 'vitest';

const comment = [
  '/**',
  ' * Sums numbers.',
  ' *',
  ' * @param xs The numbers.',
  ' * @example Adding up',
  ' * ```ts',
  ' * // @ts-expect-error a line starting with @ inside a fence is code, not a tag',
  ' * if (ok) {',
  ' *   sum([1, 2]);',
  ' * }',
  ' * ```',
  ' * @example',
  ' * ```ts no-run',
  ' * forever();',
  ' * ```',
  ' */',
].join('\n');

describe('parseDocComment', () => {
  const doc = parseDocComment(comment, 10);

  it('splits the summary from the block tags', () => {
    expect(doc.summary).toBe('Sums numbers.');
    expect(doc.tags.map((t) => t.name)).toEqual(['param', 'example', 'example']);
    expect(doc.tags[0]?.text).toBe('xs The numbers.');
  });

  it('keeps the code of a fence intact, indentation and @ lines included', () => {
    expect(doc.tags[1]?.fences).toEqual([
      {
        lang: 'ts',
        flags: [],
        code: [
          '// @ts-expect-error a line starting with @ inside a fence is code, not a tag',
          'if (ok) {',
          '  sum([1, 2]);',
          '}',
        ].join('\n'),
        line: 16,
      },
    ]);
    expect(doc.tags[2]?.fences[0]).toMatchObject({
      flags: ['no-run'],
      code: 'forever();',
      line: 23,
    });
  });

  it('reads a one-line comment', () => {
    expect(parseDocComment('/** @internal Helper. */')).toEqual({
      summary: '',
      tags: [{ name: 'internal', text: 'Helper.', fences: [] }],
    });
    expect(stripCommentMargin('/** Hi. */')).toEqual(['Hi.']);
  });
});

describe('parseFences', () => {
  it('finds indented and tilde fences and reads an unclosed fence to the end', () => {
    const md = [
      '- item',
      '  ```typescript',
      '  const a = 1;',
      '    nested();',
      '  ```',
      '~~~sh',
      'ls',
    ];
    expect(parseFences(md.join('\n'))).toEqual([
      { lang: 'typescript', flags: [], code: 'const a = 1;\n  nested();', line: 2 },
      { lang: 'sh', flags: [], code: 'ls', line: 6 },
    ]);
  });

  it('does not close a fence on a shorter marker', () => {
    const [fence] = parseFences('````md\n```ts\nx\n```\n````');
    expect(fence?.code).toBe('```ts\nx\n```');
  });
});
