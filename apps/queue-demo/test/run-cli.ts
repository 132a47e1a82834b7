/** Runs the built `aiots-queue-demo` as a user runs it, in its own process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { packageDir } from './helpers.ts';

const bin = join(packageDir, 'dist', 'cli.js');

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export interface RunOptions {
  /** Sees the child as soon as it is spawned. */
  readonly onSpawn?: (child: ChildProcess) => void;
  /** A run that has not ended by then is killed (default 60 s). */
  readonly timeoutMs?: number;
}

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.NODE_OPTIONS; // vitest's; a user's shell has none of it
  return e;
}

/** Runs the CLI; `onLine` sees each stdout line as it comes (to signal the child). */
export function runCli(
  args: string[],
  onLine?: (line: string, child: ChildProcess) => void,
  opts: RunOptions = {},
): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { cwd: packageDir, env: env() });
    opts.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    let pending = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() as string;
      for (const line of lines) onLine?.(line, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, wallMs: performance.now() - start });
    });
  });
}
