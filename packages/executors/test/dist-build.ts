/** The package as built, for the tests that run `dist/`: built unless it is current. */
import { fileURLToPath } from 'node:url';
import { ensureDist as ensureBuiltWith } from '@aiots/test-utils';

/** This package's directory. */
export const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Makes sure `@aiots/loop`'s and this package's `dist` are current. */
export function ensureDist(): void {
  ensureBuiltWith(packageDir, ['@aiots/loop']);
}
