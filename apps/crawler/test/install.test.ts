// The package as npm users get it: @aiots/loop, @aiots/sync, @aiots/http, @aiots/redis and
// @aiots/crawler packed into tarballs (what would be published), installed with npm into an
// empty project, and the `aiots-crawl` bin that npm links run from node_modules/.bin against
// a local site.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { type HttpServer, serve } from '@aiots/http';
import { npmInstallEnv } from '@aiots/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureDist, packageDir } from './dist-build.ts';

const DEPS = ['@aiots/loop', '@aiots/sync', '@aiots/http', '@aiots/redis'];
const work = mkdtempSync(join(tmpdir(), 'aiots-crawler-install-'));
let site: HttpServer;

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.NODE_OPTIONS;
  // Node 24 first on PATH, as for a user who installed it: the bin's shebang runs `node`.
  e.PATH = `${dirname(process.execPath)}${delimiter}${e.PATH ?? ''}`;
  return e;
}

beforeAll(async () => {
  ensureDist(DEPS);
  site = await serve(async (req) =>
    req.path === '/'
      ? new Response('<a href="/next">next</a>', { headers: { 'content-type': 'text/html' } })
      : new Response('gone', { status: 404 }),
  );
  const packs = join(work, 'packs');
  // One pnpm run packs the package and the workspace packages it depends on (pnpm turns
  // `workspace:^` into the version range npm users get).
  execFileSync(
    'npx',
    [
      '-y',
      'pnpm@12.21.0',
      '--filter-prod',
      '@aiots/crawler...',
      'pack',
      '--pack-destination',
      packs,
    ],
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

afterAll(async () => {
  await site?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs `cmd` with `input` on stdin (not spawnSync: the site runs in this process). */
function run(cmd: string, args: string[], cwd: string, input: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: env() });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

it('npm installs the aiots-crawl bin, which crawls', async () => {
  const project = join(work, 'project');
  const bin = join(project, 'node_modules', '.bin', 'aiots-crawl');
  const r = await run(bin, ['-', '-o', '-', '--quiet'], project, `${site.url}/\n`);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe(`source_url\tparsed_url\n${site.url}/\t${site.url}/next\n`);
  expect(r.stderr).toMatch(/INFO:aiots-crawl: Done: 1 page fetched, 1 link found, 0 errors/);
}, 60_000);
