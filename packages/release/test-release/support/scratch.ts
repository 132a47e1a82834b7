/**
 * A scratch copy of the workspace to release from: the files git would commit (tracked and
 * untracked, ignored ones left out), in a fresh repository with one commit, installed with
 * pnpm from its store. Releasing commits, tags and rewrites versions there, never here.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type CommandResult, run, runOk } from '../../src/exec.ts';
import { childEnv, type Registry } from '../../src/registry.ts';
import { type Manifest, workspaceRoot } from '../../src/workspace.ts';

/** A scratch repository. */
export interface ScratchRepo {
  /** Its root. */
  readonly dir: string;
  /** Runs git there and returns its stdout (throws on failure). */
  git(...args: string[]): Promise<string>;
  /** Stages everything and commits it. */
  commitAll(message: string): Promise<void>;
  /** Runs pnpm there (never throws for a non-zero exit). */
  pnpm(args: readonly string[], registry?: Registry): Promise<CommandResult>;
  /** Reads a package.json, relative to the root (`packages/sync`). */
  manifest(relDir: string): Manifest;
  /** Rewrites a package.json with `change` applied. */
  editManifest(relDir: string, change: (manifest: Record<string, unknown>) => void): void;
  /** Deletes the copy. */
  remove(): void;
}

/**
 * Copies the workspace into a new repository and installs it.
 *
 * @param source The workspace to copy. Default: this repository.
 * @returns The scratch repository.
 */
export async function createScratchRepo(source: string = workspaceRoot): Promise<ScratchRepo> {
  const parent = mkdtempSync(join(tmpdir(), 'aiots-release-repo-'));
  const dir = join(parent, 'repo');
  const listed = await runOk(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--deduplicate'],
    { cwd: source },
  );
  for (const file of listed.split('\0').filter(Boolean)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      cpSync(join(source, file), join(dir, file), { verbatimSymlinks: true });
    } catch (error) {
      // A tracked file deleted in the working tree is not part of what would be committed.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const env = childEnv(undefined, { CI: 'true' });
  const git = (...args: string[]) => runOk('git', args, { cwd: dir, env });
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.name', 'aiots release test');
  await git('config', 'user.email', 'release-test@aiots.invalid');
  await git('config', 'commit.gpgsign', 'false');
  await git('config', 'tag.gpgsign', 'false');
  const repo: ScratchRepo = {
    dir,
    git,
    async commitAll(message) {
      await git('add', '-A');
      await git('commit', '-q', '--allow-empty', '-m', message);
    },
    pnpm: (args, registry) =>
      run('pnpm', args, {
        cwd: dir,
        // pnpm checks the install before every script; the copy is installed once, below.
        env: childEnv(registry, { CI: 'true', pnpm_config_verify_deps_before_run: 'false' }),
        timeoutMs: 600_000,
      }),
    manifest: (relDir) =>
      JSON.parse(readFileSync(join(dir, relDir, 'package.json'), 'utf8')) as Manifest,
    editManifest(relDir, change) {
      const file = join(dir, relDir, 'package.json');
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      change(manifest);
      writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    },
    remove: () => rmSync(parent, { recursive: true, force: true }),
  };
  try {
    await repo.commitAll('The workspace as it stands');
    const installed = await repo.pnpm(['install', '--frozen-lockfile', '--prefer-offline']);
    if (installed.code !== 0) {
      throw new Error(
        `pnpm install in the scratch copy failed:\n${installed.stdout}${installed.stderr}`,
      );
    }
    return repo;
  } catch (error) {
    repo.remove();
    throw error;
  }
}
