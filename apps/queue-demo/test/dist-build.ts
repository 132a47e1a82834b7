/** The built command for the end-to-end tests, built unless `dist/` is current. */
import { ensureDist as ensureBuiltWith } from '@aiots/test-utils';
import { packageDir } from './helpers.ts';

/** Makes sure the `dist` of `@aiots/loop`, `@aiots/sync`, `@aiots/redis` and this package are current. */
export function ensureDist(): void {
  ensureBuiltWith(packageDir, ['@aiots/loop', '@aiots/sync', '@aiots/redis']);
}
