/** Runs the built `aiots-crawl` as a user would, in its own process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { cliEnv, cliPath } from './dist-build.ts';

export interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly stdin?: string;
  /** Sees each stderr line as it comes (to signal the child at the right moment). */
  readonly onStderrLine?: (line: string, child: ChildProcess) => void;
  readonly timeoutMs?: number;
  /** Sees the child as soon as it is spawned. */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** Runs `aiots-crawl args`; a run that hangs is killed after `timeoutMs` (default 60 s). */
export function runCrawl(args: readonly string[], opts: RunOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: opts.cwd,
      env: cliEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    opts.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    let pending = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() as string;
      for (const line of lines) opts.onStderrLine?.(line, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** The log lines of stderr without their `HH:MM:SS ` time. */
export function logLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''));
}
