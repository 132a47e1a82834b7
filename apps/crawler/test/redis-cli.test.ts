// The built `aiots-crawl --redis` as users run it: several processes sharing one crawl on a
// throwaway redis-server, against a local tree site that counts every request on the server
// side. Usage errors and an unreachable Redis; a file per process, or one queue in Redis read
// back with --dump; and one of four processes SIGKILLed mid-crawl, at a seeded random moment.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedisServer } from '@aiots/redis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_DEPS, ensureDist } from './dist-build.ts';
import { logLines, type Outcome, runCrawl } from './run-cli.ts';
import { refusedPort } from './site.ts';
import { depthFor, startTreeSite, type TreeSite } from './tree-site.ts';

const PAGES = 5_000;
let redis: RedisServer;
let site: TreeSite;
const work = mkdtempSync(join(tmpdir(), 'aiots-crawl-redis-'));
let dirs = 0;
let ids = 0;

beforeAll(async () => {
  ensureDist(CLI_DEPS);
  redis = await startRedisServer();
  site = await startTreeSite(PAGES);
}, 180_000);

afterAll(async () => {
  await site?.close();
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A fresh directory for one test's files. */
function dir(): string {
  return mkdtempSync(join(work, `d${++dirs}-`));
}

/** A fresh crawl id. */
const crawlId = () => `test-${++ids}`;

/** The lines of OUT files, header included, as a set (what "the same output" means here). */
function lineSet(paths: string[]): Set<string> {
  const lines = new Set<string>();
  for (const path of paths) {
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n'), path).toBe(true); // whole lines only
    for (const line of text.slice(0, -1).split('\n')) lines.add(line);
  }
  return lines;
}

const alone = new Map<number, Set<string>>();
/** The output of a one-process crawl (no Redis) of the site from /p/0, `depth` deep. */
async function oneProcess(depth: number): Promise<Set<string>> {
  const cached = alone.get(depth);
  if (cached !== undefined) return cached;
  const out = join(dir(), 'alone.tsv');
  const r = await runCrawl(['-', '-o', out, '-d', String(depth), '--quiet', '--ignore-robots'], {
    stdin: `${site.base}/p/0\n`,
  });
  expect(r.code, r.stderr).toBe(0);
  const lines = lineSet([out]);
  alone.set(depth, lines);
  return lines;
}

/** The pages of the tree within `depth` links of /p/0. */
function pagesWithin(depth: number): string[] {
  const paths: string[] = [];
  for (let n = 0, level = 0, levelEnd = 1; n < PAGES; n++) {
    if (n === levelEnd) {
      level++;
      levelEnd = levelEnd * 10 + 1;
    }
    if (level > depth) break;
    paths.push(`/p/${n}`);
  }
  return paths;
}

describe('aiots-crawl --redis: usage errors are one line and exit code 2', () => {
  it.each([
    [
      ['--redis', 'http://localhost:6379'],
      'expected --redis to be a Redis URL like redis://localhost:6379 (scheme redis: or rediss:), got "http://localhost:6379"',
    ],
    [
      ['--redis', 'not a url'],
      'expected --redis to be a Redis URL like redis://localhost:6379, got "not a url"',
    ],
    [
      ['--redis', 'redis://127.0.0.1:1', '--crawl-id', 'my crawl'],
      'expected --crawl-id to be 1 to 200 letters, digits or _ . : - / (no spaces), got "my crawl" (" " is not allowed)',
    ],
    [
      ['--redis', 'redis://127.0.0.1:1', '--crawl-id', 'x'.repeat(195), '-o', 'redis'],
      'expected --crawl-id to be at most 194 characters with -o redis or --dump (its queue is ID:links), got 195',
    ],
    [
      ['--redis', 'redis://127.0.0.1:1', '--crawl-id', 'x'.repeat(195), '--dump'],
      'expected --crawl-id to be at most 194 characters with -o redis or --dump (its queue is ID:links), got 195',
    ],

    [['--crawl-id', 'x'], 'expected --redis URL with --crawl-id'],
    [['--lease-ms', '5000'], 'expected --redis URL with --lease-ms'],
    [['--dump'], 'expected --redis URL with --dump'],
    [
      ['-o', 'redis'],
      'expected --redis URL with -o redis (for a file named redis, use -o ./redis)',
    ],
    [
      ['--redis', 'redis://127.0.0.1:1', '--lease-ms', '10'],
      "expected --lease-ms to be an integer from 30 and up, got '10'",
    ],
    [
      ['--redis', 'redis://127.0.0.1:1', '--lease-ms', '86400001'],
      "expected --lease-ms to be an integer from 30 to 86400000, got '86400001'",
    ],
    [
      ['urls.txt', '--redis', 'redis://127.0.0.1:1', '--dump'],
      'expected no URLS_FILE with --dump (it reads what the crawl put in Redis), got urls.txt',
    ],
    [
      ['--redis', 'redis://127.0.0.1:1', '--dump', '-o', 'redis'],
      'expected --dump to write to a file or - (-o redis is where it reads from)',
    ],
  ])('%j', async (args, message) => {
    const r = await runCrawl(args, { cwd: dir() });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`aiots-crawl: ${message} (see --help)\n`);
  });

  it('a missing URLS_FILE is still a usage error', async () => {
    const r = await runCrawl(['no-such-file.txt', '--redis', redis.url], { cwd: dir() });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(
      "aiots-crawl: cannot read URLS_FILE 'no-such-file.txt': no such file (see --help)\n",
    );
  });

  it('Redis unreachable: one line and exit code 1, after a bounded retry', async () => {
    const port = await refusedPort();
    const cwd = dir();
    const r = await runCrawl(['-', '--redis', `redis://127.0.0.1:${port}`], {
      cwd,
      stdin: `${site.base}/p/0\n`,
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(
      `aiots-crawl: Redis at 127.0.0.1:${port} is unavailable: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
    expect(readdirSync(cwd)).toEqual([]); // no output file opened
  }, 60_000);
});

describe('aiots-crawl --redis: processes share one crawl', () => {
  it('three processes fetch every page once, each into its own file, together what one alone writes', async () => {
    const depth = 2;
    const expected = await oneProcess(depth);
    site.reset();
    const cwd = dir();
    const id = crawlId();
    const pids: number[] = [];
    const runs = await Promise.all(
      [0, 1, 2].map(() =>
        runCrawl(['-', '--redis', redis.url, '--crawl-id', id, '-d', String(depth), '-c', '4'], {
          cwd,
          stdin: `${site.base}/p/0\n`,
          onSpawn: (child) => pids.push(child.pid as number),
        }),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    // Every page once (robots.txt at most once per process: each keeps its own robots
    // cache, and fetches it before its first page, if it gets one).
    const pages = pagesWithin(depth);
    expect(site.hits.get('/robots.txt')).toBeGreaterThanOrEqual(1);
    expect(site.hits.get('/robots.txt')).toBeLessThanOrEqual(3);
    site.hits.delete('/robots.txt');
    expect([...site.hits.keys()].sort()).toEqual([...pages].sort());
    expect([...site.hits.values()].every((n) => n === 1)).toBe(true);
    // A file per process, named after its host and pid; together, one process's output.
    const files = readdirSync(cwd).sort();
    expect(files).toHaveLength(3);
    for (const pid of pids) expect(files.some((f) => f.endsWith(`-${pid}.txt`))).toBe(true);
    for (const f of files) expect(f).toMatch(/^foundurls-.+-\d+\.txt$/);
    expect(lineSet(files.map((f) => join(cwd, f)))).toEqual(expected);
    // Each says where it writes, and its summary counts its own pages.
    let fetched = 0;
    for (const r of runs) {
      const log = logLines(r.stderr);
      expect(log[0]).toMatch(
        new RegExp(
          `^INFO:aiots-crawl: Joined crawl ${id} on ${redis.url} as .+, writing to foundurls-.+-\\d+\\.txt$`,
        ),
      );
      const done = /Done: (\d+) pages? fetched/.exec(log[log.length - 1] ?? '');
      fetched += Number(done?.[1]);
    }
    expect(fetched).toBe(pages.length);
  }, 120_000);

  it('-o redis puts the links in Redis, and --dump follows the crawl to its end and writes them', async () => {
    const depth = 2;
    const expected = await oneProcess(depth);
    const cwd = dir();
    const id = crawlId();
    let release = (): void => {};
    site.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    site.reset();
    let firstPage: () => void = () => {};
    const pageDone = new Promise<void>((resolve) => {
      firstPage = resolve;
    });
    // Two crawlers; every page but /p/0 waits until the dump has started.
    const crawlers = [0, 1].map(() =>
      runCrawl(['-', '--redis', redis.url, '--crawl-id', id, '-d', String(depth), '-o', 'redis'], {
        cwd,
        stdin: `${site.base}/p/0\n`,
        onStderrLine: (line) => {
          if (line.includes(`Wrote results for source URL: ${site.base}/p/0`)) firstPage();
        },
      }),
    );
    await pageDone;
    const dumped = runCrawl(['--redis', redis.url, '--crawl-id', id, '--dump', '-o', 'all.tsv'], {
      cwd,
    });
    site.hold = undefined;
    release();
    for (const r of await Promise.all(crawlers)) expect(r.code, r.stderr).toBe(0);
    const d = await dumped;
    expect(d.code, d.stderr).toBe(0);
    expect(readdirSync(cwd)).toEqual(['all.tsv']); // no file per process
    expect(lineSet([join(cwd, 'all.tsv')])).toEqual(expected);
    const pages = pagesWithin(depth).length;
    expect(logLines(d.stderr)).toEqual([
      `INFO:aiots-crawl: Dumped ${expected.size - 1} links of ${pages} pages from crawl ${id} to all.tsv`,
    ]);
    // The links were taken out of Redis: a second dump finds none, and says so.
    const again = await runCrawl(['--redis', redis.url, '--crawl-id', id, '--dump', '-o', '-']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('source_url\tparsed_url\n');
    expect(logLines(again.stderr)).toEqual([
      `WARNING:aiots-crawl: The crawl ${id} put no links in Redis (were its processes run with -o redis?)`,
      `INFO:aiots-crawl: Dumped 0 links of 0 pages from crawl ${id} to stdout`,
    ]);
  }, 120_000);
});

/** mulberry32: a small seeded generator, for a kill moment that a failing run can repeat. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A fresh moment on every run; AIOTS_FAULT_SEED=<the seed printed> repeats one.
const SEED = Number(process.env.AIOTS_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** How many times each line occurs in the OUT files (one header line per file). */
function lineCounts(paths: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const path of paths) {
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n'), path).toBe(true); // whole lines only, even in the killed one's
    for (const line of text.slice(0, -1).split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return counts;
}

describe('aiots-crawl --redis: a process SIGKILLed mid-crawl', () => {
  it(`four processes on ${PAGES} pages, one killed at a random moment (seed ${SEED}): the others finish its work`, async () => {
    const depth = depthFor(PAGES);
    const expected = await oneProcess(depth);
    const random = seeded(SEED);
    const victim = Math.floor(random() * 4);
    // The moment: the victim's first request once the site has served this many (of 5,000),
    // so that it dies with that page (and others) in flight.
    const killAt = 300 + Math.floor(random() * 3_200);
    const victimAgent = `aiots-crawl/w${victim}`;
    const concurrency = 8;
    site.reset();
    const cwd = dir();
    const id = crawlId();
    const children: ChildProcess[] = [];
    let killedAt = 0;
    site.onRequest = (_path, agent) => {
      if (killedAt > 0 || site.total < killAt || agent !== victimAgent) return;
      killedAt = site.total;
      children[victim]?.kill('SIGKILL');
    };
    const started = Date.now();
    const runs: Outcome[] = await Promise.all(
      [0, 1, 2, 3].map((w) =>
        runCrawl(
          [
            '-',
            // A short lease: the killed process's pages go to the others 3 s after it died.
            ...['--redis', redis.url, '--crawl-id', id, '--lease-ms', '3000'],
            ...['-d', String(depth), '-c', String(concurrency), '--per-host', String(concurrency)],
            ...['--ignore-robots', '--quiet', '--user-agent', `aiots-crawl/w${w}`],
            ...['-o', `w${w}.tsv`],
          ],
          {
            cwd,
            stdin: `${site.base}/p/0\n`,
            // A crawl that does not end fails the test (the child is killed) instead of hanging.
            timeoutMs: 60_000,
            onSpawn: (child) => {
              children[w] = child;
            },
          },
        ),
      ),
    );
    site.onRequest = undefined;
    const elapsed = Date.now() - started;
    const context = `seed ${SEED}, w${victim} killed at request ${killedAt}`;
    expect(killedAt, context).toBeGreaterThan(0);
    runs.forEach((r, w) => {
      if (w === victim) expect(r.signal, context).toBe('SIGKILL');
      else expect(r.code, `${context}: w${w}: ${r.stderr}`).toBe(0);
    });
    // Every page fetched, and nothing else asked for.
    for (let n = 0; n < PAGES; n++) {
      expect(site.hits.get(`/p/${n}`), `${context}: /p/${n}`).toBeGreaterThan(0);
    }
    expect(site.hits.size, context).toBe(PAGES);
    // None twice, except pages the killed process had fetched and not marked done (at most
    // one per worker task of it): each fetched by it first, then once by another.
    const twice = [...site.hits].filter(([, n]) => n > 1).map(([path]) => path);
    for (const path of twice) {
      const agents = site.agents.get(path) ?? [];
      expect(agents, `${context}: ${path}`).toHaveLength(2);
      expect(agents[0], `${context}: ${path}`).toBe(victimAgent);
      expect(agents[1], `${context}: ${path}`).not.toBe(victimAgent);
    }
    expect(twice.length, context).toBeLessThanOrEqual(concurrency);
    // The merged output is what one process alone writes: the same lines, each once, but the
    // lines of a page fetched twice, which the killed process may have written before it died.
    const files = readdirSync(cwd).map((f) => join(cwd, f));
    expect(files, context).toHaveLength(4);
    const merged = lineCounts(files);
    expect(new Set(merged.keys()), context).toEqual(expected);
    const refetched = new Set(twice.map((path) => `${site.base}${path}`));
    const header = 'source_url\tparsed_url';
    expect(merged.get(header), context).toBe(4);
    for (const [line, n] of merged) {
      if (line === header) continue;
      const source = line.slice(0, line.indexOf('\t'));
      expect(n, `${context}: ${line}`).toBeLessThanOrEqual(refetched.has(source) ? 2 : 1);
    }
    console.log(
      `fault test (seed ${SEED}): w${victim} killed at request ${killedAt}, ${twice.length} pages fetched twice, ${elapsed} ms`,
    );
  }, 120_000);
});
