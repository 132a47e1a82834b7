/** Child processes for the echo tests: the built `aiots-echo`, and Python's asyncio scripts. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, cliPath } from './dist-build.ts';

/** pyenv's CPython 3.13, which runs asyncio's documentation scripts. */
export const python = join(homedir(), '.pyenv', 'versions', '3.13.0', 'bin', 'python3');
export const hasPython = existsSync(python);
export const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', name);

export interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running child whose stdout lines can be awaited as they come. */
export class Proc {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stdout = '';
  stderr = '';
  readonly done: Promise<Outcome>;
  readonly #waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(command: string, args: readonly string[], stdin?: string, env = cliEnv()) {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() as string;
      for (const line of lines) {
        this.lines.push(line);
        for (const w of [...this.#waiters]) {
          if (w.test(line)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.done = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(killer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
    if (stdin === undefined) child.stdin?.end();
    else child.stdin?.end(stdin);
  }

  /** The first stdout line (seen already or to come) that matches `pattern`. */
  waitLine(pattern: RegExp): Promise<string> {
    const test = (line: string) => pattern.test(line);
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ test, resolve });
      void this.done.then(() =>
        reject(new Error(`exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`)),
      );
    });
  }

  /** The port in the first line matching `pattern` (which ends in `:PORT` or `, PORT)`). */
  async port(pattern: RegExp): Promise<number> {
    const line = await this.waitLine(pattern);
    const m = /[:, ](\d+)\)?$/.exec(line);
    if (m === null) throw new Error(`no port in ${line}`);
    return Number(m[1]);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }
}

/** Runs the built `aiots-echo`. */
export const echo = (args: readonly string[], stdin?: string): Proc =>
  new Proc(process.execPath, [cliPath, ...args], stdin);

/** Runs a fixture with CPython 3.13 (`-u`: unbuffered, lines arrive as printed). */
export const py = (script: string, args: readonly string[] = []): Proc =>
  new Proc(python, ['-u', fixture(script), ...args]);

/** A loopback TCP port nobody listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
