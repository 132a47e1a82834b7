/**
 * `pnpm release`: publishes every public package whose version is not on the registry yet,
 * after checking that it is safe to. In order:
 *
 * 1. the working tree is clean (what is published is what is committed);
 * 2. no changeset is waiting (`pnpm version-packages` ran and was committed);
 * 3. the workspace builds (`pnpm run build`);
 * 4. `changeset pack` packs what `changeset publish` would publish, and writes its plan;
 * 5. every tarball in the plan passes the package checks (built, metadata, files, maps,
 *    exports) and its version has a CHANGELOG.md entry (it came from a changeset);
 * 6. a version already on the registry that this repository never released (no git tag
 *    `name@version`) must hold what the repository holds, or it cannot be published;
 * 7. publint and are-the-types-wrong pass for every package (`pnpm run check:packages`);
 * 8. `changeset publish --from-pack-dir` publishes exactly the checked tarballs and tags them.
 *
 * Any failure before step 8 prints one line per problem, `release: ...`, and publishes
 * nothing. The registry is npm's configuration (`.npmrc`, `npm_config_*`), as for
 * `changeset publish`.
 *
 * Usage: `node packages/release/src/release.ts`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasChangelogEntry, pendingChangesets } from './changesets.ts';
import { type CommandResult, run } from './exec.ts';
import { checkPackedPackage } from './package-checks.ts';
import { type PackedPackage, packPackage, readTarball } from './tarball.ts';
import { type WorkspacePackage, workspacePackages, workspaceRoot } from './workspace.ts';

/** A release `changeset pack` planned: a version not on the registry, packed. */
interface PlannedRelease {
  readonly name: string;
  readonly version: string;
  /** Absolute path of the tarball. */
  readonly tarball: string;
}

/** A reason not to publish: one line for the user. */
class Refusal extends Error {
  override readonly name = 'Refusal';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

function list(items: readonly string[], max = 3): string {
  return items.length <= max
    ? items.join(', ')
    : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** The output of a command that failed, for the user to read above the one-line verdict. */
function showFailure(result: CommandResult): void {
  process.stderr.write(`${result.stdout}${result.stderr}`.trimEnd().concat('\n'));
}

/** changesets runs `pnpm info`, `pnpm pack` and `pnpm publish`: pnpm must be on PATH. */
async function checkPnpm(root: string): Promise<void> {
  const found = await run('pnpm', ['--version'], { cwd: root }).catch(() => undefined);
  if (found?.code !== 0) throw new Refusal(['pnpm is not on PATH: run this as pnpm release']);
}

async function checkCleanTree(root: string): Promise<void> {
  const result = await run('git', ['status', '--porcelain', '--untracked-files=all'], {
    cwd: root,
  });
  if (result.code !== 0) throw new Refusal([`git status failed: ${result.stderr.trim()}`]);
  const changed = result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.slice(3));
  if (changed.length > 0) {
    throw new Refusal([
      `the working tree has uncommitted changes (${list(changed)}): commit or remove them first, so what is published is what is committed`,
    ]);
  }
}

function checkNoPendingChangesets(root: string): void {
  const pending = pendingChangesets(root);
  if (pending.length > 0) {
    throw new Refusal([
      `${pending.length === 1 ? '1 changeset is' : `${pending.length} changesets are`} not applied yet (${list(pending.map((id) => `.changeset/${id}.md`))}): run pnpm version-packages and commit the result first`,
    ]);
  }
}

async function build(root: string): Promise<void> {
  const result = await run('pnpm', ['run', 'build'], { cwd: root });
  if (result.code !== 0) {
    showFailure(result);
    throw new Refusal(['the build failed (output above)']);
  }
}

async function checkPackages(root: string): Promise<void> {
  const result = await run('pnpm', ['run', 'check:packages'], { cwd: root });
  if (result.code !== 0) {
    showFailure(result);
    throw new Refusal(['publint or are-the-types-wrong found problems (output above)']);
  }
}

async function plan(root: string, packDir: string): Promise<PlannedRelease[]> {
  const result = await run('pnpm', ['exec', 'changeset', 'pack', '--out-dir', packDir], {
    cwd: root,
  });
  if (result.code !== 0) {
    showFailure(result);
    throw new Refusal(['changeset pack failed (output above)']);
  }
  const file = JSON.parse(readFileSync(join(packDir, 'publish-plan.json'), 'utf8')) as {
    plan: { kind: string; name: string; version: string; tarball?: { path: string } }[][];
  };
  return file.plan
    .flat()
    .filter((release) => release.kind === 'publish' && release.tarball !== undefined)
    .map((release) => ({
      name: release.name,
      version: release.version,
      tarball: join(packDir, (release.tarball as { path: string }).path),
    }));
}

async function checkPlanned(
  planned: readonly PlannedRelease[],
  all: readonly WorkspacePackage[],
): Promise<void> {
  const packages = all.filter((p) => !p.private);
  const workspace = new Map(all.map((p) => [p.name, { version: p.version, private: p.private }]));
  const problems: string[] = [];
  for (const release of planned) {
    const pkg = packages.find((p) => p.name === release.name);
    if (pkg === undefined) {
      problems.push(
        `${release.name}: planned by changesets, but not a public package of the workspace`,
      );
      continue;
    }
    if (!hasChangelogEntry(pkg, release.version)) {
      problems.push(
        `${release.name}@${release.version} has no changeset: ${pkg.relDir}/CHANGELOG.md has no entry for ${release.version} (add one with pnpm changeset, then pnpm version-packages)`,
      );
    }
    problems.push(
      ...checkPackedPackage(await readTarball(release.tarball), {
        relDir: pkg.relDir,
        workspace,
        sourceExports: pkg.manifest.exports,
      }),
    );
  }
  if (problems.length > 0) throw new Refusal(problems);
}

/** The files of a packed package, with package.json reduced to what a release changes by itself. */
function comparable(pkg: PackedPackage): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, content] of pkg.files) {
    if (path !== 'package.json') {
      out.set(path, content.toString('base64'));
      continue;
    }
    // A sibling released in range changes the ranges pnpm writes for it; that is not a change
    // of this package.
    const manifest = JSON.parse(content.toString('utf8')) as Record<string, unknown>;
    for (const field of [
      'dependencies',
      'peerDependencies',
      'optionalDependencies',
      'devDependencies',
    ]) {
      const deps = manifest[field] as Record<string, string> | undefined;
      if (deps === undefined) continue;
      for (const name of Object.keys(deps)) if (name.startsWith('@aiots/')) deps[name] = '*';
    }
    out.set(path, JSON.stringify(manifest));
  }
  return out;
}

/** The paths whose contents differ between two packed packages. */
function differences(a: PackedPackage, b: PackedPackage): string[] {
  const left = comparable(a);
  const right = comparable(b);
  return [...new Set([...left.keys(), ...right.keys()])]
    .filter((path) => left.get(path) !== right.get(path))
    .sort();
}

async function checkRegistryVersions(
  root: string,
  planned: readonly PlannedRelease[],
  packages: readonly WorkspacePackage[],
  workDir: string,
): Promise<void> {
  const plannedNames = new Set(planned.map((release) => release.name));
  const problems: string[] = [];
  for (const pkg of packages) {
    if (plannedNames.has(pkg.name)) continue;
    const tag = `${pkg.name}@${pkg.version}`;
    const tagged = await run('git', ['rev-parse', '--verify', '--quiet', `refs/tags/${tag}`], {
      cwd: root,
    });
    if (tagged.code === 0) continue;
    // On the registry, but not released from here: it must be the same package.
    const dir = mkdtempSync(join(workDir, 'registry-'));
    const fetched = await run('npm', ['pack', tag, '--pack-destination', dir, '--json'], {
      cwd: dir,
    });
    if (fetched.code !== 0) {
      showFailure(fetched);
      problems.push(
        `${tag}: could not fetch it from the registry to compare (npm pack failed, output above)`,
      );
      continue;
    }
    const [entry] = JSON.parse(fetched.stdout) as { filename: string }[];
    const theirs = await readTarball(join(dir, (entry as { filename: string }).filename));
    const ours = await readTarball(await packPackage(pkg.dir, dir));
    const differ = differences(theirs, ours);
    if (differ.length > 0) {
      problems.push(
        `${tag} is already on the registry with other contents (${list(differ)}), and this repository never released it (no git tag ${tag}): a version is published once; add a changeset for ${pkg.name} to release the next one`,
      );
    }
  }
  if (problems.length > 0) throw new Refusal(problems);
}

/**
 * Checks, then publishes.
 *
 * @param root The workspace root.
 * @returns The process exit code: 0 when everything planned was published (or nothing
 *   needed publishing), 1 otherwise.
 */
export async function release(root: string = workspaceRoot): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), 'aiots-release-'));
  try {
    await checkPnpm(root);
    await checkCleanTree(root);
    checkNoPendingChangesets(root);
    console.log('release: building');
    await build(root);
    const packDir = join(workDir, 'pack');
    const planned = await plan(root, packDir);
    const all = await workspacePackages(root);
    const packages = all.filter((p) => !p.private);
    await checkPlanned(planned, all);
    await checkRegistryVersions(root, planned, packages, workDir);
    if (planned.length === 0) {
      console.log(
        'release: nothing to publish: the registry has every public package at its version',
      );
      return 0;
    }
    await checkPackages(root);
    console.log(
      `release: checked ${planned.length} tarballs; publishing ${list(
        planned.map((r) => `${r.name}@${r.version}`),
        100,
      )}`,
    );
    const result = await run('pnpm', ['exec', 'changeset', 'publish', '--from-pack-dir', packDir], {
      cwd: root,
      echo: true,
    });
    if (result.code !== 0) {
      console.error('release: changeset publish failed (output above)');
      return 1;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    for (const problem of error.problems) console.error(`release: ${problem}`);
    return 1;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (import.meta.main) process.exitCode = await release();
