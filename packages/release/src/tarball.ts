/**
 * Packing a package as `pnpm publish` does, and reading a tarball back: the checks look at
 * exactly the bytes a user would download.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runOk } from './exec.ts';
import type { Manifest } from './workspace.ts';

/** A package as it would be published: its files and its rewritten package.json. */
export interface PackedPackage {
  /** The package.json inside the tarball (workspace ranges resolved, publishConfig applied). */
  readonly manifest: Manifest;
  /** Every file, by its path inside the package (`dist/index.js`). */
  readonly files: ReadonlyMap<string, Buffer>;
}

/**
 * The tarball file name pnpm and npm use for a package.
 *
 * @param name `@aiots/sync`.
 * @param version `0.1.0`.
 * @returns `aiots-sync-0.1.0.tgz`.
 */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

/**
 * Packs a workspace package with `pnpm pack`, as `pnpm publish` would.
 *
 * @param dir The package directory.
 * @param outDir Where to write the tarball.
 * @returns The tarball's path.
 * @throws {Error} when pnpm fails.
 */
export async function packPackage(dir: string, outDir: string): Promise<string> {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  const out = join(outDir, tarballName(manifest.name, manifest.version));
  await runOk('pnpm', ['pack', '--out', out, '--json'], { cwd: dir, timeoutMs: 120_000 });
  return out;
}

function walk(dir: string, base: string, into: Map<string, Buffer>): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, base, into);
    else into.set(relative(base, path).split('\\').join('/'), readFileSync(path));
  }
}

/**
 * Reads a package tarball (`package/...` entries, as npm and pnpm write them).
 *
 * @param tarball The `.tgz` file.
 * @returns Its files and package.json.
 * @throws {Error} when the tarball cannot be read or holds no package.json.
 */
export async function readTarball(tarball: string): Promise<PackedPackage> {
  const dir = mkdtempSync(join(tmpdir(), 'aiots-tarball-'));
  try {
    await runOk('tar', ['-xzf', tarball, '-C', dir]);
    const files = new Map<string, Buffer>();
    walk(join(dir, 'package'), join(dir, 'package'), files);
    const json = files.get('package.json');
    if (json === undefined) throw new Error(`${tarball} holds no package/package.json`);
    return { manifest: JSON.parse(json.toString('utf8')) as Manifest, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
