// The package as npm users get it: the @aiots packages it needs and @aiots/echo packed into
// tarballs (what would be published), installed with npm into an empty project, and the
// `aiots-echo` bin that npm links run from node_modules/.bin: a server and a client.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { npmInstallEnv } from '@aiots/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureDist, packageDir } from './dist-build.ts';
import { Proc } from './helpers.ts';

const DEPS = ['@aiots/loop', '@aiots/sync', '@aiots/streams', '@aiots/serial'];
const work = mkdtempSync(join(tmpdir(), 'aiots-echo-install-'));

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.NODE_OPTIONS;
  // Node 24 first on PATH, as for a user who installed it: the bin's shebang runs `node`.
  e.PATH = `${dirname(process.execPath)}${delimiter}${e.PATH ?? ''}`;
  return e;
}

beforeAll(() => {
  ensureDist(DEPS);
  const packs = join(work, 'packs');
  // One pnpm run packs the package and the workspace packages it depends on (pnpm turns
  // `workspace:^` into the version range npm users get).
  execFileSync(
    'npx',
    ['-y', 'pnpm@12.21.0', '--filter-prod', '@aiots/echo...', 'pack', '--pack-destination', packs],
    { cwd: packageDir, env: env(), stdio: 'pipe' },
  );
  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{ "name": "user-project", "private": true }\n');
  const tarballs = readdirSync(packs).map((f) => join(packs, f));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], {
    cwd: project,
    env: npmInstallEnv(),
    stdio: 'pipe',
  });
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

it('npm installs the aiots-echo bin: serve, and a client through it', async () => {
  const bin = join(work, 'project', 'node_modules', '.bin', 'aiots-echo');
  const server = new Proc(bin, ['serve', '--tcp', '0'], undefined, env());
  const port = await server.port(/^TCP echo server on 127\.0\.0\.1:\d+$/);
  const client = await new Proc(
    bin,
    ['client', 'tcp', '--port', String(port), '-m', 'installed'],
    undefined,
    env(),
  ).done;
  expect(client.code, client.stderr).toBe(0);
  expect(client.stdout).toBe('Received: installed\n');
  server.kill('SIGINT');
  const r = await server.done;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Echo server stopped');
}, 60_000);
