/**
 * What each sample app must do once installed from the registry, keyed by package name. A
 * check runs as soon as its package is in the workspace; until then the test names it as
 * skipped. Any other public package with a `bin` gets the generic check (`--help` exits 0).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type CommandResult, run } from '../../src/exec.ts';

/** Where an app was installed, and how to run its bins there. */
export interface AppContext {
  /** The project it was installed into. */
  readonly dir: string;
  /** The environment for its processes (the workspace's Node.js first on PATH). */
  readonly env: NodeJS.ProcessEnv;
}

/** A check of one app. */
export interface AppCheck {
  /** The package (`@aiots/crawler`). */
  readonly package: string;
  /** The bin it must install. */
  readonly bin: string;
  /** What the check does, for the test's name. */
  readonly does: string;
  /** Throws (an assertion) when the app misbehaves. */
  check(context: AppContext): Promise<void>;
}

/**
 * Runs an installed bin through npx, which finds it in the project (never downloads it).
 * The `--` keeps npx from reading the bin's flags as its own (`-p` and `-c` are npx options).
 */
export function npx(
  context: AppContext,
  bin: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<CommandResult> {
  return run('npx', ['--no', '--', bin, ...args], {
    cwd: context.dir,
    env: context.env,
    timeoutMs,
  });
}

function fail(message: string, result?: CommandResult): never {
  const output =
    result === undefined ? '' : `\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
  throw new Error(`${message}${output}`);
}

/** `--help` exits 0 and prints a usage text that names the bin. */
export async function checkHelp(context: AppContext, bin: string): Promise<void> {
  const result = await npx(context, bin, ['--help']);
  if (result.code !== 0) fail(`${bin} --help exited with ${result.code}`, result);
  if (!`${result.stdout}${result.stderr}`.includes(bin))
    fail(`${bin} --help does not name ${bin}`, result);
}

async function checkQueueDemo(context: AppContext): Promise<void> {
  const result = await npx(context, 'aiots-queue-demo', ['--virtual-time', '-p', '2', '-c', '3']);
  if (result.code !== 0) fail(`aiots-queue-demo exited with ${result.code}`, result);
  const lines = result.stdout.trim().split('\n');
  const added = new Set<string>();
  const got = new Set<string>();
  const producer = /^Producer (\d+) (?:sleeping for \d+ seconds|added <([0-9a-f]+)> to queue)\.$/;
  const consumer =
    /^Consumer (\d+) (?:sleeping for \d+ seconds|got element <([0-9a-f]+)> in [\d.]+ seconds)\.$/;
  for (const line of lines) {
    const p = producer.exec(line);
    const c = consumer.exec(line);
    if (p !== null) {
      if (Number(p[1]) > 1) fail(`a third producer with -p 2: ${line}`, result);
      if (p[2] !== undefined) added.add(p[2]);
    } else if (c !== null) {
      if (Number(c[1]) > 2) fail(`a fourth consumer with -c 3: ${line}`, result);
      if (c[2] !== undefined) got.add(c[2]);
    } else if (!/^Program completed in [\d.]+ seconds\.$/.test(line)) {
      fail(`a line the seed does not print: ${JSON.stringify(line)}`, result);
    }
  }
  if (!/^Program completed in [\d.]+ seconds\.$/.test(lines.at(-1) ?? '')) {
    fail('the last line is not "Program completed in X seconds."', result);
  }
  if (added.size === 0) fail('no producer added anything', result);
  if ([...added].some((id) => !got.has(id)) || got.size !== added.size) {
    fail('not every item added was got by a consumer', result);
  }
}

async function checkEchoServer(context: AppContext): Promise<void> {
  // The installed bin itself, not through npx: npx runs it under `sh -c`, which does not pass
  // a SIGINT sent to npx on to the server (and npx dies of a SIGINT sent to the whole group).
  const bin = join(context.dir, 'node_modules', '.bin', 'aiots-echo');
  const child = spawn(bin, ['serve', '--tcp', '0'], {
    cwd: context.dir,
    env: context.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = once(child, 'exit');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    const lines = createInterface({ input: child.stdout });
    let port: number | undefined;
    for await (const line of lines) {
      const m = /^TCP echo server on 127\.0\.0\.1:(\d+)$/.exec(line);
      if (m !== null) {
        port = Number(m[1]);
        break;
      }
    }
    if (port === undefined || !Number.isInteger(port) || port <= 0) {
      fail(`aiots-echo serve --tcp 0 never printed "TCP echo server on 127.0.0.1:PORT"\n${stderr}`);
    }
    const socket = createConnection({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    socket.write('hello from the registry\n');
    let answer = '';
    for await (const chunk of socket) {
      answer += (chunk as Buffer).toString('utf8');
      if (answer.includes('\n')) break;
    }
    socket.destroy();
    if (answer !== 'hello from the registry\n')
      fail(`aiots-echo answered ${JSON.stringify(answer)}`);
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    if (code !== 0) fail(`aiots-echo exited with ${code} on SIGINT\n${stderr}`);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The apps and their checks: the contract of their command lines. */
export const appChecks: readonly AppCheck[] = [
  {
    package: '@aiots/crawler',
    bin: 'aiots-crawl',
    does: 'aiots-crawl --help prints its usage',
    check: (context) => checkHelp(context, 'aiots-crawl'),
  },
  {
    package: '@aiots/queue-demo',
    bin: 'aiots-queue-demo',
    does: "aiots-queue-demo --virtual-time -p 2 -c 3 prints the seed's lines",
    check: checkQueueDemo,
  },
  {
    package: '@aiots/echo',
    bin: 'aiots-echo',
    does: 'aiots-echo serve answers a TCP line and stops on SIGINT',
    check: checkEchoServer,
  },
];
