import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageDir } from './helpers.ts';

const rootDir = join(packageDir, '..', '..');

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

function tsupBin(): string {
  const require = createRequire(join(rootDir, 'package.json'));
  const pkgPath = require.resolve('tsup/package.json');
  const bin = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin: Record<string, string> }).bin;
  return join(dirname(pkgPath), bin.tsup as string);
}

/**
 * Builds `dir` (a workspace package) with its tsup config unless its `dist` is newer than
 * everything it is built from. CI builds before testing (turbo's `build` dependency), so
 * there this only checks; run by hand after an edit, it rebuilds.
 */
function ensureBuilt(dir: string): void {
  const marker = join(dir, 'dist', 'index.d.ts');
  const inputs = Math.max(
    newest(join(dir, 'src')),
    newest(join(dir, 'package.json')),
    newest(join(dir, 'tsup.config.ts')),
    newest(join(rootDir, 'tsup.config.base.ts')),
    newest(join(rootDir, 'tsconfig.base.json')),
  );
  if (existsSync(marker) && statSync(marker).mtimeMs >= inputs) return;
  const r = spawnSync(process.execPath, [tsupBin()], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building ${dir} failed:\n${r.stdout}\n${r.stderr}`);
}

/** Makes sure the `dist` of `@aiots/loop`, `@aiots/sync`, `@aiots/redis` and this package are current. */
export function ensureDist(): void {
  for (const dep of ['loop', 'sync', 'redis']) {
    ensureBuilt(realpathSync(join(packageDir, 'node_modules', '@aiots', dep)));
  }
  ensureBuilt(packageDir);
}
