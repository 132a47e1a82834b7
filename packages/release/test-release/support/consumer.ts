/**
 * A user's project, fresh for each package: `npm install <package>` from the local registry
 * (the `@aiots` scope) and the npm registry (everything else), then what a user does with
 * it: import it from ESM and `require()` it from CommonJS on each supported Node.js, and
 * typecheck code that uses it under the module resolutions TypeScript users pick.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CommandResult, run, runOk } from '../../src/exec.ts';
import { childEnv, type Registry } from '../../src/registry.ts';
import { type Manifest, runtimeDependencyFields, workspaceRoot } from '../../src/workspace.ts';

/**
 * Makes an empty project directory.
 *
 * @param dir Where.
 * @returns `dir`.
 */
export function createProject(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'aiots-user-project', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  return dir;
}

/**
 * `npm install` in a project, as a user types it.
 *
 * @param dir The project.
 * @param specs What to install (`@aiots/sync`).
 * @param registry The local registry, which serves the `@aiots` scope.
 * @returns npm's result.
 */
export function npmInstall(
  dir: string,
  specs: readonly string[],
  registry: Registry,
): Promise<CommandResult> {
  return run(
    'npm',
    ['install', ...specs, '--no-audit', '--no-fund', '--prefer-online', '--loglevel=error'],
    {
      cwd: dir,
      env: childEnv(registry),
      timeoutMs: 300_000,
    },
  );
}

/** A package found in a project's node_modules. */
export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  /** Path relative to the project (`node_modules/@aiots/sync`). */
  readonly path: string;
  readonly manifest: Manifest;
}

/**
 * Every package under a project's node_modules, nested ones included.
 *
 * @param dir The project.
 * @returns The packages, by path.
 */
export function installedPackages(dir: string): Map<string, InstalledPackage> {
  const out = new Map<string, InstalledPackage>();
  const visit = (modules: string) => {
    if (!existsSync(join(dir, modules))) return;
    for (const entry of readdirSync(join(dir, modules))) {
      if (entry.startsWith('.')) continue;
      const paths = entry.startsWith('@')
        ? readdirSync(join(dir, modules, entry)).map((sub) => `${modules}/${entry}/${sub}`)
        : [`${modules}/${entry}`];
      for (const path of paths) {
        const file = join(dir, path, 'package.json');
        if (!existsSync(file)) continue;
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
        out.set(path, { name: manifest.name, version: manifest.version, path, manifest });
        visit(`${path}/node_modules`);
      }
    }
  };
  visit('node_modules');
  return out;
}

/**
 * Resolves `name` from a package the way Node does: its own node_modules, then each one
 * above it.
 */
function resolveFrom(
  installed: Map<string, InstalledPackage>,
  from: string,
  name: string,
): InstalledPackage | undefined {
  let base = from;
  for (;;) {
    const found = installed.get(`${base === '' ? '' : `${base}/`}node_modules/${name}`);
    if (found !== undefined) return found;
    if (base === '') return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i === -1 ? '' : base.slice(0, i);
  }
}

/** What `checkInstalledTree` found. */
export interface TreeReport {
  /** `name@version` of every installed package, sorted. */
  readonly installed: readonly string[];
  /** Installed packages no declared dependency leads to. */
  readonly unexpected: readonly string[];
  /** Declared dependencies (not optional ones) that are not installed. */
  readonly missing: readonly string[];
}

/**
 * Checks that a project's node_modules holds exactly what its dependencies declare: the
 * packages reachable from its package.json through `dependencies`, `peerDependencies` and
 * `optionalDependencies`, each resolved as Node resolves it, and nothing else.
 *
 * @param dir The project.
 * @returns The installed packages and any that are unexpected or missing.
 */
export function checkInstalledTree(dir: string): TreeReport {
  const installed = installedPackages(dir);
  const root = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  const reached = new Set<string>();
  const missing: string[] = [];
  const queue: [string, Manifest][] = [['', root]];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [from, manifest] = next;
    for (const field of runtimeDependencyFields) {
      for (const name of Object.keys(manifest[field] ?? {})) {
        const found = resolveFrom(installed, from, name);
        if (found === undefined) {
          const optional =
            field === 'optionalDependencies' ||
            manifest.peerDependenciesMeta?.[name]?.optional === true;
          if (!optional) missing.push(`${name} (for ${manifest.name})`);
          continue;
        }
        if (reached.has(found.path)) continue;
        reached.add(found.path);
        queue.push([found.path, found.manifest]);
      }
    }
  }
  const all = [...installed.values()];
  return {
    installed: all.map((p) => `${p.name}@${p.version}`).sort(),
    unexpected: all
      .filter((p) => !reached.has(p.path))
      .map((p) => `${p.name}@${p.version}`)
      .sort(),
    missing: missing.sort(),
  };
}

/** A Node.js to run users' code on. */
export interface NodeRuntime {
  readonly label: string;
  readonly bin: string;
}

/**
 * Node.js `version` from the npm registry's `node` package, installed once into a cache
 * directory (the package's install script fetches the platform's binary package).
 *
 * @param version An exact version, `26.10.0`.
 * @param cacheDir Where to keep it between runs.
 * @returns The path of its `node` binary.
 */
export async function installNode(version: string, cacheDir: string): Promise<string> {
  const dir = join(cacheDir, `node-${version}`);
  const bin = join(dir, 'node_modules', 'node', 'bin', 'node');
  const works = async () =>
    existsSync(bin) &&
    (await run(bin, ['--version']).catch(() => undefined))?.stdout.trim() === `v${version}`;
  if (await works()) return bin;
  createProject(dir);
  await runOk(
    'npm',
    ['install', `node@${version}`, '--no-audit', '--no-fund', '--loglevel=error'],
    {
      cwd: dir,
      env: childEnv(),
      timeoutMs: 300_000,
    },
  );
  if (!(await works()))
    throw new Error(`npm install node@${version} did not give a working ${bin}`);
  return bin;
}

/** What importing a package's entries printed: entry → its export names. */
export type ExportNames = Record<string, string[]>;

/**
 * Imports each entry with `import()` from an ES module, or with `require()` from a CommonJS
 * file, on the given Node.js, and reports the export names.
 *
 * @param dir The project the package is installed in.
 * @param specifiers The entries (`@aiots/loop`, `@aiots/loop/lowlevel`).
 * @param node The runtime.
 * @param kind `esm` or `cjs`.
 * @returns The run, and the export names when it succeeded.
 */
export async function importEntries(
  dir: string,
  specifiers: readonly string[],
  node: NodeRuntime,
  kind: 'esm' | 'cjs',
): Promise<{ result: CommandResult; names?: ExportNames }> {
  const file = join(dir, kind === 'esm' ? 'check-import.mjs' : 'check-require.cjs');
  const load = kind === 'esm' ? 'await import(specifier)' : 'require(specifier)';
  const body = [
    `const specifiers = ${JSON.stringify(specifiers)};`,
    'const names = {};',
    `for (const specifier of specifiers) names[specifier] = Object.keys(${load}).sort();`,
    'console.log(JSON.stringify(names));',
  ].join('\n');
  writeFileSync(
    file,
    kind === 'esm'
      ? body
      : `(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exitCode = 1; });\n`,
  );
  const result = await run(node.bin, [file], { cwd: dir, env: childEnv(), timeoutMs: 60_000 });
  if (result.code !== 0) return { result };
  return {
    result,
    names: JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as ExportNames,
  };
}

/** A TypeScript setup users pick: its `module` and `moduleResolution`. */
export interface TypeScriptSetup {
  readonly label: string;
  readonly module: string;
  readonly moduleResolution: string;
}

export const typeScriptSetups: readonly TypeScriptSetup[] = [
  { label: 'node16', module: 'node16', moduleResolution: 'node16' },
  { label: 'bundler', module: 'esnext', moduleResolution: 'bundler' },
];

/** The entries of one installed package to typecheck: specifier → names and runtime exports. */
export type TypedEntries = Readonly<
  Record<string, { readonly names: readonly string[]; readonly values: readonly string[] }>
>;

/**
 * Typechecks, with `tsc --noEmit` in strict mode and the declarations checked too
 * (`skipLibCheck` off), one file per entry of each project: it imports every public name of
 * the entry (values and types) and uses every runtime export as a value. One program covers
 * every project, each file resolving from its own project's node_modules, so the shared
 * `@types/node` is checked once.
 *
 * @param projects Each project's directory and its package's entries.
 * @param setup The module settings.
 * @param dir Where to write the shared tsconfig.json.
 * @returns tsc's result; its diagnostics name the files, under each project's directory.
 */
export async function typecheckProjects(
  projects: readonly { readonly dir: string; readonly entries: TypedEntries }[],
  setup: TypeScriptSetup,
  dir: string,
): Promise<CommandResult> {
  const files: string[] = [];
  for (const project of projects) {
    const sub = join(project.dir, `types-${setup.label}`);
    mkdirSync(sub, { recursive: true });
    // An ES module project, so node16 resolution treats the import as ESM importing ESM.
    writeFileSync(join(sub, 'package.json'), '{ "type": "module", "private": true }\n');
    Object.entries(project.entries).forEach(([specifier, { names, values }], i) => {
      const lines: string[] = [];
      if (names.length > 0) lines.push(`import type { ${names.join(', ')} } from '${specifier}';`);
      lines.push(`import * as entry from '${specifier}';`);
      lines.push(
        `export const values: readonly unknown[] = [${values.map((v) => `entry.${v}`).join(', ')}];`,
      );
      const file = join(sub, `entry${i}.ts`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      files.push(file);
    });
  }
  const tsconfig = join(dir, `tsconfig.${setup.label}.json`);
  writeFileSync(
    tsconfig,
    JSON.stringify(
      {
        compilerOptions: {
          target: 'es2022',
          module: setup.module,
          moduleResolution: setup.moduleResolution,
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // The user's own @types/node; ours stands in so the projects install nothing else.
          typeRoots: [join(workspaceRoot, 'node_modules', '@types')],
          types: ['node'],
        },
        files,
      },
      null,
      2,
    ),
  );
  const tsc = join(workspaceRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  return run(process.execPath, [tsc, '-p', tsconfig, '--pretty', 'false'], {
    cwd: dir,
    env: childEnv(),
    timeoutMs: 300_000,
  });
}
