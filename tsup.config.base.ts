import type { Options } from 'tsup';

/**
 * The one tsup configuration every publishable package shares: ESM only, declarations,
 * source maps, Node 24. A package's `tsup.config.ts` is one line:
 *
 * ```ts
 * export default aiotsTsup(['src/testing.ts']);
 * ```
 *
 * @param extraEntries Entry points besides `src/index.ts` (each becomes `dist/<name>.js`).
 * @returns The tsup options for `tsup.config.ts` to export.
 */
export function aiotsTsup(extraEntries: readonly string[] = []): Options {
  return {
    entry: ['src/index.ts', ...extraEntries],
    format: ['esm'],
    target: 'node24',
    platform: 'node',
    dts: {
      // Declarations are built against the siblings' published `dist` types (turbo builds
      // them first), never against their sources, so the shipped .d.ts matches npm.
      compilerOptions: { customConditions: [], stripInternal: true },
    },
    // The maps embed the TypeScript they point at (esbuild's sourcesContent), so they resolve
    // in the published package, which ships dist/ only.
    sourcemap: true,
    clean: true,
    // Entries share one copy of each module (a chunk), so `instanceof Task` holds across
    // `@aiots/x` and `@aiots/x/testing`.
    splitting: true,
    // Class names survive bundling (esbuild renames `class Future` to `_Future` when the
    // class refers to itself), so `toString()` and `constructor.name` read as in the source.
    keepNames: true,
  };
}
