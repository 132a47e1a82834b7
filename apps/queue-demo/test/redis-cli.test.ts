// `aiots-queue-demo --redis`, built, as users run it: producers and consumers in separate
// processes on one queue in a throwaway redis-server. The sleeps are real seconds, so the
// seeds are chosen (with CPython's random, which PythonRandom reproduces) for short ones where
// they decide how long a run takes: each test runs in a few seconds.
import { createServer } from 'node:net';
import { PythonRandom } from '@aiots/queue-demo';
import { type RedisServer, startRedisServer } from '@aiots/redis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from './dist-build.ts';
import { type Outcome, runCli } from './run-cli.ts';

let redis: RedisServer;
let queues = 0;
const queueName = () => `demo-${++queues}`;

beforeAll(async () => {
  ensureDist();
  redis = await startRedisServer();
}, 180_000);

afterAll(async () => {
  await redis?.stop();
});

const lines = (text: string): string[] => text.trimEnd().split('\n');
const ADDED = /^Producer (\d+) added <([0-9a-f]{10})> to queue\.$/;
const GOT = /^Consumer (\d+) got element <([0-9a-f]{10})> in (\d+\.\d{5}) seconds\.$/;
const SLEEPING = /^(Producer|Consumer) (\d+) sleeping for (\d+) seconds\.$/;

/** The first `n` numbers `--seed seed` draws, as the demo draws them. */
function draws(seed: number, n: number): number[] {
  const random = new PythonRandom(seed);
  return Array.from({ length: n }, () => random.randint(0, 10));
}

/** The seconds of the `sleeping` lines of `who`, in the order they were printed (drawn). */
function sleeps(stdout: string, who: 'Producer' | 'Consumer'): number[] {
  return lines(stdout)
    .map((l) => SLEEPING.exec(l))
    .filter((m) => m !== null && m[1] === who)
    .map((m) => Number(m?.[3]));
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('aiots-queue-demo --redis: usage errors are one line, exit code 2, nothing run', () => {
  it.each([
    [['--role', 'producer'], 'expected --redis URL with --role'],
    [['--queue', 'q'], 'expected --redis URL with --queue'],
    [
      ['--redis', 'redis://127.0.0.1:1', '--role', 'worker'],
      "expected --role to be producer, consumer or both, got 'worker'",
    ],
    [
      ['--redis', 'redis://127.0.0.1:1', '--virtual-time'],
      'expected --virtual-time without --redis (a virtual clock cannot be shared by processes)',
    ],
    [
      ['--redis', 'redis://127.0.0.1:1', '--role', 'producer', '-c', '3'],
      'expected -c/--ncon only with --role consumer or both',
    ],
    [
      ['--redis', 'redis://127.0.0.1:1', '--role', 'consumer', '-p', '3'],
      'expected -p/--nprod only with --role producer or both',
    ],
    [
      ['--redis', 'redis://127.0.0.1:1', '--queue', 'my queue'],
      'expected --queue to be 1 to 200 letters, digits or _ . : - / (no spaces), got "my queue" (" " is not allowed)',
    ],
    [
      ['--redis', 'http://localhost:6379'],
      'expected --redis to be a Redis URL like redis://localhost:6379 (scheme redis: or rediss:), got "http://localhost:6379"',
    ],
    [
      ['--redis', 'not a url'],
      'expected --redis to be a Redis URL like redis://localhost:6379, got "not a url"',
    ],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`aiots-queue-demo: ${message} (see --help)\n`);
  });

  it('Redis unreachable: one line and exit code 1, after a bounded retry', async () => {
    const port = await closedPort();
    const r = await runCli(['--redis', `redis://127.0.0.1:${port}`, '--role', 'producer']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `aiots-queue-demo: Redis at 127.0.0.1:${port} is unavailable: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
  }, 30_000);
});

describe('aiots-queue-demo --redis: producers and consumers in separate processes', () => {
  it('two producer processes, two consumer processes: every item consumed once, then the producers end', async () => {
    const queue = queueName();
    const common = ['--redis', redis.url, '--queue', queue];
    // Seeds 1725 and 3160 draw 4 and 3 items with sleeps of 0 or 1 s; 3587 and 3542 start
    // their four consumers within a second, so one waits whenever an item comes.
    const producerSeeds = [1725, 3160];
    const consumerSeeds = [3587, 3542];
    const consumerChildren: Array<{ kill(signal: NodeJS.Signals): boolean }> = [];
    const consumers = consumerSeeds.map((seed) =>
      runCli([...common, '--role', 'consumer', '-c', '4', '--seed', String(seed)], undefined, {
        onSpawn: (child) => consumerChildren.push(child),
      }),
    );
    const producers = await Promise.all(
      producerSeeds.map((seed) =>
        runCli([...common, '--role', 'producer', '-p', '1', '--seed', String(seed)]),
      ),
    );
    // The producers end once every item is processed (join), by whichever consumer; the
    // consumers run until stopped, as workers do.
    for (const child of consumerChildren) child.kill('SIGTERM');
    const consumed: Outcome[] = await Promise.all(consumers);

    const added: string[] = [];
    producers.forEach((r, k) => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const out = lines(r.stdout);
      expect(out.at(-1)).toMatch(/^Program completed in \d+\.\d{5} seconds\.$/);
      expect(out.filter((l) => l.startsWith('Consumer'))).toEqual([]);
      // Only the producer's draws: its item count, then one sleep per item.
      const seed = producerSeeds[k] as number;
      const [n, ...rest] = draws(seed, 11);
      expect(sleeps(r.stdout, 'Producer')).toEqual(rest.slice(0, n));
      const ids = out.map((l) => ADDED.exec(l)?.[2]).filter((id) => id !== undefined);
      expect(ids).toHaveLength(n as number);
      added.push(...ids);
    });
    expect(added).toHaveLength(7);

    const got: string[] = [];
    consumed.forEach((r, k) => {
      expect(r.code, r.stderr).toBe(143); // SIGTERM: stopped cleanly
      expect(r.stderr).toBe('');
      const out = lines(r.stdout);
      expect(out.filter((l) => l.startsWith('Producer') || l.startsWith('Program'))).toEqual([]);
      // Only the consumers' draws, one sleep before each get.
      const mine = sleeps(r.stdout, 'Consumer');
      expect(mine).toEqual(draws(consumerSeeds[k] as number, mine.length));
      for (const l of out) {
        const m = GOT.exec(l);
        if (m !== null) got.push(m[2] as string);
      }
    });
    // Every item, once.
    expect([...got].sort()).toEqual([...added].sort());
  }, 60_000);

  it('--role both runs asyncq.py on the shared queue and ends by itself', async () => {
    // Seed 87258: one producer with 2 items, and every sleep of the run 0 or 1 s.
    const r = await runCli([
      ...['--redis', redis.url, '--queue', queueName(), '--role', 'both'],
      ...['-p', '1', '-c', '2', '--seed', '87258'],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    const added = out.map((l) => ADDED.exec(l)?.[2]).filter((id) => id !== undefined);
    const got = out.map((l) => GOT.exec(l)?.[2]).filter((id) => id !== undefined);
    expect(added).toHaveLength(2);
    expect([...got].sort()).toEqual([...added].sort());
    expect(out.at(-1)).toMatch(/^Program completed in \d+\.\d{5} seconds\.$/);
    // Producers and consumers draw from one generator, in the order they run.
    const all = out.map((l) => SLEEPING.exec(l)).filter((m) => m !== null);
    expect(all.map((m) => Number(m[3]))).toEqual(draws(87258, 1 + all.length).slice(1));
  }, 60_000);
});
