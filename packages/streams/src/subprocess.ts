/**
 * Subprocesses: `createSubprocessExec` and `createSubprocessShell` (asyncio's
 * `create_subprocess_exec`/`_shell`) and `Process`, with the child's pipes as streams.
 *
 * Node's child pipes are `net.Socket`s, so each pipe gets the same transport as a TCP
 * connection: back-pressure, named errors and `drain()` behave the same.
 *
 * Cancellation. `wait()` only observes: cancelling it leaves the child running, as in
 * asyncio (a `waitFor(proc.wait(), ms)` loop must not kill what it polls). Cancelling
 * `communicate()` kills the child (SIGKILL), closes its pipes and waits until it is reaped
 * before the cancel propagates: the exchange cannot be resumed (the output read so far
 * cannot be handed back, and a child left with half its input and nobody reading its
 * output would block forever). asyncio leaves the child running there; we do not.
 *
 * Every child has a watcher task (named `subprocess <pid>`) that ends when the child
 * exits. When that task is cancelled while the child still runs (as `run()` cancels what is
 * left when its main function ends), the child is killed and reported to the loop's
 * exception handler: never silently orphaned. Node reaps every child that exits, so no
 * zombie is left either way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import {
  CancelledError,
  type Future,
  gather,
  getLoop,
  InvalidStateError,
  type Loop,
} from '@aiots/loop';
import { ConnectionError, SubprocessError } from './errors.ts';
import { newWaiter, park, type WaitOptions, wake } from './park.ts';
import { SocketTransport } from './socket-transport.ts';
import { StreamReaderProtocol } from './stream-protocol.ts';
import { StreamReader } from './stream-reader.ts';
import { StreamWriter } from './stream-writer.ts';
import { checkLimit, checkOptions, checkString, describe, signalOf } from './validate.ts';

/**
 * What to do with a child's standard stream: `'pipe'` (a stream on the `Process`),
 * `'inherit'` (share the parent's), `'ignore'` (`/dev/null`), or for `stderr` only
 * `'stdout'` (into the stdout pipe).
 */
export type StdioOption = 'pipe' | 'inherit' | 'ignore';

/** Options of `createSubprocessExec` and `createSubprocessShell`. */
export interface SubprocessOptions extends WaitOptions {
  /** Default `'inherit'`. */
  stdin?: StdioOption;
  /** Default `'inherit'`. */
  stdout?: StdioOption;
  /** Default `'inherit'`; `'stdout'` sends it into stdout. */
  stderr?: StdioOption | 'stdout';
  /** The line limit of the `stdout`/`stderr` readers (default 64 KiB). */
  limit?: number;
  /** The working directory. */
  cwd?: string;
  /** The environment (default: the parent's). */
  env?: NodeJS.ProcessEnv;
}

const STDIO = new Set(['pipe', 'inherit', 'ignore']);

/**
 * A running (or finished) child process, as asyncio's `Process`.
 *
 * @example
 * ```ts
 * import { createSubprocessExec } from '@aiots/streams';
 * const proc = await createSubprocessExec('tr', ['a-z', 'A-Z'], { stdin: 'pipe', stdout: 'pipe' });
 * const [out] = await proc.communicate(Buffer.from('shout\n'));
 * console.log(out?.toString(), proc.returncode); // SHOUT\n 0
 * ```
 */
export class Process {
  readonly #loop: Loop;
  readonly #child: ChildProcess;
  readonly #command: string;
  #returncode: number | null = null;
  #exitWaiters: Future<void>[] = [];
  readonly #transports: SocketTransport[] = [];
  /** The child's process id. */
  readonly pid: number;
  /** The child's stdin, when it is a pipe. */
  readonly stdin: StreamWriter | null = null;
  /** The child's stdout, when it is a pipe (stderr too, with `stderr: 'stdout'`). */
  readonly stdout: StreamReader | null = null;
  /** The child's stderr, when it is a pipe. */
  readonly stderr: StreamReader | null = null;

  /** @internal Made by `createSubprocessExec` and `createSubprocessShell`. */
  constructor(loop: Loop, child: ChildProcess, command: string, limit: number) {
    this.#loop = loop;
    this.#child = child;
    this.#command = command;
    this.pid = child.pid as number;
    child.on('exit', (code, signal) => this.#exited(code, signal));
    if (child.stdin !== null) {
      const protocol = new StreamReaderProtocol(undefined);
      const t = this.#pipe(child.stdin as Socket, protocol);
      this.stdin = new StreamWriter(t, protocol, null);
    }
    if (child.stdout !== null) this.stdout = this.#readPipe(child.stdout as Socket, limit);
    if (child.stderr !== null) this.stderr = this.#readPipe(child.stderr as Socket, limit);
    loop.createTask(() => this.#watch(), { name: `subprocess ${this.pid}` });
  }

  /** The exit code; minus the signal number when a signal ended it; `null` while it runs. */
  get returncode(): number | null {
    return this.#returncode;
  }

  /**
   * Waits for the child to exit. Cancelling this does not touch the child. Output still in
   * the pipes stays readable after it returns.
   *
   * @param opts `{ signal }`.
   * @returns The return code (see `returncode`).
   * @throws {CancelledError} when the task is cancelled while waiting (the child goes on).
   * @example
   * ```ts
   * import { createSubprocessShell } from '@aiots/streams';
   * const proc = await createSubprocessShell('exit 3');
   * console.log(await proc.wait()); // 3
   * ```
   */
  wait(opts?: WaitOptions): Promise<number> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOf(opts, 'wait()');
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#returncode !== null) return Promise.resolve(this.#returncode);
    return this.#waitExit(signal);
  }

  async #waitExit(signal: AbortSignal | undefined): Promise<number> {
    const fut = newWaiter(this.#loop);
    this.#exitWaiters.push(fut);
    try {
      await park(fut, signal);
    } finally {
      const i = this.#exitWaiters.indexOf(fut);
      if (i >= 0) this.#exitWaiters.splice(i, 1);
    }
    return this.#returncode as number;
  }

  /**
   * Sends `input` to stdin (then closes it), reads stdout and stderr to the end, and waits
   * for the child to exit. A child that exits without reading its input is not an error.
   * Cancelling this kills the child (see the module notes).
   *
   * @param input Bytes or a string for stdin (needs `stdin: 'pipe'`).
   * @param opts `{ signal }`.
   * @returns `[stdout, stderr]`; `null` for a stream that is not a pipe.
   * @throws {InvalidStateError} when `input` is given but stdin is not a pipe.
   * @throws {CancelledError} when the task is cancelled (the child is killed and reaped first).
   * @example
   * ```ts
   * import { createSubprocessShell } from '@aiots/streams';
   * const proc = await createSubprocessShell('echo out; echo err >&2', { stdout: 'pipe', stderr: 'pipe' });
   * const [out, err] = await proc.communicate();
   * console.log(out?.toString().trim(), err?.toString().trim()); // out err
   * ```
   */
  async communicate(
    input?: Uint8Array | string | null,
    opts?: WaitOptions,
  ): Promise<[Buffer | null, Buffer | null]> {
    const signal = signalOf(opts, 'communicate()');
    if (input !== undefined && input !== null) {
      if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
        throw new TypeError(
          `communicate() expected input as bytes or a string, got ${describe(input)}`,
        );
      }
      if (this.stdin === null) {
        throw new InvalidStateError(
          "communicate() was given input, but the child's stdin is not a pipe",
        );
      }
    }
    if (signal?.aborted) throw signal.reason;
    const all = gather([
      this.#feed(input ?? undefined),
      this.stdout === null ? Promise.resolve(null) : this.stdout.read(),
      this.stderr === null ? Promise.resolve(null) : this.stderr.read(),
    ]);
    try {
      const [, out, err] = await park(all, signal);
      await this.wait();
      return [out, err];
    } catch (e) {
      if (CancelledError.is(e) || (signal?.aborted && e === signal.reason))
        await this.#killAndReap();
      throw e;
    }
  }

  async #feed(input: Uint8Array | string | undefined): Promise<null> {
    const stdin = this.stdin;
    if (stdin === null) return null;
    try {
      if (input !== undefined && input.length > 0) {
        stdin.write(input);
        await stdin.drain();
      }
    } catch (e) {
      // The child exited without reading everything: not an error (asyncio ignores it too).
      if (!ConnectionError.is(e)) throw e;
    }
    stdin.close();
    return null;
  }

  /**
   * Sends a signal to the child; does nothing once it has exited.
   *
   * @param signal A signal name (`'SIGTERM'`) or number.
   * @returns `true` when the signal was sent.
   * @throws {TypeError} / {RangeError} for something that is not a signal.
   * @example
   * ```ts
   * import { createSubprocessExec } from '@aiots/streams';
   * const proc = await createSubprocessExec('sleep', ['10']);
   * proc.sendSignal('SIGINT');
   * console.log(await proc.wait()); // -2
   * ```
   */
  sendSignal(signal: NodeJS.Signals | number): boolean {
    const sig = checkSignal(signal, 'sendSignal()');
    if (this.#returncode !== null) return false;
    return this.#child.kill(sig);
  }

  /**
   * Sends SIGTERM.
   *
   * @returns `true` when the signal was sent.
   * @example
   * ```ts
   * import { createSubprocessExec } from '@aiots/streams';
   * const proc = await createSubprocessExec('sleep', ['10']);
   * proc.terminate();
   * console.log(await proc.wait()); // -15
   * ```
   */
  terminate(): boolean {
    return this.sendSignal('SIGTERM');
  }

  /**
   * Sends SIGKILL.
   *
   * @returns `true` when the signal was sent.
   * @example
   * ```ts
   * import { createSubprocessExec } from '@aiots/streams';
   * const proc = await createSubprocessExec('sleep', ['10']);
   * proc.kill();
   * console.log(await proc.wait()); // -9
   * ```
   */
  kill(): boolean {
    return this.sendSignal('SIGKILL');
  }

  /**
   * `await using proc = ...`: kills the child if it still runs, closes its pipes and waits
   * until it has exited.
   *
   * @example
   * ```ts
   * import { createSubprocessExec } from '@aiots/streams';
   * let pid = 0;
   * {
   *   await using proc = await createSubprocessExec('sleep', ['10']);
   *   pid = proc.pid;
   * }
   * console.log(pid > 0); // true
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#killAndReap();
  }

  toString(): string {
    const state = this.#returncode === null ? 'running' : `returncode=${this.#returncode}`;
    return `<Process ${this.pid} ${state}>`;
  }

  #pipe(socket: Socket, protocol: StreamReaderProtocol): SocketTransport {
    const t = new SocketTransport(socket, protocol, { pid: this.pid, peer: `pid ${this.pid}` });
    this.#transports.push(t);
    t.start();
    return t;
  }

  #readPipe(socket: Socket, limit: number): StreamReader {
    const reader = new StreamReader({ limit });
    this.#pipe(socket, new StreamReaderProtocol(reader));
    return reader;
  }

  #exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.#returncode = code ?? -(constants.signals[signal as NodeJS.Signals] ?? 0);
    const w = this.#exitWaiters;
    this.#exitWaiters = [];
    for (const f of w) wake(f, undefined);
  }

  async #killAndReap(): Promise<void> {
    if (this.#returncode === null) this.#child.kill('SIGKILL');
    for (const t of this.#transports) t.abort();
    if (this.#returncode !== null) return;
    // Not a wait the caller can interrupt: SIGKILL cannot be ignored, and the cancel
    // completes once the child is reaped.
    const fut = newWaiter(this.#loop);
    this.#exitWaiters.push(fut);
    await new Promise<void>((resolve) => fut.addDoneCallback(() => resolve()));
  }

  async #watch(): Promise<void> {
    try {
      await this.wait();
    } catch (e) {
      if (this.#returncode === null) {
        await this.#killAndReap();
        this.#loop.callExceptionHandler({
          message: `subprocess ${this.pid} (${this.#command}) was still running when its watcher task was cancelled (its loop shut down); it was killed`,
          process: this,
        });
      }
      throw e;
    }
  }
}

/**
 * Starts `program` with `args` (no shell), as asyncio's `create_subprocess_exec`.
 *
 * @param program The program: a path, or a name looked up on `PATH`.
 * @param args Its arguments.
 * @param opts `{ stdin, stdout, stderr, limit, cwd, env, signal }`; streams default to `'inherit'`.
 * @returns The running `Process`.
 * @throws {SubprocessError} when the program cannot be started (missing, not executable), with Node's error as `cause`.
 * @throws {TypeError} / {RangeError} for bad arguments.
 * @example
 * ```ts
 * import { createSubprocessExec } from '@aiots/streams';
 * const proc = await createSubprocessExec('node', ['-e', 'console.log(6 * 7)'], { stdout: 'pipe' });
 * console.log((await proc.stdout?.readline())?.toString().trim(), await proc.wait()); // 42 0
 * ```
 */
export async function createSubprocessExec(
  program: string,
  args: readonly string[] = [],
  opts?: SubprocessOptions,
): Promise<Process> {
  const where = 'createSubprocessExec()';
  checkString(program, 'program', where);
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
    throw new TypeError(
      `${where} expected \`args\` to be an array of strings, got ${describe(args)}`,
    );
  }
  const o = checkSubprocessOptions(opts, where);
  if (o.stderr === 'stdout') {
    // Node cannot hand the child's stdout pipe to its stderr; a POSIX shell can, and then
    // becomes the program (exec), keeping the pid and the argument boundaries.
    return start('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', program, ...args], o, program, where);
  }
  return start(program, args, o, program, where);
}

/**
 * Runs `command` with `/bin/sh -c`, as asyncio's `create_subprocess_shell`. Quote any
 * untrusted part of the command yourself.
 *
 * @param command The shell command line.
 * @param opts `{ stdin, stdout, stderr, limit, cwd, env, signal }`; streams default to `'inherit'`.
 * @returns The running `Process`.
 * @throws {SubprocessError} when the shell cannot be started.
 * @throws {TypeError} / {RangeError} for bad arguments.
 * @example
 * ```ts
 * import { createSubprocessShell } from '@aiots/streams';
 * const proc = await createSubprocessShell('echo $((1+2))', { stdout: 'pipe' });
 * console.log((await proc.stdout?.read())?.toString(), await proc.wait()); // 3\n 0
 * ```
 */
export async function createSubprocessShell(
  command: string,
  opts?: SubprocessOptions,
): Promise<Process> {
  const where = 'createSubprocessShell()';
  checkString(command, 'command', where);
  const o = checkSubprocessOptions(opts, where);
  const script = o.stderr === 'stdout' ? `exec 2>&1\n${command}` : command;
  return start('/bin/sh', ['-c', script], o, command, where);
}

function checkSubprocessOptions(opts: unknown, where: string): SubprocessOptions {
  const o = checkOptions<SubprocessOptions>(opts, where) ?? {};
  for (const name of ['stdin', 'stdout', 'stderr'] as const) {
    const v = o[name];
    if (v === undefined) continue;
    if (!STDIO.has(v as string) && !(name === 'stderr' && v === 'stdout')) {
      const allowed =
        name === 'stderr'
          ? "'pipe', 'inherit', 'ignore' or 'stdout'"
          : "'pipe', 'inherit' or 'ignore'";
      throw new TypeError(`${where} expected \`${name}\` to be ${allowed}, got ${describe(v)}`);
    }
  }
  if (o.limit !== undefined) checkLimit(o.limit, where);
  if (o.cwd !== undefined) checkString(o.cwd, 'cwd', where);
  signalOf(o, where);
  return o;
}

function checkSignal(signal: unknown, where: string): NodeJS.Signals | number {
  if (typeof signal === 'string') {
    if (!(signal in constants.signals)) {
      throw new RangeError(
        `${where} expected a signal name such as 'SIGTERM', got ${describe(signal)}`,
      );
    }
    return signal as NodeJS.Signals;
  }
  if (typeof signal === 'number') {
    if (!Number.isInteger(signal) || signal < 0 || signal > 64) {
      throw new RangeError(`${where} expected a signal number from 0 to 64, got ${signal}`);
    }
    return signal;
  }
  throw new TypeError(`${where} expected a signal name or number, got ${describe(signal)}`);
}

async function start(
  file: string,
  args: readonly string[],
  o: SubprocessOptions,
  command: string,
  where: string,
): Promise<Process> {
  const signal = o.signal ?? undefined;
  if (signal?.aborted) throw signal.reason;
  const limit = checkLimit(o.limit, where);
  const loop = getLoop();
  const stderr = o.stderr === 'stdout' ? 'inherit' : (o.stderr ?? 'inherit');
  const child = spawn(file, args, {
    stdio: [o.stdin ?? 'inherit', o.stdout ?? 'inherit', stderr],
    cwd: o.cwd,
    env: o.env,
  });
  const fut = newWaiter(loop);
  let failure: Error | undefined;
  const onSpawn = () => wake(fut, undefined);
  const onError = (e: Error) => {
    failure = e;
    wake(fut, undefined);
  };
  child.once('spawn', onSpawn);
  child.once('error', onError);
  try {
    await park(fut, signal);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  } finally {
    child.off('spawn', onSpawn);
    child.off('error', onError);
  }
  if (failure !== undefined) {
    const code = (failure as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : 'failed to start';
    throw new SubprocessError(`${where}: ${JSON.stringify(command)} ${why} (${failure.message})`, {
      cause: failure,
    });
  }
  // Errors after the start (a kill that fails) must not go unheard.
  child.on('error', () => {});
  return new Process(loop, child, command, limit);
}
