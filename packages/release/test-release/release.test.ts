/**
 * The release, end to end, as maintainers and users meet it: a scratch copy of the
 * workspace is versioned with `pnpm version-packages` and published with `pnpm release` to
 * a real registry on loopback (Verdaccio, no uplink); then each public package is installed
 * alone into a fresh project with npm and used from ESM and CommonJS on Node.js 24 and 26
 * and from TypeScript; the apps run from the registry; a second release after one changeset
 * publishes only what changed; and each way a release must refuse to start publishes
 * nothing and says why in one line.
 *
 * Every list comes from the workspace (pnpm's view of it), so a new package or app is
 * released, installed and checked by existing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import semverInc from 'semver/functions/inc.js';
import semverSatisfies from 'semver/functions/satisfies.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChangelogEntry, pendingChangesets } from '../src/changesets.ts';
import { type CommandResult, runOk } from '../src/exec.ts';
import { childEnv, type Registry, startRegistry } from '../src/registry.ts';
import {
  binsOf,
  importableEntries,
  type Manifest,
  publicPackages,
  runtimeDependencyFields,
  type WorkspacePackage,
} from '../src/workspace.ts';
import { appChecks, checkHelp } from './support/apps.ts';
import {
  checkInstalledTree,
  createProject,
  type ExportNames,
  importEntries,
  installNode,
  type NodeRuntime,
  npmInstall,
  type TypedEntries,
  typecheckProjects,
  typeScriptSetups,
} from './support/consumer.ts';
import { createScratchRepo, type ScratchRepo } from './support/scratch.ts';

/** The Node.js 26 users get from the npm registry's `node` package. */
const node26Version = '26.10.0';

// The packages as pnpm lists them now; their versions are read from the scratch copy later.
const publics = await publicPackages();
const names = publics.map((p) => p.name);
const byName = new Map(publics.map((p) => [p.name, p]));

let registry: Registry;
let repo: ScratchRepo;
let work: string;
let runtimes: NodeRuntime[];
/** Set once the first release published everything; later steps build on it. */
let released = false;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'aiots-release-test-'));
  const major = Number(process.versions.node.split('.')[0]);
  expect(major, 'the release test runs on the workspace Node.js 24').toBe(24);
  const node26 = installNode(node26Version, join(tmpdir(), 'aiots-release-node-cache'));
  [registry, repo] = await Promise.all([startRegistry(), createScratchRepo()]);
  runtimes = [
    { label: `Node ${process.versions.node}`, bin: process.execPath },
    { label: `Node ${node26Version}`, bin: await node26 },
  ];
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  repo?.remove();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** The lines `pnpm release` wrote that are its own verdicts. */
function releaseLines(result: CommandResult): string[] {
  return `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter((line) => line.startsWith('release: '));
}

function output(result: CommandResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** Every public package's versions and latest tag on the registry. */
async function registryState(): Promise<Record<string, { versions: string[]; latest?: string }>> {
  const out: Record<string, { versions: string[]; latest?: string }> = {};
  for (const name of names) {
    const doc = await registry.packument(name);
    out[name] =
      doc === undefined
        ? { versions: [] }
        : { versions: Object.keys(doc.versions).sort(), latest: doc['dist-tags'].latest };
  }
  return out;
}

/** The manifest of `name@version` as the registry serves it. */
async function published(name: string, version: string): Promise<Manifest> {
  const doc = await registry.packument(name);
  const manifest = doc?.versions[version];
  if (manifest === undefined) throw new Error(`${name}@${version} is not on the registry`);
  return manifest as unknown as Manifest;
}

/** The scratch copy's public packages, with their current versions. */
function current(): Promise<WorkspacePackage[]> {
  return publicPackages(repo.dir);
}

/** Public packages that no other public package depends on (they can change alone). */
function leaves(packages: readonly WorkspacePackage[]): WorkspacePackage[] {
  const used = new Set(
    packages.flatMap((p) =>
      runtimeDependencyFields.flatMap((f) => Object.keys(p.manifest[f] ?? {})),
    ),
  );
  return packages.filter((p) => !used.has(p.name));
}

/** Runs a `pnpm release` that must refuse: exit 1, one verdict line, nothing published. */
async function expectRefusal(expected: RegExp): Promise<void> {
  const before = await registryState();
  const result = await repo.pnpm(['release'], registry);
  expect(result.code, output(result)).toBe(1);
  const lines = releaseLines(result).filter((line) => line !== 'release: building');
  expect(lines, output(result)).toHaveLength(1);
  expect(lines[0]).toMatch(expected);
  expect(await registryState(), 'a refused release published nothing').toEqual(before);
}

describe('pnpm version-packages and pnpm release', () => {
  it('version-packages applies every pending changeset: versions, CHANGELOG entries, api-surface citations', async () => {
    const pending = pendingChangesets(repo.dir);
    if (pending.length > 0) {
      const result = await repo.pnpm(['version-packages']);
      expect(result.code, output(result)).toBe(0);
      expect(pendingChangesets(repo.dir)).toEqual([]);
      await repo.commitAll('Version packages');
    }
    const left = new Set(pendingChangesets(repo.dir));
    for (const pkg of await current()) {
      expect(
        hasChangelogEntry(pkg, pkg.version),
        `${pkg.name}@${pkg.version} has a CHANGELOG entry`,
      ).toBe(true);
      const surface = join(pkg.dir, 'api-surface.json');
      if (!existsSync(surface)) continue;
      const cites = JSON.stringify(JSON.parse(readFileSync(surface, 'utf8')));
      const stale = [...cites.matchAll(/":"([^"]+)"/g)]
        .map((m) => m[1] as string)
        .filter((cite) => !/^\d+\.\d+\.\d+/.test(cite) && !left.has(cite));
      expect(
        stale,
        `${pkg.name}: api-surface.json cites only versions and pending changesets`,
      ).toEqual([]);
    }
  });

  it('refuses a dirty working tree before anything is published', async () => {
    writeFileSync(join(repo.dir, 'notes.txt'), 'not committed\n');
    try {
      await expectRefusal(
        /^release: the working tree has uncommitted changes \(notes\.txt\): commit or remove them first/,
      );
    } finally {
      rmSync(join(repo.dir, 'notes.txt'));
    }
  });

  it('refuses a package whose build is missing before anything is published', async () => {
    // A library: an app's missing bin would be a second refusal line for the same package.
    const target = leaves(await current()).find(
      (p) => p.manifest.scripts?.build !== undefined && p.manifest.bin === undefined,
    );
    expect(target, 'a public package with a build script that no other depends on').toBeDefined();
    const pkg = target as WorkspacePackage;
    repo.editManifest(pkg.relDir, (m) => {
      delete (m.scripts as Record<string, string>).build;
    });
    rmSync(join(pkg.dir, 'dist'), { recursive: true, force: true });
    await repo.commitAll(`${pkg.name} loses its build script`);
    try {
      await expectRefusal(
        new RegExp(`^release: ${pkg.name}: is not built: .* (is|are) not in the package`),
      );
    } finally {
      await repo.git('reset', '-q', '--hard', 'HEAD~1');
    }
  });

  it('publishes every public package with pnpm release', async () => {
    const result = await repo.pnpm(['release'], registry);
    expect(result.code, output(result)).toBe(0);
    const packages = await current();
    expect(packages.map((p) => p.name)).toEqual(names);
    const state = await registryState();
    for (const pkg of packages) {
      expect(state[pkg.name], pkg.name).toEqual({ versions: [pkg.version], latest: pkg.version });
      const manifest = await published(pkg.name, pkg.version);
      for (const field of runtimeDependencyFields) {
        for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
          expect(range, `${pkg.name} ${field}.${dep}`).not.toMatch(/^workspace:/);
          const sibling = packages.find((p) => p.name === dep);
          if (sibling !== undefined)
            expect(range, `${pkg.name} ${field}.${dep}`).toBe(`^${sibling.version}`);
        }
      }
      expect(await repo.git('tag', '--list', `${pkg.name}@${pkg.version}`)).toContain(pkg.name);
    }
    released = true;
  });
});

/** The @aiots packages an install of `name` must bring: it and its runtime @aiots dependencies. */
function aiotsClosure(name: string, packages: readonly WorkspacePackage[]): string[] {
  const out = new Set<string>([name]);
  for (const next of out) {
    const manifest = packages.find((p) => p.name === next)?.manifest;
    for (const field of runtimeDependencyFields) {
      for (const dep of Object.keys(manifest?.[field] ?? {})) {
        if (dep.startsWith('@aiots/') && manifest?.peerDependenciesMeta?.[dep]?.optional !== true)
          out.add(dep);
      }
    }
  }
  return [...out].sort();
}

describe.each(names)('%s installed from the registry', (name) => {
  const source = byName.get(name) as WorkspacePackage;
  const entries = importableEntries(source.manifest);
  const dir = () => join(work, `use-${name.replace(/\W+/g, '-')}`);
  let esm: ExportNames | undefined;

  it('npm install pulls exactly its declared dependencies', async () => {
    expect(released, 'the first release published the packages').toBe(true);
    const project = createProject(dir());
    const result = await npmInstall(project, [name], registry);
    expect(result.code, output(result)).toBe(0);
    const tree = checkInstalledTree(project);
    expect(tree.unexpected, 'installed, but no declared dependency leads there').toEqual([]);
    expect(tree.missing, 'declared, but not installed').toEqual([]);
    const packages = await current();
    const aiots = tree.installed.filter((p) => p.startsWith('@aiots/'));
    expect(aiots).toEqual(
      aiotsClosure(name, packages).map(
        (n) => `${n}@${packages.find((p) => p.name === n)?.version}`,
      ),
    );
  });

  it.runIf(entries.length > 0)(
    'imports from ESM and require()s from CommonJS on Node.js 24 and 26',
    async () => {
      const specifiers = entries.map((e) => (e === '.' ? name : `${name}/${e.slice(2)}`));
      const surface = apiSurface(source);
      for (const node of runtimes) {
        const fromEsm = await importEntries(dir(), specifiers, node, 'esm');
        expect(fromEsm.result.code, `${node.label} import()\n${output(fromEsm.result)}`).toBe(0);
        expect(fromEsm.result.stderr, `${node.label} import() warns`).toBe('');
        const fromCjs = await importEntries(dir(), specifiers, node, 'cjs');
        expect(fromCjs.result.code, `${node.label} require()\n${output(fromCjs.result)}`).toBe(0);
        expect(fromCjs.result.stderr, `${node.label} require() warns`).toBe('');
        expect(fromCjs.names, `${node.label}: require() gives what import() gives`).toEqual(
          fromEsm.names,
        );
        for (const specifier of specifiers) {
          const exported = fromEsm.names?.[specifier] ?? [];
          expect(exported.length, `${specifier} exports something`).toBeGreaterThan(0);
          const recorded = surface?.[specifier];
          if (recorded !== undefined) {
            expect(
              exported.filter((n) => !recorded.includes(n)),
              `${specifier}: runtime exports not in api-surface.json`,
            ).toEqual([]);
          }
        }
        esm = fromEsm.names;
      }
      typed.set(name, {
        dir: dir(),
        entries: Object.fromEntries(
          Object.entries(esm ?? {}).map(([specifier, values]) => [
            specifier,
            { names: surface?.[specifier] ?? [], values },
          ]),
        ),
      });
    },
  );
});

/** Each package's project and entries, filled by its import test, typechecked together below. */
const typed = new Map<string, { dir: string; entries: TypedEntries }>();
let typeRuns: Promise<CommandResult[]> | undefined;

describe('types, as TypeScript users resolve them', () => {
  for (const name of names.filter(
    (n) => importableEntries((byName.get(n) as WorkspacePackage).manifest).length > 0,
  )) {
    it(`${name}: its types resolve under moduleResolution node16 and bundler (strict tsc --noEmit)`, async () => {
      const project = typed.get(name);
      expect(project, 'the import test ran').toBeDefined();
      typeRuns ??= Promise.all(
        typeScriptSetups.map((setup) => typecheckProjects([...typed.values()], setup, work)),
      );
      const results = await typeRuns;
      const prefix = `${relative(work, (project as { dir: string }).dir)}/`;
      const projects = [...typed.values()].map((p) => `${relative(work, p.dir)}/`);
      results.forEach((result, i) => {
        const diagnostics = result.stdout.split('\n').filter((line) => line.trim() !== '');
        // A diagnostic in no project's files (a global one) counts against every package.
        const mine = diagnostics.filter(
          (line) => line.startsWith(prefix) || !projects.some((p) => line.startsWith(p)),
        );
        expect(mine, `moduleResolution ${typeScriptSetups[i]?.label}`).toEqual([]);
        if (diagnostics.length === 0) expect(result.code, output(result)).toBe(0);
      });
    });
  }
});

/** api-surface.json of a package, keyed by import specifier: every public name, types too. */
function apiSurface(pkg: WorkspacePackage): Record<string, string[]> | undefined {
  const file = join(pkg.dir, 'api-surface.json');
  if (!existsSync(file)) return undefined;
  const surface = JSON.parse(readFileSync(file, 'utf8')) as {
    entries: Record<string, Record<string, string>>;
  };
  return Object.fromEntries(
    Object.entries(surface.entries).map(([entry, recorded]) => [
      entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`,
      Object.keys(recorded).sort(),
    ]),
  );
}

describe('the apps run from the registry', () => {
  const appContext = async (pkgName: string) => {
    const project = createProject(join(work, `app-${pkgName.replace(/\W+/g, '-')}`));
    const result = await npmInstall(project, [pkgName], registry);
    expect(result.code, output(result)).toBe(0);
    return { dir: project, env: childEnv() };
  };

  for (const app of appChecks) {
    // An app not in the workspace yet is listed as skipped; once it exists, its check runs.
    const pkg = byName.get(app.package);
    const title =
      pkg === undefined
        ? `${app.does} (skipped: ${app.package} is not in the workspace yet)`
        : app.does;
    it.skipIf(pkg === undefined)(title, async () => {
      expect(released, 'the first release published the packages').toBe(true);
      expect(
        Object.keys(binsOf((pkg as WorkspacePackage).manifest)),
        `${app.package} installs ${app.bin}`,
      ).toContain(app.bin);
      await app.check(await appContext(app.package));
    });
  }

  const known = new Set(appChecks.map((app) => app.bin));
  for (const pkg of publics) {
    for (const bin of Object.keys(binsOf(pkg.manifest)).filter((b) => !known.has(b))) {
      it(`${bin} --help (from ${pkg.name}) prints its usage`, async () => {
        expect(released, 'the first release published the packages').toBe(true);
        await checkHelp(await appContext(pkg.name), bin);
      });
    }
  }
});

describe('the next releases', () => {
  it('a second release after one changeset publishes only what changed, and dependents get their ranges updated', async () => {
    expect(released, 'the first release published the packages').toBe(true);
    const before = await current();
    const dependentsOf = (name: string) =>
      before.filter((p) =>
        runtimeDependencyFields.some((f) => p.manifest[f]?.[name] !== undefined),
      );
    // The package with the fewest dependents that has some: a change that ripples, but not everywhere.
    const changed = before
      .filter((p) => dependentsOf(p.name).length > 0)
      .sort(
        (a, b) =>
          dependentsOf(a.name).length - dependentsOf(b.name).length || a.name.localeCompare(b.name),
      )[0];
    expect(changed, 'a public package that another depends on').toBeDefined();
    const target = changed as WorkspacePackage;
    const stateBefore = await registryState();

    // What changesets must do: a minor bump of the package; each dependent whose published
    // range leaves the new version out gets a patch bump and the new range; nothing else moves.
    const expected = new Map<string, string>([
      [target.name, semverInc(target.version, 'minor') as string],
    ]);
    for (const dependent of dependentsOf(target.name)) {
      const manifest = await published(dependent.name, dependent.version);
      const range = runtimeDependencyFields
        .map((f) => manifest[f]?.[target.name])
        .find((r) => r !== undefined) as string;
      if (!semverSatisfies(expected.get(target.name) as string, range)) {
        expected.set(dependent.name, semverInc(dependent.version, 'patch') as string);
      }
    }

    const added = await repo.pnpm([
      'changeset',
      'add',
      '--minor',
      target.name,
      '-m',
      `${target.name} learns something new.`,
    ]);
    expect(added.code, output(added)).toBe(0);
    const versioned = await repo.pnpm(['version-packages']);
    expect(versioned.code, output(versioned)).toBe(0);
    await repo.commitAll('Version packages');
    const result = await repo.pnpm(['release'], registry);
    expect(result.code, output(result)).toBe(0);

    const stateAfter = await registryState();
    for (const pkg of before) {
      const next = expected.get(pkg.name);
      const was = stateBefore[pkg.name] as { versions: string[] };
      expect(stateAfter[pkg.name], pkg.name).toEqual(
        next === undefined
          ? stateBefore[pkg.name]
          : { versions: [...was.versions, next].sort(), latest: next },
      );
      if (next !== undefined && pkg.name !== target.name) {
        const manifest = await published(pkg.name, next);
        const range = runtimeDependencyFields
          .map((f) => manifest[f]?.[target.name])
          .find((r) => r !== undefined);
        expect(range, `${pkg.name}@${next} depends on the new ${target.name}`).toBe(
          `^${expected.get(target.name)}`,
        );
      }
    }
    expect(expected.size, 'the change reached a dependent').toBeGreaterThan(1);
  });

  it('refuses a version that no changeset made before anything is published', async () => {
    expect(released, 'the first release published the packages').toBe(true);
    const pkg = leaves(await current())[0] as WorkspacePackage;
    const bumped = semverInc(pkg.version, 'minor') as string;
    repo.editManifest(pkg.relDir, (m) => {
      m.version = bumped;
    });
    await repo.commitAll(`${pkg.name} bumped by hand`);
    try {
      await expectRefusal(
        new RegExp(
          `^release: ${pkg.name}@${bumped.replaceAll('.', '\\.')} has no changeset: ${pkg.relDir}/CHANGELOG\\.md has no entry for`,
        ),
      );
    } finally {
      await repo.git('reset', '-q', '--hard', 'HEAD~1');
    }
  });

  it('refuses a version already on the registry before anything is published', async () => {
    expect(released, 'the first release published the packages').toBe(true);
    const [publishable, taken] = leaves(await current());
    expect(taken, 'two public packages that no other depends on').toBeDefined();
    const a = publishable as WorkspacePackage;
    const b = taken as WorkspacePackage;
    const added = await repo.pnpm([
      'changeset',
      'add',
      '--patch',
      `${a.name},${b.name}`,
      '-m',
      'Fixes.',
    ]);
    expect(added.code, output(added)).toBe(0);
    const versioned = await repo.pnpm(['version-packages']);
    expect(versioned.code, output(versioned)).toBe(0);
    await repo.commitAll('Version packages');
    const next = repo.manifest(b.relDir).version;

    // Someone else publishes that version first.
    const squatter = join(work, 'squatter');
    createProject(squatter);
    writeFileSync(
      join(squatter, 'package.json'),
      JSON.stringify({
        name: b.name,
        version: next,
        description: 'not from this repository',
        license: 'MIT',
      }),
    );
    writeFileSync(join(squatter, 'index.js'), 'export {};\n');
    await runOk('npm', ['publish', '--access', 'public', '--loglevel=error'], {
      cwd: squatter,
      env: childEnv(registry),
    });

    await expectRefusal(
      new RegExp(
        `^release: ${b.name}@${next.replaceAll('.', '\\.')} is already on the registry with other contents .*no git tag`,
      ),
    );
  });
});
