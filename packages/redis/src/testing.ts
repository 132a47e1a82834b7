/**
 * `@aiots/redis/testing`: a throwaway `redis-server` for tests and examples, on a free
 * loopback port, in a temporary directory, with persistence off unless asked for (then an
 * append-only file, fsynced on every write, so `restart()` keeps everything acknowledged).
 * No mock: the real server, as production runs it.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options of `startRedisServer()`. */
export interface RedisServerOptions {
  /** Keep data across `restart()` with an append-only file (default false: nothing kept). */
  appendOnly?: boolean | undefined;
  /** The server binary (default `redis-server` on the PATH). */
  command?: string | undefined;
}

/** A running throwaway server, from `startRedisServer()`. */
export interface RedisServer extends AsyncDisposable {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The loopback port it listens on. */
  readonly port: number;
  /** The server's process id (changes on restart). */
  readonly pid: number;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops it and starts it again on the same port and directory: with `appendOnly`, the
   * data comes back; without, it starts empty. Clients see their connections drop.
   */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHook = false;

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function launch(
  command: string,
  port: number,
  dir: string,
  appendOnly: boolean,
): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    appendOnly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--daemonize',
    'no',
    '--logfile',
    '',
    '--loglevel',
    'notice',
  ];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  if (!exitHook) {
    exitHook = true;
    // A server left running by a test that failed before stopping it dies with the process.
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        done();
        child.stdout?.resume();
        child.stderr?.resume();
        // A server nobody stopped does not keep the process alive.
        child.unref();
        (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
        (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
        resolve(child);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      running.delete(child);
      reject(
        new Error(
          `redis-server exited with ${code ?? signal} before it was ready:\n${output.trim().split('\n').slice(-5).join('\n')}`,
        ),
      );
    };
    const onError = (e: NodeJS.ErrnoException) => {
      done();
      running.delete(child);
      reject(
        e.code === 'ENOENT'
          ? new Error(
              `startRedisServer() needs ${command} on the PATH (Debian and Ubuntu: apt-get install redis-server)`,
              { cause: e },
            )
          : e,
      );
    };
    const done = () => {
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    running.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  running.delete(child);
}

/**
 * Starts a throwaway `redis-server` on a free loopback port. Stop it with `stop()` or
 * `await using`; one left running dies with the process.
 *
 * @param opts `appendOnly` (keep data across `restart()`), `command`.
 * @returns The running server: `url`, `port`, `pid`, `stop()`, `restart()`.
 * @throws {Error} when `redis-server` is not installed or does not start.
 * @example
 * ```ts
 * import { connect, RedisSet } from '@aiots/redis';
 * import { startRedisServer } from '@aiots/redis/testing';
 * await using server = await startRedisServer();
 * await using conn = await connect(server.url);
 * const seen = new RedisSet(conn, 'seen');
 * console.log(await seen.add('a'), await seen.add('a')); // true false
 * ```
 */
export async function startRedisServer(opts?: RedisServerOptions): Promise<RedisServer> {
  const appendOnly = opts?.appendOnly === true;
  const command = opts?.command ?? 'redis-server';
  const dir = mkdtempSync(join(tmpdir(), 'aiots-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  // A free port can be taken between the probe and the server's bind: try a few.
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(command, port, dir, appendOnly);
    } catch (e) {
      if (attempt >= 4 || !/exited/.test((e as Error).message)) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    }
  }
  let current: ChildProcess = child;
  let stopped: Promise<void> | undefined;
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.pid as number;
    },
    stop() {
      stopped ??= terminate(current).then(() => rmSync(dir, { recursive: true, force: true }));
      return stopped;
    },
    async restart() {
      if (stopped !== undefined) throw new Error('restart() of a server that was stopped');
      await terminate(current);
      current = await launch(command, port, dir, appendOnly);
    },
    [Symbol.asyncDispose]() {
      return this.stop();
    },
  };
  return server;
}
