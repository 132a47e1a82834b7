/**
 * The export-surface check (trio's `test_exports`): every public name of a package is a
 * decision recorded in the package's `api-surface.json`, next to the changeset that made
 * it. A name that appears or disappears without that record fails the package's tests, and
 * so does a built declaration file that carries an internal (`_`) member.
 *
 * `api-surface.json` maps each `exports` entry to its names, and each name to the id of the
 * changeset that introduced it (`.changeset/<id>.md`, which must name the package) or, once
 * released, to the version that shipped it. Removed names move to `removed`, with the
 * changeset that removed them (the migration note lives there).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkDocExamples } from './doc-check.ts';

/** What `api-surface.json` holds. */
export interface ApiSurface {
  /** Entry (`.`, `./lowlevel`) → exported name → changeset id or released version. */
  readonly entries: Record<string, Record<string, string>>;
  /** Names taken out of the surface, with the changeset that removed each. */
  readonly removed?: Record<string, Record<string, string>>;
}

const semver = /^\d+\.\d+\.\d+(-[\w.]+)?$/;

function dirOf(packageDir: string | URL): string {
  return resolve(
    typeof packageDir === 'string' && !packageDir.startsWith('file:')
      ? packageDir
      : fileURLToPath(packageDir),
  );
}

/**
 * The public names of a package, per entry of its `exports` map, read from the TypeScript
 * sources behind the `@aiots/source` condition.
 *
 * @param packageDir The package directory, as a path or a `file:` URL.
 * @returns Entry → sorted names.
 * @example
 * ```ts
 * import { publicSurface } from '@aiots/test-utils';
 * console.log(Object.keys(publicSurface(process.cwd()))); // [ '.' ]
 * ```
 */
export function publicSurface(packageDir: string | URL): Record<string, string[]> {
  const report = checkDocExamples(packageDir, { members: 'none', readme: false });
  const out: Record<string, string[]> = {};
  for (const entry of report.exports) {
    const i = entry.indexOf(': ');
    const subpath = entry.slice(0, i);
    const names = out[subpath] ?? [];
    names.push(entry.slice(i + 2));
    out[subpath] = names;
  }
  for (const names of Object.values(out)) names.sort();
  return out;
}

/**
 * Declarations of `_`-prefixed members in the package's built `dist/*.d.ts` (internals that
 * `stripInternal` did not remove because they are not tagged `@internal`).
 *
 * @param packageDir The package directory, as a path or a `file:` URL.
 * @returns `file:line: text` for each leak; empty when the declarations are clean.
 * @throws {Error} when `dist/` does not exist (build the package first).
 * @example
 * ```ts no-run
 * import { leakedInternals } from '@aiots/test-utils';
 * console.log(leakedInternals(new URL('..', import.meta.url))); // []
 * ```
 */
export function leakedInternals(packageDir: string | URL): string[] {
  const dist = join(dirOf(packageDir), 'dist');
  if (!existsSync(dist)) throw new Error(`${dist} does not exist: build the package first`);
  const leaks: string[] = [];
  const member = /^\s+(?:(?:readonly|static|protected|get|set|abstract)\s+)*_\w+\s*[?!]?\s*[(:<=;]/;
  for (const file of readdirSync(dist).filter((f) => f.endsWith('.d.ts'))) {
    const lines = readFileSync(join(dist, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (member.test(line)) leaks.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  return leaks;
}

/**
 * Registers the export-surface tests of a package, for `test/exports.test.ts`: the public
 * names equal those recorded in `api-surface.json`, every record cites a changeset that
 * exists and names the package (or a released version), and the built declarations carry
 * no `_` member. Run with `AIOTS_SURFACE_CHANGESET=<changeset id>` to record the current
 * surface, citing that changeset for each new or removed name.
 *
 * @param packageDir The package directory: `new URL('..', import.meta.url)` from `test/`.
 * @example
 * ```ts no-run
 * // packages/<name>/test/exports.test.ts
 * import { exportSurfaceTests } from '@aiots/test-utils';
 * exportSurfaceTests(new URL('..', import.meta.url));
 * ```
 */
export function exportSurfaceTests(packageDir: string | URL): void {
  const dir = dirOf(packageDir);
  const file = join(dir, 'api-surface.json');
  const changesetDir = join(dir, '..', '..', '.changeset');
  const pkgName = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string })
    .name;

  describe(`public surface of ${pkgName}`, () => {
    it('equals api-surface.json: every added or removed name is a recorded decision', () => {
      const current = publicSurface(dir);
      const cite = process.env.AIOTS_SURFACE_CHANGESET;
      if (cite !== undefined && cite !== '') {
        writeFileSync(file, `${JSON.stringify(record(current, load(file), cite), null, 2)}\n`);
      }
      const recorded = load(file);
      const recordedNames = Object.fromEntries(
        Object.entries(recorded.entries).map(([k, v]) => [k, Object.keys(v).sort()]),
      );
      expect(
        current,
        `The public surface of ${pkgName} changed. Add a changeset that says so (with a migration note for a removal), then record it: AIOTS_SURFACE_CHANGESET=<its id> pnpm --filter ${pkgName} test`,
      ).toEqual(recordedNames);
    });

    it('cites, for every name, a changeset that names the package or a released version', () => {
      const recorded = load(file);
      const bad: string[] = [];
      for (const group of [recorded.entries, recorded.removed ?? {}]) {
        for (const [entry, names] of Object.entries(group)) {
          for (const [name, cite] of Object.entries(names)) {
            if (semver.test(cite)) continue;
            const md = join(changesetDir, `${cite}.md`);
            if (!existsSync(md)) bad.push(`${entry} ${name}: .changeset/${cite}.md does not exist`);
            else if (!readFileSync(md, 'utf8').includes(`"${pkgName}"`)) {
              bad.push(`${entry} ${name}: .changeset/${cite}.md does not name ${pkgName}`);
            }
          }
        }
      }
      expect(bad).toEqual([]);
    });

    it('has built declarations without internal (_) members', () => {
      expect(leakedInternals(dir)).toEqual([]);
    });
  });
}

function load(file: string): ApiSurface {
  if (!existsSync(file)) return { entries: {} };
  return JSON.parse(readFileSync(file, 'utf8')) as ApiSurface;
}

/** The record for `current`, keeping existing citations and citing `cite` for changes. */
function record(current: Record<string, string[]>, old: ApiSurface, cite: string): ApiSurface {
  const entries: Record<string, Record<string, string>> = {};
  const removed: Record<string, Record<string, string>> = structuredClone(old.removed ?? {});
  for (const [entry, names] of Object.entries(current)) {
    entries[entry] = {};
    for (const name of names) {
      (entries[entry] as Record<string, string>)[name] = old.entries[entry]?.[name] ?? cite;
      delete removed[entry]?.[name];
    }
  }
  for (const [entry, names] of Object.entries(old.entries)) {
    for (const name of Object.keys(names)) {
      if (entries[entry]?.[name] !== undefined) continue;
      const gone = removed[entry] ?? {};
      gone[name] = cite;
      removed[entry] = gone;
    }
  }
  for (const [entry, names] of Object.entries(removed)) {
    if (Object.keys(names).length === 0) delete removed[entry];
  }
  return Object.keys(removed).length > 0 ? { entries, removed } : { entries };
}
