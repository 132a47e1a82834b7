/**
 * docs/asyncio-to-aiots.md: its TypeScript examples run and print what they promise, and
 * every link inside the repository leads to a file that exists.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expectedOutput, missingOutput, parseFences, runDocExample } from '@aiots/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '../src/workspace.ts';

const guide = join(workspaceRoot, 'docs', 'asyncio-to-aiots.md');
const text = readFileSync(guide, 'utf8');
const examples = parseFences(text).filter((f) => f.lang === 'ts' && !f.flags.includes('no-run'));
const runDir = join(import.meta.dirname, '.doc-examples', `guide-${process.pid}`);

afterAll(() => rmSync(runDir, { recursive: true, force: true }));

describe('docs/asyncio-to-aiots.md', () => {
  it('has a TypeScript example', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const example of examples) {
    it(`the example at line ${example.line + 1} runs and prints what it promises`, async () => {
      const ran = await runDocExample(example.code, {
        dir: runDir,
        fileName: `line-${example.line + 1}.ts`,
        timeoutMs: 30_000,
      });
      expect(ran.stderr).toBe('');
      expect(ran.exitCode).toBe(0);
      expect(missingOutput(ran.stdout, expectedOutput(example.code))).toEqual([]);
    }, 60_000);
  }

  it('links only to files that exist', () => {
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1] as string)
      .filter((target) => !/^[a-z]+:/.test(target) && !target.startsWith('#'));
    expect(targets.length).toBeGreaterThan(0);
    const missing = targets.filter(
      (target) => !existsSync(join(dirname(guide), target.split('#')[0] as string)),
    );
    expect(missing).toEqual([]);
  });
});
