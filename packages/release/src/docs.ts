/**
 * `pnpm docs`: the API reference of every public package, by TypeDoc, into `docs/api/`.
 *
 * The entry points are read from each public package's `exports` map (the TypeScript file
 * behind its `@aiots/source` condition), so a new package or subpath is documented by
 * existing. Each module is named by its import specifier (`@aiots/loop/lowlevel`).
 * Validation is on and every warning is an error: an export without a comment, a broken
 * `{@link}`, or a type the reference would need but cannot show fails the run.
 *
 * Usage: `node packages/release/src/docs.ts [--out DIR]`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Application, type DeclarationReflection, LogLevel, ReflectionKind } from 'typedoc';
import { apiDocsBaseUrl, apiDocsDir, moduleName } from './docs-site.ts';
import {
  importableEntries,
  publicPackages,
  type WorkspacePackage,
  workspaceRoot,
} from './workspace.ts';

/** A module of the reference: an import specifier and the source file behind it. */
export interface DocEntry {
  /** `@aiots/loop/lowlevel`. */
  readonly name: string;
  /** Absolute path of the TypeScript source. */
  readonly file: string;
}

/**
 * The TypeScript source behind an `exports` entry: the target of its `@aiots/source`
 * condition.
 *
 * @param pkg A workspace package.
 * @param entry `.` or a subpath.
 * @returns The absolute path, or undefined when the entry has no source condition.
 */
export function sourceOf(pkg: WorkspacePackage, entry: string): string | undefined {
  const exp = pkg.manifest.exports as Record<string, unknown> | undefined;
  const target = exp?.[entry];
  if (typeof target !== 'object' || target === null) return undefined;
  const source = (target as Record<string, unknown>)['@aiots/source'];
  return typeof source === 'string' ? join(pkg.dir, source) : undefined;
}

/**
 * Every module of the reference, from the public packages' `exports` maps.
 *
 * @param packages The public packages.
 * @returns One entry per importable subpath that has a TypeScript source.
 */
export function docEntries(packages: readonly WorkspacePackage[]): DocEntry[] {
  const out: DocEntry[] = [];
  for (const pkg of packages) {
    for (const entry of importableEntries(pkg.manifest)) {
      const file = sourceOf(pkg, entry);
      if (file !== undefined) out.push({ name: moduleName(pkg.name, entry), file });
    }
  }
  return out;
}

/**
 * The web address of the repository the packages name in `repository.url`.
 *
 * @param packages The public packages.
 * @returns `https://github.com/aiots/aiots`.
 * @throws {Error} when no package names a repository.
 */
export function repositoryWebUrl(packages: readonly WorkspacePackage[]): string {
  const url = packages.find((pkg) => pkg.manifest.repository?.url)?.manifest.repository?.url;
  if (url === undefined) throw new Error('No public package has a repository.url');
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}

/**
 * Builds the reference.
 *
 * @param outDir Where to write the site.
 * @param packages The packages to document. Default: the workspace's public packages.
 * @returns The number of modules documented (0 when validation or rendering failed, and
 *   nothing is written), and every warning and error TypeDoc reported (also logged).
 */
export async function buildDocs(
  outDir: string,
  packages?: readonly WorkspacePackage[],
): Promise<{ modules: number; problems: string[] }> {
  packages ??= await publicPackages();
  const entries = docEntries(packages);
  // One program over every entry, reading sibling packages from their sources (the
  // `@aiots/source` condition), so a link from @aiots/http to @aiots/loop's Task resolves.
  const configDir = mkdtempSync(join(tmpdir(), 'aiots-docs-'));
  const tsconfig = join(configDir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(workspaceRoot, 'tsconfig.base.json'),
      compilerOptions: {
        noEmit: true,
        // A package may keep plain JavaScript modules (worker entry points) next to its
        // TypeScript, typed by JSDoc.
        allowJs: true,
        typeRoots: [join(workspaceRoot, 'node_modules', '@types')],
      },
      files: entries.map((entry) => entry.file),
    }),
  );
  try {
    const app = await Application.bootstrapWithPlugins({
      entryPoints: entries.map((entry) => entry.file),
      entryPointStrategy: 'resolve',
      tsconfig,
      out: outDir,
      name: 'aiots',
      readme: join(workspaceRoot, 'docs', 'api-index.md'),
      hostedBaseUrl: apiDocsBaseUrl,
      excludePrivate: true,
      excludeInternal: true,
      excludeExternals: true,
      validation: { notExported: true, invalidLink: true, notDocumented: true },
      requiredToBeDocumented: [
        'Enum',
        'Variable',
        'Function',
        'Class',
        'Interface',
        'TypeAlias',
        'Namespace',
      ],
      treatWarningsAsErrors: true,
      treatValidationWarningsAsErrors: true,
      githubPages: true,
      // "Defined in" links point at the repository's main branch (no local git lookup).
      disableGit: true,
      displayBasePath: workspaceRoot,
      sourceLinkTemplate: `${repositoryWebUrl(packages)}/blob/main/{path}#L{line}`,
      sort: ['kind', 'alphabetical'],
      logLevel: 'Warn',
    });
    const problems: string[] = [];
    const log = app.logger.log.bind(app.logger);
    app.logger.log = (message: string, level: LogLevel) => {
      if (level >= LogLevel.Warn) problems.push(message);
      log(message, level);
    };
    const failed = () => app.logger.hasErrors() || app.logger.hasWarnings();
    const project = await app.convert();
    if (project === undefined) return { modules: 0, problems };
    const byFile = new Map(entries.map((entry) => [resolve(entry.file), entry.name]));
    for (const module of project.getReflectionsByKind(ReflectionKind.Module)) {
      const file = (module as DeclarationReflection).sources?.[0]?.fullFileName;
      const name = file === undefined ? undefined : byFile.get(resolve(file));
      if (name !== undefined) module.name = name;
    }
    app.validate(project);
    if (failed()) return { modules: 0, problems };
    await app.generateDocs(project, outDir);
    return { modules: failed() ? 0 : entries.length, problems };
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const outDir = resolve(values.out ?? join(workspaceRoot, apiDocsDir));
  const { modules } = await buildDocs(outDir);
  if (modules === 0) {
    console.error('docs: the API reference was not written: fix the problems above');
    process.exit(1);
  }
  console.log(`docs: ${modules} modules documented in ${outDir}`);
}
