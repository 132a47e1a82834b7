import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDocExamples, typecheckDocExamples } from '@aiots/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('fixtures/docs-bad/', import.meta.url));
const dir = join(fixture, 'test', '.doc-examples', `typecheck-${process.pid}`);

describe('typecheckDocExamples', () => {
  afterAll(() => rmSync(join(fixture, 'test'), { recursive: true, force: true }));

  it('reports type errors at the doc line they come from, and only those', () => {
    const [example] = checkDocExamples(fixture).examples;
    if (!example) throw new Error('the fixture has examples');
    mkdirSync(dir, { recursive: true });
    const good = join(dir, 'good.ts');
    const bad = join(dir, 'bad.ts');
    writeFileSync(good, example.code);
    writeFileSync(bad, `${example.code}\nconst s: string = documented(1);\n`);
    const errors = typecheckDocExamples(
      fixture,
      new Map([
        [good, example],
        [bad, example],
      ]),
    );
    expect(errors).toEqual([
      "src/things.ts:8 (documented): Type 'number' is not assignable to type 'string'.",
    ]);
  }, 60_000);
});
