import { defineConfig, type ViteUserConfig } from 'vitest/config';

// Vite's default server conditions, with ours first: tests import `@aiots/*` packages by
// name and read their TypeScript sources, so no build is needed before testing.
const conditions = ['@aiots/source', 'module', 'node', 'development|production'];

/**
 * The vitest configuration every workspace package shares. A package's
 * `vitest.config.ts` is one line: `export default aiotsVitest();`.
 *
 * @param options.passWithNoTests Only for a package that has no tests yet.
 * @returns The config for `vitest.config.ts` to export.
 */
export function aiotsVitest(options: { passWithNoTests?: boolean } = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@aiots/source'] } },
    test: {
      include: ['test/**/*.test.ts'],
      environment: 'node',
      pool: 'forks',
      // Real processes, sockets and workers on a two-core machine that may be running other
      // suites at the same time: a test that takes seconds is slow, not hung. A hang still
      // fails, after half a minute.
      testTimeout: 30_000,
      hookTimeout: 30_000,
      passWithNoTests: options.passWithNoTests ?? false,
    },
  });
}
