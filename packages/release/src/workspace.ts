/**
 * The workspace's packages as pnpm sees them (`pnpm ls -r`): every check in this package
 * iterates them, so a package or app joins the release checks by existing, never by being
 * added to a list.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOk } from './exec.ts';

/** The parts of a package.json the release tooling reads. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly type?: string;
  readonly description?: string;
  readonly keywords?: readonly string[];
  readonly license?: string;
  readonly repository?: {
    readonly type?: string;
    readonly url?: string;
    readonly directory?: string;
  };
  readonly engines?: Readonly<Record<string, string>>;
  readonly files?: readonly string[];
  readonly main?: string;
  readonly types?: string;
  readonly typings?: string;
  readonly module?: string;
  readonly exports?: unknown;
  readonly bin?: string | Readonly<Record<string, string>>;
  readonly scripts?: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly publishConfig?: Readonly<Record<string, unknown>>;
}

/** A package of the workspace. */
export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  readonly private: boolean;
  /** Absolute directory. */
  readonly dir: string;
  /** Directory relative to the workspace root, with `/` separators (`packages/sync`). */
  readonly relDir: string;
  readonly manifest: Manifest;
}

/** The repository root, found from this file's place in it. */
export const workspaceRoot: string = fileURLToPath(new URL('../../..', import.meta.url)).replace(
  /\/$/,
  '',
);

/** The dependency fields a published package brings to its users' installs. */
export const runtimeDependencyFields = [
  'dependencies',
  'peerDependencies',
  'optionalDependencies',
] as const;

/**
 * Reads a package.json.
 *
 * @param dir The package directory.
 * @returns Its manifest.
 */
export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/**
 * Every package of the workspace (the root excluded), as `pnpm ls -r` lists them.
 *
 * @param root The workspace root. Default: this repository.
 * @returns The packages, sorted by name.
 */
export async function workspacePackages(root: string = workspaceRoot): Promise<WorkspacePackage[]> {
  const listed = JSON.parse(
    await runOk('pnpm', ['ls', '-r', '--depth', '-1', '--json'], { cwd: root, timeoutMs: 60_000 }),
  ) as { name?: string; path: string }[];
  return listed
    .filter((entry) => entry.path !== root && entry.name !== undefined)
    .map((entry) => {
      const manifest = readManifest(entry.path);
      return {
        name: manifest.name,
        version: manifest.version,
        private: manifest.private === true,
        dir: entry.path,
        relDir: relative(root, entry.path).split('\\').join('/'),
        manifest,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The packages that get published: every workspace package not marked `private`.
 *
 * @param root The workspace root. Default: this repository.
 * @returns The public packages, sorted by name.
 */
export async function publicPackages(root: string = workspaceRoot): Promise<WorkspacePackage[]> {
  return (await workspacePackages(root)).filter((pkg) => !pkg.private);
}

/**
 * The bin names a manifest installs.
 *
 * @param manifest A package.json.
 * @returns Bin name → path inside the package.
 */
export function binsOf(manifest: Manifest): Record<string, string> {
  if (manifest.bin === undefined) return {};
  if (typeof manifest.bin === 'string') {
    return { [manifest.name.replace(/^@[^/]+\//, '')]: manifest.bin };
  }
  return { ...manifest.bin };
}

/**
 * The `exports` entries a package offers to importers (`.`, `./lowlevel`), without
 * `./package.json`.
 *
 * @param manifest A package.json.
 * @returns The subpaths, `.` first.
 */
export function importableEntries(manifest: Manifest): string[] {
  const exp = manifest.exports;
  if (exp === undefined || exp === null) return manifest.main === undefined ? [] : ['.'];
  if (typeof exp === 'string' || Array.isArray(exp)) return ['.'];
  const keys = Object.keys(exp as object);
  if (!keys.every((key) => key.startsWith('.'))) return ['.'];
  return keys.filter((key) => key !== './package.json' && !key.includes('*')).sort();
}
