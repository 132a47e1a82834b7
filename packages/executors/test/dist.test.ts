// The shipped package, not the sources: `dist` is built (or found current), then a plain
// Node process imports `@aiots/executors` from it and runs thread and process jobs, so the
// worker entries and chunks tsup emits are what runs; every doc example runs against it too.
// The declarations are checked for the engine's types (exports.test.ts checks `_` members
// and the export surface).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { docExampleTests } from '@aiots/test-utils';
import { beforeAll, expect, test } from 'vitest';
import { ensureDist, packageDir } from './dist-build.ts';

const dist = join(packageDir, 'dist');

beforeAll(() => ensureDist(), 180_000);

// Every example again, against the built dist/ as an installed package resolves it.
docExampleTests(new URL('..', import.meta.url), { built: true, timeoutMs: 30_000 });

function runNode(script: string): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, [script], {
    cwd: packageDir,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a plain Node process runs thread, process and module jobs from dist', () => {
  const r = runNode(join(packageDir, 'test', 'fixtures', 'dist', 'smoke.mjs'));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout);
  const distUrl = pathToFileURL(dist).href;
  expect(out.main).toBe(`${distUrl}/index.js`);
  expect(out.thread).toBe(5);
  expect(out.process).toBe(6);
  expect(out.mapped).toEqual([10, 20, 30]);
  expect(out.toThread).toBe('OK');
  expect(out.threadBytes).toBe(4);
  for (const where of [out.threadModule, out.processModule]) {
    expect(where).toMatchObject({
      inWorker: true,
      hasSignal: true,
      resolved: `${distUrl}/worker.js`,
    });
    expect(where.execArgv.join(' ')).not.toContain('@aiots/source');
  }
}, 90_000);

test("the published declarations name none of the engine's types", () => {
  const files = readdirSync(dist).filter((f) => f.endsWith('.d.ts'));
  expect(files).toContain('index.d.ts');
  for (const f of files) {
    const text = readFileSync(join(dist, f), 'utf8')
      // Comments may mention anything; only declarations count.
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    expect(text.match(/(?<![\w$])_\w+/g) ?? [], f).toEqual([]);
    for (const internal of ['PoolWorker', 'JobFuture', 'WorkerOwner', 'Scheduler', 'WorkerKind']) {
      expect(text, `${f} mentions ${internal}`).not.toMatch(new RegExp(`\\b${internal}\\b`));
    }
  }
});
