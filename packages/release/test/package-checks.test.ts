/**
 * The tarball checks on made-up packages: a good one passes, and each way of being unfit to
 * publish is caught with its own line.
 */
import { describe, expect, it } from 'vitest';
import { apiDocsUrl } from '../src/docs-site.ts';
import { checkPackedPackage, publishedExports } from '../src/package-checks.ts';
import type { PackedPackage } from '../src/tarball.ts';
import type { Manifest } from '../src/workspace.ts';

const exportsMap = {
  '.': {
    '@aiots/source': './src/index.ts',
    types: './dist/index.d.ts',
    default: './dist/index.js',
  },
  './package.json': './package.json',
};

const goodManifest: Manifest = {
  name: '@aiots/demo',
  version: '1.2.0',
  description: 'A demo package.',
  keywords: ['asyncio'],
  license: 'MIT',
  repository: {
    type: 'git',
    url: 'git+https://github.com/aiots/aiots.git',
    directory: 'packages/demo',
  },
  engines: { node: '>=24' },
  files: ['dist'],
  exports: publishedExports(exportsMap),
  publishConfig: { access: 'public' },
  peerDependencies: { '@aiots/loop': '^1.0.0' },
  dependencies: { undici: '8.13.1' },
};

const map = JSON.stringify({
  version: 3,
  sources: ['../src/index.ts'],
  sourcesContent: ['export const x = 1;'],
  mappings: 'AAAA',
});

function files(extra: Record<string, string> = {}, drop: string[] = []): Map<string, Buffer> {
  const base: Record<string, string> = {
    'package.json': '{}',
    'README.md': `# @aiots/demo\n\n\`\`\`ts\nimport { x } from '@aiots/demo';\nconsole.log(x); // 1\n\`\`\`\n\nReference: ${apiDocsUrl(goodManifest)}\n`,
    LICENSE: 'MIT',
    'dist/index.js': 'export const x = 1;\n//# sourceMappingURL=index.js.map\n',
    'dist/index.js.map': map,
    'dist/index.d.ts': 'export declare const x = 1;\n',
    ...extra,
  };
  for (const path of drop) delete base[path];
  return new Map(Object.entries(base).map(([k, v]) => [k, Buffer.from(v)]));
}

const context = {
  relDir: 'packages/demo',
  workspace: new Map([
    ['@aiots/loop', { version: '1.3.0', private: false }],
    ['@aiots/test-utils', { version: '0.0.0', private: true }],
  ]),
  sourceExports: exportsMap,
};

function problems(pkg: Partial<PackedPackage> & { manifest?: Manifest }): string[] {
  return checkPackedPackage(
    { manifest: pkg.manifest ?? goodManifest, files: pkg.files ?? files() },
    context,
  );
}

describe('checkPackedPackage', () => {
  it('passes a package fit to publish', () => {
    expect(problems({})).toEqual([]);
  });

  it('wants the metadata npm shows and needs', () => {
    const {
      description,
      keywords,
      license,
      engines,
      publishConfig,
      files: f,
      ...rest
    } = goodManifest;
    expect(
      problems({ manifest: { ...rest, repository: { url: 'x', directory: 'packages/other' } } }),
    ).toEqual([
      '@aiots/demo: has no `description`',
      '@aiots/demo: has no `keywords`',
      '@aiots/demo: has no `license`',
      '@aiots/demo: has `repository.directory` "packages/other", expected "packages/demo"',
      '@aiots/demo: has no `engines.node`',
      '@aiots/demo: has no `publishConfig.access: "public"` (a scoped package is private by default)',
      '@aiots/demo: has no `files` whitelist',
      '@aiots/demo: ships dist/index.d.ts, which no `files` entry names',
      '@aiots/demo: ships dist/index.js, which no `files` entry names',
      '@aiots/demo: ships dist/index.js.map, which no `files` entry names',
    ]);
  });

  it('wants a README with an example that imports the package and a link to its reference', () => {
    expect(
      problems({ files: files({ 'README.md': '# demo\n\n```sh\nnpm i @aiots/demo\n```\n' }) }),
    ).toEqual([
      "@aiots/demo: README.md has no ```ts example that imports from '@aiots/demo'",
      `@aiots/demo: README.md does not link its API reference, ${apiDocsUrl(goodManifest)}`,
    ]);
    expect(problems({ files: files({}, ['README.md']) })).toEqual([
      '@aiots/demo: ships no README.md',
    ]);
  });

  it('finds tests, fixtures, sources and stray files', () => {
    expect(
      problems({
        files: files({
          'dist/test/helpers.js': '',
          'dist/lock.test.js': '',
          'dist/fixtures/page.html': '',
          'dist/index.ts': '',
          'dist/.DS_Store': '',
          'dist/tsconfig.tsbuildinfo': '',
          'tsconfig.json': '{}',
        }),
      }),
    ).toEqual([
      '@aiots/demo: ships a stray file, dist/.DS_Store',
      '@aiots/demo: ships a test fixture, dist/fixtures/page.html',
      '@aiots/demo: ships a stray file, dist/index.ts',
      '@aiots/demo: ships a test file, dist/lock.test.js',
      '@aiots/demo: ships a test file, dist/test/helpers.js',
      '@aiots/demo: ships a stray file, dist/tsconfig.tsbuildinfo',
      '@aiots/demo: ships tsconfig.json, which no `files` entry names',
    ]);
  });

  it('finds source maps that point at files neither shipped nor embedded', () => {
    const bare = JSON.stringify({ version: 3, sources: ['../src/index.ts'], mappings: 'AAAA' });
    expect(problems({ files: files({ 'dist/index.js.map': bare }) })).toEqual([
      '@aiots/demo: dist/index.js.map points at ../src/index.ts, which is neither shipped nor embedded (sourcesContent)',
    ]);
    // Shipping the source instead is fine.
    expect(
      problems({ files: files({ 'dist/index.js.map': bare, 'src/index.ts': 'x' }) }).filter((p) =>
        p.includes('.map'),
      ),
    ).toEqual([]);
    expect(problems({ files: files({}, ['dist/index.js.map']) })).toEqual([
      '@aiots/demo: dist/index.js names the source map index.js.map, which is not shipped',
    ]);
  });

  it('reports a package whose build is missing in one line', () => {
    expect(
      problems({ files: files({}, ['dist/index.js', 'dist/index.js.map', 'dist/index.d.ts']) }),
    ).toEqual([
      '@aiots/demo: is not built: exports["."]["types"] → ./dist/index.d.ts, exports["."]["default"] → ./dist/index.js are not in the package (its build must make them: pnpm --filter @aiots/demo build)',
    ]);
  });

  it('rejects the source condition unless its target ships, and exports that drift from the repository', () => {
    expect(problems({ manifest: { ...goodManifest, exports: exportsMap } })).toEqual([
      '@aiots/demo: exports["."]["@aiots/source"] keeps the @aiots/source condition, and ./src/index.ts is not shipped: give it publishConfig.exports without that condition',
      '@aiots/demo: publishes exports that differ from its own without the @aiots/source condition at ".": bring publishConfig.exports in line',
    ]);
    expect(
      problems({
        manifest: { ...goodManifest, exports: { '.': './dist/index.js' } },
      }),
    ).toEqual([
      '@aiots/demo: publishes exports that differ from its own without the @aiots/source condition at ".", "./package.json": bring publishConfig.exports in line',
    ]);
  });

  it('wants "types" first in each conditions object', () => {
    const swapped = { '.': { default: './dist/index.js', types: './dist/index.d.ts' } };
    expect(
      checkPackedPackage(
        { manifest: { ...goodManifest, exports: swapped }, files: files() },
        { ...context, sourceExports: swapped },
      ),
    ).toEqual([
      '@aiots/demo: exports["."] lists "types" after "default": TypeScript needs it first',
    ]);
  });

  it('checks bins: shipped, with a node shebang', () => {
    const manifest = { ...goodManifest, bin: { 'aiots-demo': './dist/cli.js' } };
    expect(problems({ manifest })).toEqual([
      '@aiots/demo: bin aiots-demo → ./dist/cli.js is not in the package',
    ]);
    expect(problems({ manifest, files: files({ 'dist/cli.js': 'console.log(1)' }) })).toEqual([
      '@aiots/demo: bin aiots-demo → ./dist/cli.js does not start with #!/usr/bin/env node',
    ]);
    expect(
      problems({ manifest, files: files({ 'dist/cli.js': '#!/usr/bin/env node\n' }) }),
    ).toEqual([]);
  });

  it('wants installable dependency ranges on public siblings the workspace satisfies', () => {
    expect(
      problems({
        manifest: {
          ...goodManifest,
          peerDependencies: { '@aiots/loop': '^2.0.0' },
          dependencies: { '@aiots/test-utils': '0.0.0', undici: 'workspace:^' },
        },
      }),
    ).toEqual([
      '@aiots/demo: dependencies.@aiots/test-utils is a private workspace package',
      '@aiots/demo: dependencies.undici is "workspace:^", which npm cannot install',
      `@aiots/demo: peerDependencies.@aiots/loop is "^2.0.0", which the workspace's @aiots/loop@1.3.0 does not satisfy`,
    ]);
  });
});
