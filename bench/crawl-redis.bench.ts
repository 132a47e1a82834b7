/**
 * The distributed crawl: `aiots-crawl --redis` in 4 processes against 1 process, sharing one
 * crawl through a throwaway `redis-server` on loopback (persistence off), on the local site of
 * crawl.bench.ts (crawl-site.mjs: 5,000 pages, node:http with keep-alive, in a child process).
 *
 * Each timed call is one whole crawl from /p/0, `--depth 4` (every page), on a fresh crawl id:
 * all its processes started together (the built `aiots-crawl`, as users run it) and awaited.
 * Every process runs with the same flags (`-c 100 --per-host 100 --quiet`, its own output
 * file), so 4 processes may have 400 requests in flight. A third entry, one process without
 * Redis (the in-memory frontier), shows what sharing the crawl costs.
 *
 * Besides the times, the suite prints the host's cores, each process's CPU time (user +
 * system, from `/usr/bin/time`), redis-server's CPU time per page (`INFO cpu`), and the Redis
 * round trips per page: requests the crawlers sent, counted by a small proxy that parses the
 * RESP stream between them and Redis, in one extra (untimed) crawl of each kind; and the
 * commands Redis executed per page (`INFO stats`, the commands inside scripts included).
 *
 * Target: 4 processes at least 2.5x the pages per second of one, on a host with the cores
 * for it (the 4 crawlers, Redis and the site: 6 or more); with fewer, the ratio is printed
 * and not judged.
 *
 * AIOTS_BENCH_CRAWL_PAGES=N crawls a smaller site (for a quick run).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '@aiots/redis/testing';
import { ensureBuilt } from '@aiots/test-utils';
import { createClient } from 'redis';
import { compare } from './harness.ts';

const PAGES = Number(process.env.AIOTS_BENCH_CRAWL_PAGES ?? 5_000);
const PROCESSES = 4;
const CONCURRENCY = 100;
const CORES = availableParallelism();
/** Cores for 4 crawlers, redis-server and the site each to have one. */
const CORES_FOR_TARGET = PROCESSES + 2;

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const crawlerCli = join(root, 'apps', 'crawler', 'dist', 'cli.js');
for (const dir of [
  'packages/loop',
  'packages/sync',
  'packages/http',
  'packages/redis',
  'apps/crawler',
])
  ensureBuilt(join(root, dir));
const work = mkdtempSync(join(tmpdir(), 'aiots-crawl-redis-bench-'));

/** The smallest depth at which the tree of crawl-site.mjs reaches every page. */
function depthFor(pages: number): number {
  let depth = 0;
  for (let reach = 1, level = 1; reach < pages; depth++) {
    level *= 10;
    reach += level;
  }
  return depth;
}
const DEPTH = depthFor(PAGES);

// ---- the site, Redis, and a client to ask Redis for its counters ------------------------

const site: ChildProcessByStdio<Writable, Readable, null> = spawn(
  process.execPath,
  [join(here, 'crawl-site.mjs'), String(PAGES)],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const sitePort = await new Promise<number>((resolve, reject) => {
  site.once('error', reject);
  createInterface({ input: site.stdout }).once('line', (line) => resolve(Number(line)));
});
const start = `${`http://127.0.0.1:${sitePort}`}/p/0\n`;

const server = await startRedisServer();
const admin = createClient({ url: server.url });
await admin.connect();

async function info(section: string, field: string): Promise<number> {
  const text = (await admin.info(section)) as string;
  return Number(new RegExp(`${field}:([\\d.]+)`).exec(text)?.[1]);
}
const redisCpu = async (): Promise<number> =>
  (await info('cpu', 'used_cpu_user')) + (await info('cpu', 'used_cpu_sys'));

// ---- running a crawl --------------------------------------------------------------------

const hasTime = existsSync('/usr/bin/time');

/** What the crawls of one entry measured, run by run. */
interface Kind {
  readonly name: string;
  /** CPU time (user + system, s) of each process of each run. */
  readonly cpu: number[][];
  /** redis-server's CPU time (s) during each run. */
  readonly redisCpu: number[];
}

let crawls = 0;
/** The id of the last crawl through Redis (ended by the time anyone reads it). */
let lastRedisCrawl = '';

/** Runs one `aiots-crawl` process to its end; resolves its CPU time and pages fetched. */
function crawlProcess(args: string[], cwd: string): Promise<{ cpu: number; fetched: number }> {
  const timeFile = join(cwd, `time-${++crawls}.txt`);
  const argv = [process.execPath, crawlerCli, ...args];
  const [cmd, ...rest] = hasTime ? ['/usr/bin/time', '-f', '%U %S', '-o', timeFile, ...argv] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, rest, { cwd, stdio: ['pipe', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-2000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`aiots-crawl exited with ${code}:\n${tail}`));
        return;
      }
      const fetched = Number(/Done: (\d+) pages? fetched/.exec(tail)?.[1] ?? Number.NaN);
      let cpu = Number.NaN;
      if (hasTime) {
        const [user, sys] = (readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '')
          .split(' ')
          .map(Number);
        cpu = (user as number) + (sys as number);
      }
      resolve({ cpu, fetched });
    });
    child.stdin.end(start);
  });
}

/**
 * One whole crawl by `processes` processes (through Redis at `redisUrl`, or without Redis
 * when it is undefined); checks that together they fetched every page once.
 */
async function crawlOnce(
  processes: number,
  redisUrl: string | undefined,
  kind?: Kind,
): Promise<void> {
  const dir = mkdtempSync(join(work, 'run-'));
  const id = `bench-${++crawls}`;
  if (redisUrl !== undefined) lastRedisCrawl = id;
  const common = ['-', '-d', String(DEPTH), '-c', String(CONCURRENCY)];
  const flags = [...common, '--per-host', String(CONCURRENCY), '--quiet', '--no-progress'];
  const redisBefore = kind === undefined ? 0 : await redisCpu();
  const runs = await Promise.all(
    Array.from({ length: processes }, (_, k) =>
      crawlProcess(
        [
          ...flags,
          ...(redisUrl === undefined ? [] : ['--redis', redisUrl, '--crawl-id', id]),
          ...['-o', join(dir, `w${k}.tsv`)],
        ],
        dir,
      ),
    ),
  );
  if (kind !== undefined) {
    kind.redisCpu.push((await redisCpu()) - redisBefore);
    kind.cpu.push(runs.map((r) => r.cpu));
  }
  const fetched = runs.reduce((sum, r) => sum + r.fetched, 0);
  if (fetched !== PAGES) {
    throw new Error(`${processes} process(es) fetched ${fetched} pages of ${PAGES}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

const kinds = {
  many: { name: `${PROCESSES} processes`, cpu: [], redisCpu: [] } as Kind,
  one: { name: '1 process', cpu: [], redisCpu: [] } as Kind,
  alone: { name: '1 process, no Redis', cpu: [], redisCpu: [] } as Kind,
};

const result = await compare(
  `distributed crawl of a ${PAGES}-page local site through Redis, ${PROCESSES} processes vs 1 (${CORES} cores; per page)`,
  {
    name: `aiots-crawl --redis, ${PROCESSES} processes`,
    fn: () => crawlOnce(PROCESSES, server.url, kinds.many),
  },
  [
    { name: 'aiots-crawl --redis, 1 process', fn: () => crawlOnce(1, server.url, kinds.one) },
    {
      name: 'aiots-crawl, 1 process, no Redis (context)',
      fn: () => crawlOnce(1, undefined, kinds.alone),
    },
  ],
  {
    ops: PAGES,
    rounds: 2,
    samples: 1,
    warmup: 1,
    ...(CORES >= CORES_FOR_TARGET ? { target: { vs: '--redis, 1 process', atLeast: 2.5 } } : {}),
  },
);

// ---- what the run measured besides the times ----------------------------------------------
// (The harness's CPU column is this process's, which only waits: the crawlers' own CPU time
// is printed below.)

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const us = (seconds: number): string => `${((seconds * 1e6) / PAGES).toFixed(0)} us`;

if (!result.skipped) await report();

async function report(): Promise<void> {
  const scaling = result.ratios.find((r) => r.peer === 'aiots-crawl --redis, 1 process');
  if (scaling !== undefined) {
    console.log(
      `  pages/s scaling, ${PROCESSES} processes over 1: ${scaling.speedup.toFixed(2)}x on ${CORES} cores` +
        (CORES >= CORES_FOR_TARGET
          ? ' (target 2.5x)'
          : ` (target 2.5x on ${CORES_FOR_TARGET} or more cores: not judged here)`),
    );
  }
  for (const entry of result.entries) {
    console.log(`  ${entry.name}: ${((PAGES * 1000) / entry.medianMs).toFixed(0)} pages/s`);
  }
  if (hasTime) {
    // What every process pays before its first page: Node.js, the modules, the connection,
    // the claims of the start URL. A process joining a crawl that has ended does just that.
    const dir = mkdtempSync(join(work, 'start-up-'));
    const ended = lastRedisCrawl;
    const startUp: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await crawlProcess(
        ['-', '--redis', server.url, '--crawl-id', ended, '--quiet'],
        dir,
      );
      startUp.push(r.cpu);
    }
    console.log(
      `  CPU time of a process's start-up (joining a crawl that has ended): ${median(startUp).toFixed(2)} s`,
    );
    for (const kind of [kinds.many, kinds.one, kinds.alone]) {
      // The runs kept are the timed ones (the warm-up's too: each is a whole crawl alike).
      const perProcess = kind.cpu.map((run) => run.map((s) => s.toFixed(2)).join(' + '));
      const total = median(kind.cpu.map((run) => run.reduce((a, b) => a + b, 0)));
      console.log(
        `  CPU time (user + system) of ${kind.name}: ${perProcess.join(', ')} s by run; ${us(total)} per page in all` +
          (kind === kinds.alone ? '' : `; redis-server ${us(median(kind.redisCpu))} per page`),
      );
    }
  }

  /**
   * A TCP proxy in front of Redis that counts the requests clients send (top-level RESP
   * arrays; a pipeline of ten commands counts ten).
   */
  function countingProxy(
    target: number,
  ): Promise<{ server: Server; port: number; count(): number }> {
    let requests = 0;
    const proxy = createServer((client) => {
      const upstream = createConnection(target, '127.0.0.1');
      client.pipe(upstream).on('error', () => client.destroy());
      upstream.pipe(client).on('error', () => upstream.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      let buffered: Buffer = Buffer.alloc(0);
      client.on('data', (chunk: Buffer) => {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        let at = 0;
        // Each request: *<n>\r\n then n bulk strings $<len>\r\n<bytes>\r\n.
        for (;;) {
          const end = parseRequest(buffered, at);
          if (end < 0) break;
          requests++;
          at = end;
        }
        buffered = buffered.subarray(at);
      });
    });
    return new Promise((resolve) => {
      proxy.listen(0, '127.0.0.1', () => {
        const { port } = proxy.address() as { port: number };
        resolve({ server: proxy, port, count: () => requests });
      });
    });
  }

  /** The end of the RESP request starting at `at`, or -1 when it is not all there yet. */
  function parseRequest(buf: Buffer, at: number): number {
    const line = (from: number): [number, number] | undefined => {
      const nl = buf.indexOf('\r\n', from);
      return nl < 0 ? undefined : [Number(buf.toString('latin1', from + 1, nl)), nl + 2];
    };
    if (at >= buf.length) return -1;
    if (buf[at] !== 0x2a) throw new Error(`unexpected RESP request byte ${buf[at]}`);
    const head = line(at);
    if (head === undefined) return -1;
    let [n, pos] = head;
    for (; n > 0; n--) {
      const bulk = line(pos);
      if (bulk === undefined) return -1;
      const [len, dataAt] = bulk;
      pos = dataAt + len + 2;
      if (pos > buf.length) return -1;
    }
    return pos;
  }

  const executed = () => info('stats', 'total_commands_processed');
  const proxy = await countingProxy(server.port);
  const counts: string[] = [];
  for (const processes of [PROCESSES, 1]) {
    const sentBefore = proxy.count();
    const executedBefore = await executed();
    await crawlOnce(processes, `redis://127.0.0.1:${proxy.port}`);
    const sent = (proxy.count() - sentBefore) / PAGES;
    // Less this client's INFO.
    const ran = ((await executed()) - executedBefore - 1) / PAGES;
    counts.push(
      `${processes} process${processes === 1 ? '' : 'es'}: ${sent.toFixed(1)} round trips, ${ran.toFixed(1)} commands executed`,
    );
  }
  console.log(
    `  Redis per page (one extra crawl each, through a counting proxy; commands inside scripts included in "executed"): ${counts.join('; ')}`,
  );
  proxy.server.close();
}

await admin.close();
await server.stop();
site.stdin.end();
rmSync(work, { recursive: true, force: true });
