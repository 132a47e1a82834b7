/**
 * `pnpm version-packages`: applies the pending changesets (`changeset version`: versions,
 * internal dependency ranges, CHANGELOG.md entries, the changeset files removed), then
 * makes every `api-surface.json` cite the released version instead of the changesets it
 * consumed. Commit the result; `pnpm release` publishes it.
 *
 * Usage: `node packages/release/src/version.ts`.
 */
import { citeReleasedVersion, pendingChangesets } from './changesets.ts';
import { run } from './exec.ts';
import { publicPackages, workspaceRoot } from './workspace.ts';

/**
 * Versions the workspace.
 *
 * @param root The workspace root.
 * @returns The process exit code: 0 when done, 1 when there was nothing to apply or
 *   `changeset version` failed.
 */
export async function versionPackages(root: string = workspaceRoot): Promise<number> {
  const before = pendingChangesets(root);
  if (before.length === 0) {
    console.error('version-packages: no changesets to apply: add one with pnpm changeset');
    return 1;
  }
  const result = await run('pnpm', ['exec', 'changeset', 'version'], { cwd: root, echo: true });
  if (result.code !== 0) {
    console.error('version-packages: changeset version failed (output above)');
    return 1;
  }
  const after = new Set(pendingChangesets(root));
  const consumed = new Set(before.filter((id) => !after.has(id)));
  let citations = 0;
  for (const pkg of await publicPackages(root)) citations += citeReleasedVersion(pkg, consumed);
  console.log(
    `version-packages: applied ${consumed.size} changesets; ${citations} api-surface.json citations now name the released version`,
  );
  return 0;
}

if (import.meta.main) process.exitCode = await versionPackages();
