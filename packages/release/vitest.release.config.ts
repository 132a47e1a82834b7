import { defineConfig } from 'vitest/config';

// `pnpm test:release`: the tarball checks of every public package and the end-to-end release
// on a local registry. One file at a time: the release test owns the registry and the
// machine's two cores while it runs.
export default defineConfig({
  test: {
    include: ['test-release/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    reporters: ['verbose'],
  },
});
