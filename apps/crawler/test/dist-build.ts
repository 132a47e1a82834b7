/**
 * The built command for the end-to-end tests: `dist/cli.js` of this package, built (with the
 * workspace packages it imports) unless `dist/` is newer than everything it comes from. CI
 * builds before testing (turbo's `build` dependency), so there this only checks; run by hand
 * after an edit, it rebuilds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
const rootDir = join(packageDir, '..', '..');

function newest(path: string): number {
  if (!existsSync(path)) return 0;
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

/** The workspace packages the built command runs on, in build order. */
export const CLI_DEPS = ['@aiots/loop', '@aiots/sync', '@aiots/http', '@aiots/redis'];

/** Makes sure `dist/` of the given workspace packages (in build order) and of this one is current. */
export function ensureDist(deps: readonly string[]): void {
  for (const dep of deps) ensureBuilt(realpathSync(join(packageDir, 'node_modules', dep)));
  ensureBuilt(packageDir);
}

/** `dist/cli.js`: what the package's bin points at. */
export const cliPath = join(packageDir, 'dist', 'cli.js');

/** The environment of a CLI run: the user's, without vitest's NODE_OPTIONS. */
export function cliEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.FORCE_COLOR;
  return env;
}
