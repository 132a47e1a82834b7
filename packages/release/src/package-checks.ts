/**
 * What a published package must be, checked on its tarball: the metadata npm shows, a
 * README with a runnable example and a link to the API reference, only the files a user
 * needs (no tests, fixtures, sources or stray files), source maps that resolve, entry points
 * (`exports`, `main`, `types`, `bin`) that point at shipped files, and dependency ranges
 * that npm can resolve. Each problem is one line that names the package and says what to do.
 */
import { posix } from 'node:path';
import semverSatisfies from 'semver/functions/satisfies.js';
import { apiDocsBaseUrl, apiDocsUrl } from './docs-site.ts';
import type { PackedPackage } from './tarball.ts';
import { binsOf, importableEntries, type Manifest, runtimeDependencyFields } from './workspace.ts';

/** What the checks know about the workspace. */
export interface CheckContext {
  /** The package's directory relative to the workspace root (`packages/sync`). */
  readonly relDir: string;
  /** Every workspace package by name: its version and whether it is private. */
  readonly workspace: ReadonlyMap<string, { readonly version: string; readonly private: boolean }>;
  /** The `exports` of the package.json in the repository, which the tarball's must match. */
  readonly sourceExports?: unknown;
}

/** The export condition that points the workspace's own tools at TypeScript sources. */
export const sourceCondition = '@aiots/source';

/** Files npm and pnpm put at a package's root whatever `files` says. */
const rootFiles = new Set(['package.json', 'README.md', 'LICENSE', 'LICENSE.md', 'CHANGELOG.md']);

const testPath = /(^|\/)(test|tests|__tests__|\.doc-examples)\/|\.(test|spec|bench)\.[cm]?[jt]sx?$/;
const fixturePath = /(^|\/)(fixtures?|__fixtures__)\//;
/** Files that never belong in a package, even inside a `files` directory. */
const strayFile =
  /(^|\/)(\.[^/]+|node_modules\/.*|[^/]+\.(tsbuildinfo|tgz|log|orig|rej|swp)|(?![^/]+\.d\.[cm]?ts$)[^/]+\.[cm]?tsx?)$/;
const codeFile = /\.([cm]?js|d\.[cm]?ts)$/;

/**
 * Checks a packed package.
 *
 * @param pkg The package as read from its tarball.
 * @param context Where it lives in the workspace, and the workspace's packages.
 * @returns One line per problem, each starting with the package name; empty when the
 *   package is fit to publish.
 */
export function checkPackedPackage(pkg: PackedPackage, context: CheckContext): string[] {
  const name = pkg.manifest.name;
  return [
    ...checkMetadata(pkg.manifest, context.relDir),
    ...checkReadme(pkg),
    ...checkFiles(pkg),
    ...checkSourceMaps(pkg),
    ...checkEntryPoints(pkg),
    ...checkPublishedExports(pkg.manifest, context),
    ...checkDependencies(pkg.manifest, context),
  ].map((problem) => `${name}: ${problem}`);
}

function nonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

function checkMetadata(manifest: Manifest, relDir: string): string[] {
  const problems: string[] = [];
  if (manifest.private === true) problems.push('is marked private, so it cannot be published');
  if (!nonEmptyString(manifest.description)) problems.push('has no `description`');
  if (
    !Array.isArray(manifest.keywords) ||
    manifest.keywords.length === 0 ||
    !manifest.keywords.every(nonEmptyString)
  ) {
    problems.push('has no `keywords`');
  }
  if (!nonEmptyString(manifest.license)) problems.push('has no `license`');
  const repo = manifest.repository;
  if (typeof repo !== 'object' || repo === null || !nonEmptyString(repo.url)) {
    problems.push('has no `repository.url`');
  } else if (repo.directory !== relDir) {
    problems.push(
      `has \`repository.directory\` ${JSON.stringify(repo.directory)}, expected ${JSON.stringify(relDir)}`,
    );
  }
  if (!nonEmptyString(manifest.engines?.node)) problems.push('has no `engines.node`');
  if (manifest.publishConfig?.access !== 'public') {
    problems.push(
      'has no `publishConfig.access: "public"` (a scoped package is private by default)',
    );
  }
  if (!Array.isArray(manifest.files) || manifest.files.length === 0) {
    problems.push('has no `files` whitelist');
  }
  return problems;
}

/** The fenced code blocks of a Markdown text, with their info strings. */
function fences(markdown: string): { info: string; code: string }[] {
  const out: { info: string; code: string }[] = [];
  const re = /^(`{3,})([^\n`]*)\n([\s\S]*?)^\1[ \t]*$/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) {
    out.push({ info: (m[2] ?? '').trim(), code: m[3] ?? '' });
  }
  return out;
}

function checkReadme(pkg: PackedPackage): string[] {
  const readme = pkg.files.get('README.md');
  if (readme === undefined) return ['ships no README.md'];
  const text = readme.toString('utf8');
  const problems: string[] = [];
  const name = pkg.manifest.name;
  const blocks = fences(text);
  const library = importableEntries(pkg.manifest).length > 0;
  const imports = new RegExp(
    `(from\\s+|import\\(|require\\()['"]${name.replace('/', '\\/')}(/[^'"]*)?['"]`,
  );
  const bins = Object.keys(binsOf(pkg.manifest));
  const runsBin = (code: string) =>
    bins.some((bin) => new RegExp(`(^|\\s)${bin}(\\s|$)`, 'm').test(code));
  const hasExample = library
    ? blocks.some(
        (b) => /^(ts|js|tsx|mjs|cjs|typescript|javascript)\b/.test(b.info) && imports.test(b.code),
      )
    : blocks.some((b) => /^(sh|bash|shell|console)\b/.test(b.info) && runsBin(b.code));
  if (!hasExample) {
    problems.push(
      library
        ? `README.md has no \`\`\`ts example that imports from '${name}'`
        : `README.md has no \`\`\`sh example that runs ${bins.join(' or ') || 'its bin'}`,
    );
  }
  if (library && !text.includes(apiDocsUrl(pkg.manifest))) {
    problems.push(`README.md does not link its API reference, ${apiDocsUrl(pkg.manifest)}`);
  } else if (!library && !text.includes(apiDocsBaseUrl)) {
    problems.push(`README.md does not link the API reference, ${apiDocsBaseUrl}`);
  }
  return problems;
}

/** Normalizes a path from package.json (`./dist/`, `dist`) to a tarball path (`dist`). */
function packagePath(path: string): string {
  return posix.normalize(path).replace(/^\.\//, '').replace(/\/$/, '');
}

function checkFiles(pkg: PackedPackage): string[] {
  const whitelist = (pkg.manifest.files ?? []).map(packagePath);
  const problems: string[] = [];
  for (const path of [...pkg.files.keys()].sort()) {
    if (testPath.test(path)) problems.push(`ships a test file, ${path}`);
    else if (fixturePath.test(path)) problems.push(`ships a test fixture, ${path}`);
    else if (rootFiles.has(path)) continue;
    else if (strayFile.test(path)) problems.push(`ships a stray file, ${path}`);
    else if (!whitelist.some((entry) => path === entry || path.startsWith(`${entry}/`))) {
      problems.push(`ships ${path}, which no \`files\` entry names`);
    }
  }
  if (!pkg.files.has('LICENSE') && !pkg.files.has('LICENSE.md')) problems.push('ships no LICENSE');
  return problems;
}

function checkSourceMaps(pkg: PackedPackage): string[] {
  const problems: string[] = [];
  for (const [path, content] of pkg.files) {
    if (path.endsWith('.map')) {
      let map: { sources?: unknown; sourcesContent?: unknown; sourceRoot?: unknown };
      try {
        map = JSON.parse(content.toString('utf8')) as typeof map;
      } catch {
        problems.push(`ships ${path}, which is not a JSON source map`);
        continue;
      }
      const sources = Array.isArray(map.sources) ? (map.sources as unknown[]) : [];
      const contents = Array.isArray(map.sourcesContent) ? (map.sourcesContent as unknown[]) : [];
      const root = typeof map.sourceRoot === 'string' ? map.sourceRoot : '';
      sources.forEach((source, i) => {
        if (typeof contents[i] === 'string') return;
        const resolved = posix.normalize(posix.join(posix.dirname(path), root, String(source)));
        if (!pkg.files.has(resolved)) {
          problems.push(
            `${path} points at ${String(source)}, which is neither shipped nor embedded (sourcesContent)`,
          );
        }
      });
    } else if (codeFile.test(path)) {
      const text = content.toString('utf8');
      const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text);
      if (m === null || (m[1] as string).startsWith('data:')) continue;
      const resolved = posix.normalize(posix.join(posix.dirname(path), m[1] as string));
      if (!pkg.files.has(resolved)) {
        problems.push(`${path} names the source map ${m[1]}, which is not shipped`);
      }
    }
  }
  return problems;
}

interface ExportTarget {
  /** `exports["./lowlevel"].types`. */
  readonly where: string;
  readonly target: string;
  /** The condition keys on the way, outermost first. */
  readonly conditions: readonly string[];
}

function exportTargets(
  value: unknown,
  where: string,
  conditions: string[],
  out: ExportTarget[],
): void {
  if (typeof value === 'string') out.push({ where, target: value, conditions });
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) exportTargets(v, `${where}[${i}]`, conditions, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      exportTargets(
        v,
        `${where}[${JSON.stringify(key)}]`,
        key.startsWith('.') ? conditions : [...conditions, key],
        out,
      );
    }
  }
}

/** Every conditions object of an `exports` value, to check the order of its keys. */
function conditionObjects(value: unknown, where: string, out: [string, string[]][]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const keys = Object.keys(value);
  if (keys.length > 0 && !keys[0]?.startsWith('.')) out.push([where, keys]);
  for (const [key, v] of Object.entries(value))
    conditionObjects(v, `${where}[${JSON.stringify(key)}]`, out);
}

function checkEntryPoints(pkg: PackedPackage): string[] {
  const { manifest, files } = pkg;
  const problems: string[] = [];
  const targets: ExportTarget[] = [];
  exportTargets(manifest.exports, 'exports', [], targets);
  for (const field of ['main', 'types', 'typings', 'module'] as const) {
    const value: unknown = manifest[field];
    if (typeof value === 'string') targets.push({ where: field, target: value, conditions: [] });
  }
  const missing: string[] = [];
  for (const { where, target, conditions } of targets) {
    if (target.includes('*')) continue;
    const shipped = files.has(packagePath(target));
    if (conditions.includes(sourceCondition)) {
      if (!shipped) {
        problems.push(
          `${where} keeps the ${sourceCondition} condition, and ${target} is not shipped: give it publishConfig.exports without that condition`,
        );
      }
    } else if (!shipped) missing.push(`${where} → ${target}`);
  }
  if (missing.length > 0) {
    problems.push(
      `is not built: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the package (its build must make ${missing.length === 1 ? 'it' : 'them'}: pnpm --filter ${manifest.name} build)`,
    );
  }
  const objects: [string, string[]][] = [];
  conditionObjects(manifest.exports, 'exports', objects);
  for (const [where, keys] of objects) {
    const types = keys.indexOf('types');
    const firstOther = keys.findIndex((k) => k !== 'types' && k !== sourceCondition);
    if (types > firstOther && firstOther !== -1) {
      problems.push(
        `${where} lists "types" after "${keys[firstOther]}": TypeScript needs it first`,
      );
    }
  }
  for (const [bin, target] of Object.entries(binsOf(manifest))) {
    const file = files.get(packagePath(target));
    if (file === undefined) problems.push(`bin ${bin} → ${target} is not in the package`);
    else if (!file.toString('utf8', 0, 64).startsWith('#!/usr/bin/env node')) {
      problems.push(`bin ${bin} → ${target} does not start with #!/usr/bin/env node`);
    }
  }
  return problems;
}

/**
 * The `exports` a package publishes: its own, without the workspace's source condition, as
 * `publishConfig.exports` must give them.
 *
 * @param exports The `exports` of a package.json.
 * @returns The same map, with every `@aiots/source` condition removed.
 */
export function publishedExports(exports: unknown): unknown {
  if (Array.isArray(exports)) return exports.map(publishedExports);
  if (typeof exports !== 'object' || exports === null) return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== sourceCondition)
      .map(([key, value]) => [key, publishedExports(value)]),
  );
}

function checkPublishedExports(manifest: Manifest, context: CheckContext): string[] {
  if (context.sourceExports === undefined) return [];
  const expected = publishedExports(context.sourceExports);
  const published = manifest.exports;
  if (JSON.stringify(published) === JSON.stringify(expected)) return [];
  const keysOf = (v: unknown) => (typeof v === 'object' && v !== null ? Object.keys(v) : ['.']);
  const at = (v: unknown, k: string) =>
    typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : v;
  const differing = [...new Set([...keysOf(expected), ...keysOf(published)])].filter(
    (key) => JSON.stringify(at(expected, key)) !== JSON.stringify(at(published, key)),
  );
  return [
    `publishes exports that differ from its own without the ${sourceCondition} condition at ${differing.map((k) => JSON.stringify(k)).join(', ')}: bring publishConfig.exports in line`,
  ];
}

function checkDependencies(manifest: Manifest, context: CheckContext): string[] {
  const problems: string[] = [];
  for (const field of runtimeDependencyFields) {
    for (const [dep, spec] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|link|file|catalog|portal):/.test(spec)) {
        problems.push(`${field}.${dep} is ${JSON.stringify(spec)}, which npm cannot install`);
        continue;
      }
      const sibling = context.workspace.get(dep);
      if (sibling === undefined) continue;
      if (sibling.private) problems.push(`${field}.${dep} is a private workspace package`);
      else if (!semverSatisfies(sibling.version, spec)) {
        problems.push(
          `${field}.${dep} is ${JSON.stringify(spec)}, which the workspace's ${dep}@${sibling.version} does not satisfy`,
        );
      }
    }
  }
  return problems;
}
