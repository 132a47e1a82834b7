/**
 * The built command for the end-to-end tests: `dist/cli.js` of this package, built (with the
 * workspace packages it imports) unless `dist/` is newer than everything it comes from.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDist as ensureBuiltWith } from '@aiots/test-utils';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** The workspace packages the built command runs on, in build order. */
export const CLI_DEPS = ['@aiots/loop', '@aiots/sync', '@aiots/http', '@aiots/redis'];

/** Makes sure `dist/` of the given workspace packages (in build order) and of this one is current. */
export function ensureDist(deps: readonly string[]): void {
  ensureBuiltWith(packageDir, deps);
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
