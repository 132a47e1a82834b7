import { defineConfig } from 'vitest/config';

// `vitest` at the root runs every package's suite in one process; each package's own
// `vitest.config.ts` (the shared base in vitest.config.base.ts) applies inside it.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'examples'],
  },
});
