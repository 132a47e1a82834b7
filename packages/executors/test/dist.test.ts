// The shipped package, not the sources: `dist` is built (or found current), then a plain
// Node process imports `@aiots/executors` from it and runs thread and process jobs, so the
// worker entries and chunks tsup emits are what runs. The published declarations are checked
// for internals, and the export surface is pinned: a name that appears or disappears must
// change this file (and come with a changeset).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { beforeAll, expect, test } from 'vitest';
import { ensureDist, packageDir } from './dist-build.ts';

const dist = join(packageDir, 'dist');

beforeAll(() => ensureDist(), 180_000);

/** The names a declaration file exports, values and types, as the compiler sees them. */
function declaredExports(file: string): string[] {
  const program = ts.createProgram([file], { noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file) as ts.SourceFile;
  const symbol = checker.getSymbolAtLocation(source) as ts.Symbol;
  return checker
    .getExportsOfModule(symbol)
    .map((s) => s.name)
    .sort();
}

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

test('the published declarations carry no internals', () => {
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

test('the export surface is the one documented', async () => {
  const runtime = Object.keys(await import(pathToFileURL(join(dist, 'index.js')).href)).sort();
  expect(runtime).toEqual([
    'BrokenWorkerError',
    'ClosureError',
    'DataCloneError',
    'ExecutorShutdownError',
    'JobExportError',
    'JobModuleError',
    'PoolExecutor',
    'ProcessPoolExecutor',
    'RemoteError',
    'ThreadPoolExecutor',
    'toThread',
    'transfer',
  ]);
  const names = declaredExports(join(dist, 'index.d.ts'));
  expect(names).toEqual(
    [
      ...runtime,
      'ErrorClass',
      'Executor',
      'ExecutorStats',
      'Job',
      'JobArgs',
      'MapOptions',
      'ModuleJob',
      'PoolOptions',
      'ProcessPoolOptions',
      'ShutdownOptions',
      'ThreadPoolOptions',
      'Transferred',
    ].sort(),
  );
  const worker = Object.keys(await import(pathToFileURL(join(dist, 'worker.js')).href)).sort();
  expect(worker).toEqual(['inWorker', 'jobSignal', 'transfer']);
});
