/**
 * A real npm registry on loopback for the release test: Verdaccio in a child process on the
 * workspace's Node.js, storage in a temporary directory, no uplink, one user whose token
 * publishes. Only the `@aiots` scope is routed to it (an `.npmrc` passed by
 * `npm_config_userconfig`); every other package still comes from the npm registry.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A running registry. */
export interface Registry {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** An `.npmrc` routing `@aiots` here with the publishing token: `npm_config_userconfig`. */
  readonly npmrc: string;
  /** The registry's packument of `name` (404 → undefined). */
  packument(name: string): Promise<Packument | undefined>;
  /** Stops the server and deletes its storage. Idempotent. */
  stop(): Promise<void>;
}

/** What the registry knows of a package. */
export interface Packument {
  readonly name: string;
  readonly 'dist-tags': Readonly<Record<string, string>>;
  readonly versions: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * The environment for a child process that runs on the workspace's Node.js (the one running
 * this code) and sees the registry through `npm_config_userconfig`.
 *
 * @param registry The registry, or undefined for none.
 * @param extra More variables.
 * @returns A copy of this process's environment with Node's directory first on PATH.
 */
export function childEnv(registry?: Registry, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Settings that would route installs or publishes elsewhere.
  for (const key of Object.keys(env)) {
    if (/^npm_config_(userconfig|@aiots:registry)$/i.test(key)) delete env[key];
  }
  env.PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  if (registry !== undefined) env.npm_config_userconfig = registry.npmrc;
  return { ...env, ...extra };
}

/**
 * Starts a registry.
 *
 * @returns The running registry, with a user whose token publishes.
 * @throws {Error} when the server does not come up within 30 s, or the user cannot be made.
 */
export async function startRegistry(): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'aiots-registry-'));
  const script = fileURLToPath(new URL('./registry-server.ts', import.meta.url));
  const child = spawn(process.execPath, [script, dir], {
    env: childEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        // A server that ignores SIGTERM is killed outright.
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }
    }).then(() => rmSync(dir, { recursive: true, force: true }));
    return stopped;
  };
  try {
    const port = await readPort(child);
    const url = `http://127.0.0.1:${port}/`;
    const token = await createUser(url);
    const npmrc = join(dir, 'npmrc');
    writeFileSync(npmrc, `@aiots:registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
    return {
      url,
      npmrc,
      stop,
      async packument(name) {
        const res = await fetch(`${url}${name.replace('/', '%2f')}`, {
          headers: { accept: 'application/json', authorization: `Bearer ${token}` },
        });
        if (res.status === 404) return undefined;
        if (!res.ok)
          throw new Error(`GET ${name} from the registry: ${res.status} ${res.statusText}`);
        return (await res.json()) as Packument;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function readPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => fail(new Error('the registry did not start within 30 s')),
      30_000,
    );
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(new Error(`${error.message}\n${err}`.trim()));
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{"port":'));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code, signal) =>
      fail(new Error(`the registry exited (${code ?? signal})`)),
    );
  });
}

async function createUser(url: string): Promise<string> {
  const name = 'aiots-release';
  const res = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: 'aiots-release-test', type: 'user', roles: [] }),
  });
  const body = (await res.json()) as { token?: string };
  if (!res.ok || typeof body.token !== 'string') {
    throw new Error(`could not create a registry user: ${res.status} ${JSON.stringify(body)}`);
  }
  return body.token;
}
