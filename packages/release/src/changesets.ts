/**
 * The pending changesets of the workspace, and the one bookkeeping step `changeset version`
 * does not know about: `api-surface.json` cites, for each public name, the changeset that
 * introduced it until that changeset is released, and the version that shipped it after.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkspacePackage } from './workspace.ts';

/**
 * The ids of the changesets waiting in `.changeset/` (file names without `.md`).
 *
 * @param root The workspace root.
 * @returns The ids, sorted.
 */
export function pendingChangesets(root: string): string[] {
  const dir = join(root, '.changeset');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .map((file) => file.slice(0, -3))
    .sort();
}

/**
 * True when a package's CHANGELOG.md has a heading for `version`: `changeset version` wrote
 * it, so the version came from a changeset.
 *
 * @param pkg The package.
 * @param version The version to look for.
 * @returns Whether the entry exists.
 */
export function hasChangelogEntry(pkg: Pick<WorkspacePackage, 'dir'>, version: string): boolean {
  const file = join(pkg.dir, 'CHANGELOG.md');
  if (!existsSync(file)) return false;
  const escaped = version.replace(/[.+]/g, '\\$&');
  return new RegExp(`^#{1,6}\\s+${escaped}\\s*$`, 'm').test(readFileSync(file, 'utf8'));
}

type Citations = Record<string, Record<string, string>>;

/**
 * Rewrites the citations of `api-surface.json` after a release: a name that cites a
 * changeset now consumed cites the version of the package that shipped it.
 *
 * @param pkg The package, with its manifest read after versioning.
 * @param consumed The ids of the changesets that `changeset version` applied.
 * @returns How many citations changed (0 when the package has no `api-surface.json`).
 */
export function citeReleasedVersion(pkg: WorkspacePackage, consumed: ReadonlySet<string>): number {
  const file = join(pkg.dir, 'api-surface.json');
  if (!existsSync(file)) return 0;
  const surface = JSON.parse(readFileSync(file, 'utf8')) as {
    entries: Citations;
    removed?: Citations;
  };
  let changed = 0;
  for (const group of [surface.entries, surface.removed ?? {}]) {
    for (const names of Object.values(group)) {
      for (const [name, cite] of Object.entries(names)) {
        if (consumed.has(cite)) {
          names[name] = pkg.version;
          changed++;
        }
      }
    }
  }
  if (changed > 0) writeFileSync(file, `${JSON.stringify(surface, null, 2)}\n`);
  return changed;
}
