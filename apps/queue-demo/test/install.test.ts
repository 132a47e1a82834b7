// The package as npm users get it: @aiots/loop, @aiots/sync and @aiots/queue-demo packed
// into tarballs (what would be published), installed with npm into an empty project, and
// the `aiots-queue-demo` bin that npm links run from node_modules/.bin.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureDist } from './dist-build.ts';
import { fixtures, normalizeIds, packageDir } from './helpers.ts';

const work = mkdtempSync(join(tmpdir(), 'aiots-queue-demo-install-'));

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.NODE_OPTIONS;
  // Node 24 first on PATH, as for a user who installed it: the bin's shebang runs `node`.
  e.PATH = `${dirname(process.execPath)}${delimiter}${e.PATH ?? ''}`;
  return e;
}

beforeAll(() => {
  ensureDist();
  const packs = join(work, 'packs');
  for (const dir of [
    realpathSync(join(packageDir, 'node_modules', '@aiots', 'loop')),
    realpathSync(join(packageDir, 'node_modules', '@aiots', 'sync')),
    packageDir,
  ]) {
    // pnpm pack turns `workspace:^` into the version range npm users get.
    execFileSync('npx', ['-y', 'pnpm@12.21.0', 'pack', '--pack-destination', packs], {
      cwd: dir,
      env: env(),
      stdio: 'pipe',
    });
  }
  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{ "name": "user-project", "private": true }\n');
  const tarballs = readdirSync(packs).map((f) => join(packs, f));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs], {
    cwd: project,
    env: env(),
    stdio: 'pipe',
  });
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

it('npm installs the aiots-queue-demo bin, which runs the demo', () => {
  const bin = join(work, 'project', 'node_modules', '.bin', 'aiots-queue-demo');
  const r = spawnSync(bin, ['--virtual-time', '-p', '2', '-c', '3'], {
    cwd: join(work, 'project'),
    env: env(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const want = fixtures().find((f) => f.file === 'asyncq-seed444-p2-c3.txt');
  expect(normalizeIds(r.stdout.trimEnd().split('\n'))).toEqual(normalizeIds(want?.lines ?? []));
});
