/**
 * The layering check of the design (loop ← sync ← executors/streams/http/redis, streams ←
 * serial): a package's sources import only the public entries of the packages below it,
 * Node's built-ins, the npm dependencies it declares, and its own modules (never its own
 * `index.ts`), and touch no `_` member that another package declares.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

/** Options of `layeringTests`. */
export interface LayeringOptions {
  /** `@aiots/*` entries the package may import (`'@aiots/loop'`, `'@aiots/loop/lowlevel'`). */
  readonly aiots: readonly string[];
}

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(path));
    else if (/\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The text of a source file without comments (TSDoc examples import the package itself). */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

/**
 * Registers the layering test of a package, for `test/layering.test.ts`.
 *
 * @param packageDir The package directory: `new URL('..', import.meta.url)` from `test/`.
 * @param options The `@aiots/*` entries the package may import.
 * @example
 * ```ts no-run
 * // packages/sync/test/layering.test.ts
 * import { layeringTests } from '@aiots/test-utils';
 * layeringTests(new URL('..', import.meta.url), { aiots: ['@aiots/loop', '@aiots/loop/lowlevel'] });
 * ```
 */
export function layeringTests(packageDir: string | URL, options: LayeringOptions): void {
  const dir = resolve(
    typeof packageDir === 'string' && !packageDir.startsWith('file:')
      ? packageDir
      : fileURLToPath(packageDir),
  );
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const npmDeps = new Set(
    [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})].filter(
      (d) => !d.startsWith('@aiots/'),
    ),
  );
  const builtins = new Set(builtinModules);
  const src = join(dir, 'src');

  it(`${pkg.name} imports only ${options.aiots.join(', ') || 'no @aiots package'}, its declared dependencies, built-ins and its own modules, and touches no foreign _ member`, () => {
    const files = listSources(src);
    // The `_` members the package declares itself (`_notify(n) {`, `readonly _x = ...`).
    const own = new Set(
      files.flatMap((f) =>
        [
          ...code(f).matchAll(
            /^\s+(?:(?:readonly|static|get|set|override|async|protected|private|public)\s+)*(_[A-Za-z]\w*)\s*[(:=?]/gm,
          ),
        ].map((m) => m[1] as string),
      ),
    );
    const bad: string[] = [];
    let imports = 0;
    for (const file of files) {
      const text = code(file);
      const rel = file.slice(src.length + 1);
      const specs = [
        ...text.matchAll(/^\s*(?:import|export)[^'";]*?from\s+'([^']+)'/gm),
        ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      ].map((m) => m[1] as string);
      for (const spec of specs) {
        imports++;
        const bare = spec.startsWith('node:') ? spec.slice(5) : spec;
        const npmName = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : spec.split('/')[0];
        const ok =
          options.aiots.includes(spec) ||
          (spec.startsWith('./') && !/^\.\/index\.[jt]s$/.test(spec)) ||
          (spec.startsWith('../') && !spec.endsWith('/index.ts')) ||
          spec.startsWith('node:') ||
          builtins.has(bare) ||
          (!spec.startsWith('@aiots/') && npmDeps.has(npmName as string));
        if (!ok) bad.push(`${rel} imports ${spec}`);
      }
      for (const m of text.matchAll(/\.(_[A-Za-z]\w*)\b/g)) {
        const name = m[1] as string;
        if (!own.has(name)) bad.push(`${rel} uses ${name}, a _ member it does not declare`);
      }
    }
    expect(imports, 'no imports found: wrong directory?').toBeGreaterThan(0);
    expect(bad).toEqual([]);
  });
}
