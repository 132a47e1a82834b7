/**
 * Built packages for tests and benchmarks that run what users install (`dist/`): a
 * workspace package is built with its tsup config unless its `dist/` is newer than
 * everything it is built from. CI builds before testing (turbo's `build` dependency), so
 * there this only checks; run by hand after an edit, it rebuilds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The workspace root: two levels above any package (`packages/x`, `apps/x`). */
function rootOf(dir: string): string {
  return join(dir, '..', '..');
}

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

function tsupBin(rootDir: string): string {
  const require = createRequire(join(rootDir, 'package.json'));
  const pkgPath = require.resolve('tsup/package.json');
  const bin = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin: Record<string, string> }).bin;
  return join(dirname(pkgPath), bin.tsup as string);
}

/**
 * Builds the workspace package in `dir` unless its `dist/` is current.
 *
 * @param dir The package's directory.
 * @throws {Error} when the build fails (with tsup's output).
 * @example
 * ```ts no-run
 * ensureBuilt(fileURLToPath(new URL('..', import.meta.url)));
 * ```
 */
export function ensureBuilt(dir: string): void {
  const rootDir = rootOf(dir);
  const marker = join(dir, 'dist', 'index.d.ts');
  const inputs = Math.max(
    newest(join(dir, 'src')),
    newest(join(dir, 'package.json')),
    newest(join(dir, 'tsup.config.ts')),
    newest(join(rootDir, 'tsup.config.base.ts')),
    newest(join(rootDir, 'tsconfig.base.json')),
  );
  if (existsSync(marker) && statSync(marker).mtimeMs >= inputs) return;
  const r = spawnSync(process.execPath, [tsupBin(rootDir)], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building ${dir} failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * Makes sure `dist/` of the workspace packages `packageDir` depends on (named in build
 * order, resolved through its `node_modules`) and of `packageDir` itself is current.
 *
 * @param packageDir The package's directory.
 * @param deps Package names, e.g. `['@aiots/loop', '@aiots/sync']`.
 * @example
 * ```ts no-run
 * beforeAll(() => ensureDist(packageDir, ['@aiots/loop']));
 * ```
 */
export function ensureDist(packageDir: string, deps: readonly string[]): void {
  for (const dep of deps) ensureBuilt(realpathSync(join(packageDir, 'node_modules', dep)));
  ensureBuilt(packageDir);
}
