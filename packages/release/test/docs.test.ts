/**
 * The API reference build: a documented package gets a page where the READMEs link it, and
 * an undocumented export fails the build (validation on, warnings as errors).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDocs } from '../src/docs.ts';
import { apiDocsBaseUrl, apiDocsUrl, moduleName, modulePage } from '../src/docs-site.ts';
import type { Manifest, WorkspacePackage } from '../src/workspace.ts';

const root = mkdtempSync(join(tmpdir(), 'aiots-docs-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A package with `src/index.ts` and `src/extra.ts` behind the source condition. */
function fixture(name: string, index: string): WorkspacePackage {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const manifest: Manifest = {
    name: `@aiots/${name}`,
    version: '1.0.0',
    type: 'module',
    repository: { type: 'git', url: 'git+https://github.com/aiots/aiots.git', directory: name },
    exports: {
      '.': { '@aiots/source': './src/index.ts', default: './dist/index.js' },
      './extra': { '@aiots/source': './src/extra.ts', default: './dist/extra.js' },
      './package.json': './package.json',
    },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  writeFileSync(join(dir, 'src', 'index.ts'), index);
  writeFileSync(
    join(dir, 'src', 'extra.ts'),
    '/**\n * Adds one.\n *\n * @param n A number.\n * @returns `n + 1`.\n */\nexport function inc(n: number): number {\n  return n + 1;\n}\n',
  );
  return { name: manifest.name, version: '1.0.0', private: false, dir, relDir: name, manifest };
}

describe('pnpm run docs', () => {
  it('writes a page per entry, where the READMEs link it', async () => {
    const pkg = fixture(
      'documented',
      '/**\n * Says hello.\n *\n * @returns A greeting.\n */\nexport function hello(): string {\n  return "hi";\n}\n',
    );
    const out = join(root, 'out-ok');
    expect(await buildDocs(out, [pkg])).toEqual({ modules: 2, problems: [] });
    expect(existsSync(join(out, modulePage(moduleName(pkg.name, '.'))))).toBe(true);
    expect(existsSync(join(out, modulePage(moduleName(pkg.name, './extra'))))).toBe(true);
    expect(apiDocsUrl(pkg.manifest)).toBe(`${apiDocsBaseUrl}modules/_aiots_documented.html`);
  }, 120_000);

  it('fails on an export without documentation', async () => {
    const pkg = fixture('undocumented', 'export function bare(): number {\n  return 1;\n}\n');
    const out = join(root, 'out-bad');
    const { modules, problems } = await buildDocs(out, [pkg]);
    expect(modules).toBe(0);
    expect(problems.join('\n')).toMatch(/bare.*does not have any documentation/);
    expect(existsSync(join(out, 'index.html'))).toBe(false);
  }, 120_000);
});
