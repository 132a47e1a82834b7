/**
 * Runs a command and collects what it printed. The release tooling drives real tools (git,
 * pnpm, npm, tar, node, tsc); a failure is data for the caller to word, never a throw.
 */
import { spawn } from 'node:child_process';

/** What a finished command did. */
export interface CommandResult {
  /** The exit code; `null` when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the process outlived `timeoutMs` and was killed. */
  readonly timedOut: boolean;
}

/** Options of `run`. */
export interface RunOptions {
  readonly cwd?: string;
  /** The whole environment of the process. Default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Text written to the process's stdin, which is then closed. */
  readonly input?: string;
  /** Kill the process (SIGKILL) after this many milliseconds. Default: 5 minutes. */
  readonly timeoutMs?: number;
  /** Also copy the output to this process's stdout and stderr while it runs. */
  readonly echo?: boolean;
}

/**
 * Runs `command` with `args` (no shell) and resolves when it exits.
 *
 * @param command The executable, looked up on the environment's PATH.
 * @param args Its arguments.
 * @param options Working directory, environment, stdin text, time limit, echo.
 * @returns The exit code, the output, and whether it timed out. Never rejects for a
 *   non-zero exit; rejects only when the command cannot be started.
 */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 300_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out.push(chunk);
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err.push(chunk);
      if (options.echo) process.stderr.write(chunk);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Could not start ${command}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    if (child.stdin !== null) {
      // A process that exits without reading its input is not an error of ours.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/**
 * Runs a command that must succeed, and returns its stdout.
 *
 * @param command The executable, looked up on PATH.
 * @param args Its arguments.
 * @param options As for `run`.
 * @returns The command's stdout.
 * @throws {Error} when the command exits non-zero or times out; the message holds the
 *   command line and the end of its output.
 */
export async function runOk(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-30).join('\n');
    const how = result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`;
    throw new Error(`${command} ${args.join(' ')} ${how} (in ${options.cwd ?? '.'}):\n${tail}`);
  }
  return result.stdout;
}
