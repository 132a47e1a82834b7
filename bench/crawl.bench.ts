/**
 * aiots-crawl against its peers, on a local site of 5,000 pages served by a child process
 * (crawl-site.mjs: node:http, keep-alive, its own core). Each timed call is a whole crawl in a
 * fresh process, as a user runs it (the built `aiots-crawl`); the harness's CPU column is this process's, so only the
 * wall times count here. Peak RSS of each crawl comes from `/usr/bin/time`.
 *
 * (a) The whole site from /p/0, `--depth 4` (deep enough to reach every page), 100 requests
 *     at a time: `aiots-crawl --concurrency 100 --per-host 100` against the seed's crawler
 *     written the plain Node way (crawl-baseline.mjs: undici + p-limit(100) + the seed's
 *     `href="(.*?)"` regex), both logging the seed's lines. Targets: at least as fast, peak
 *     RSS within 1.5x.
 * (b) All 5,000 URLs listed, depth 0: `aiots-crawl` (100 at a time, no per-host cap, as
 *     aiohttp's default connector) against Real Python's areq.py itself, unchanged, on the
 *     system python3 with aiohttp and aiofiles. Target: 2x its pages per second, and the
 *     same TSV lines (the site's links are written so that the regex and a parser agree).
 *
 * AIOTS_BENCH_CRAWL_PAGES=N crawls a smaller site (for a quick run).
 */
import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '@aiots/test-utils';
import { compare } from './harness.ts';

const PAGES = Number(process.env.AIOTS_BENCH_CRAWL_PAGES ?? 5_000);
const CONCURRENCY = 100;
const here = fileURLToPath(new URL('.', import.meta.url));
// The command as users run it: the built bin. The packages it runs on are built first when
// their dist/ is older than their sources.
const root = join(here, '..');
const crawlerCli = join(root, 'apps', 'crawler', 'dist', 'cli.js');
for (const dir of ['packages/loop', 'packages/sync', 'packages/http', 'apps/crawler'])
  ensureBuilt(join(root, dir));
const work = mkdtempSync(join(tmpdir(), 'aiots-crawl-bench-'));

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

// ---- the site ---------------------------------------------------------------------------

const site: ChildProcessByStdio<Writable, Readable, null> = spawn(
  process.execPath,
  [join(here, 'crawl-site.mjs'), String(PAGES)],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const port = await new Promise<number>((resolve, reject) => {
  site.once('error', reject);
  createInterface({ input: site.stdout }).once('line', (line) => resolve(Number(line)));
});
const base = `http://127.0.0.1:${port}`;

// ---- running a crawl --------------------------------------------------------------------

interface Crawl {
  name: string;
  /** Peak RSS of each run, in KiB. */
  rss: number[];
  /** CPU time (user + system) of each run, in seconds. */
  cpu: number[];
  /** OUT of the last run. */
  out: string;
}

const hasTime = existsSync('/usr/bin/time');

/** Runs `argv` in `cwd` under /usr/bin/time, stderr to a file; records its peak RSS. */
function runProcess(crawl: Crawl, argv: string[], cwd: string): Promise<void> {
  const rssFile = join(cwd, 'rss.txt');
  const [cmd, ...args] = hasTime
    ? ['/usr/bin/time', '-f', '%M %U %S', '-o', rssFile, ...argv]
    : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-2000); // the log itself is read, not kept
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${crawl.name} exited with ${code}:\n${tail}`));
        return;
      }
      if (hasTime) {
        const [rss, user, sys] = (readFileSync(rssFile, 'utf8').trim().split('\n').at(-1) ?? '')
          .split(' ')
          .map(Number);
        crawl.rss.push(rss as number);
        crawl.cpu.push((user as number) + (sys as number));
      }
      resolve();
    });
  });
}

function listFile(urls: string[]): string {
  const dir = mkdtempSync(join(work, 'list-'));
  const file = join(dir, 'urls.txt');
  writeFileSync(file, `${urls.join('\n')}\n`);
  return file;
}

function ours(
  name: string,
  urls: string,
  depth: number,
  perHost: number,
): Crawl & { fn: () => Promise<void> } {
  const dir = mkdtempSync(join(work, 'ours-'));
  const crawl = { name, rss: [] as number[], cpu: [] as number[], out: join(dir, 'foundurls.txt') };
  const argv = [
    process.execPath,
    crawlerCli,
    urls,
    '-o',
    crawl.out,
    '--depth',
    String(depth),
    '--concurrency',
    String(CONCURRENCY),
    '--per-host',
    String(perHost),
    '--no-progress',
  ];
  return { ...crawl, fn: () => runProcess(crawl, argv, dir) };
}

function baseline(urls: string, depth: number): Crawl & { fn: () => Promise<void> } {
  const dir = mkdtempSync(join(work, 'baseline-'));
  const crawl = {
    name: 'baseline',
    rss: [] as number[],
    cpu: [] as number[],
    out: join(dir, 'foundurls.txt'),
  };
  const argv = [
    process.execPath,
    join(here, 'crawl-baseline.mjs'),
    urls,
    crawl.out,
    String(depth),
    String(CONCURRENCY),
  ];
  return { ...crawl, fn: () => runProcess(crawl, argv, dir) };
}

function areq(urls: string): Crawl & { fn: () => Promise<void> } {
  // areq.py reads urls.txt and writes foundurls.txt beside itself.
  const dir = mkdtempSync(join(work, 'areq-'));
  writeFileSync(join(dir, 'areq.py'), readFileSync(join(here, 'areq.py')));
  writeFileSync(join(dir, 'urls.txt'), readFileSync(urls));
  const crawl = {
    name: 'areq.py',
    rss: [] as number[],
    cpu: [] as number[],
    out: join(dir, 'foundurls.txt'),
  };
  return { ...crawl, fn: () => runProcess(crawl, ['/usr/bin/python3', 'areq.py'], dir) };
}

function lines(file: string): Set<string> {
  const [, ...rest] = readFileSync(file, 'utf8').trimEnd().split('\n');
  return new Set(rest);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

/** The crawls' own CPU time (the harness's CPU column is this process's, not theirs). */
function cpuLine(a: Crawl, b: Crawl): void {
  if (!hasTime) return;
  const per = (c: Crawl) => (median(c.cpu) * 1e6) / PAGES;
  console.log(
    `  CPU time (user + system) per page: ${a.name} ${per(a).toFixed(0)} us, ${b.name} ${per(b).toFixed(0)} us (${(per(b) / per(a)).toFixed(2)}x)`,
  );
}

function sameLines(a: Crawl, b: Crawl): void {
  const la = lines(a.out);
  const lb = lines(b.out);
  const missing = [...lb].filter((l) => !la.has(l));
  const extra = [...la].filter((l) => !lb.has(l));
  const verdict = missing.length === 0 && extra.length === 0 ? 'PASS' : 'MISS';
  console.log(
    `  same TSV lines as ${b.name}: ${verdict} (${la.size} lines; ${missing.length} missing, ${extra.length} extra)`,
  );
}

// ---- (a) the whole site, following links ------------------------------------------------

const start = listFile([`${base}/p/0`]);
const a = { ours: ours('aiots-crawl', start, DEPTH, CONCURRENCY), peer: baseline(start, DEPTH) };
await compare(
  `crawl a ${PAGES}-page local site, --depth ${DEPTH}, ${CONCURRENCY} at a time (per page)`,
  { name: `aiots-crawl --depth ${DEPTH}`, fn: a.ours.fn },
  [{ name: `undici + p-limit(${CONCURRENCY}) + regex (seed-style Node)`, fn: a.peer.fn }],
  { ops: PAGES, rounds: 3, samples: 1, warmup: 1, target: { vs: 'undici', atMost: 1 } },
);
const rssOurs = median(a.ours.rss);
const rssPeer = median(a.peer.rss);
if (hasTime) {
  const ratio = rssOurs / rssPeer;
  console.log(
    `  peak RSS: aiots-crawl ${mib(rssOurs)}, baseline ${mib(rssPeer)}: ${ratio.toFixed(2)}x (target <= 1.5x): ${ratio <= 1.5 ? 'PASS' : 'MISS'}`,
  );
}
cpuLine(a.ours, a.peer);
sameLines(a.ours, a.peer);

// ---- (b) areq.py's job: every URL listed, depth 0 ----------------------------------------

let python = true;
try {
  execFileSync('/usr/bin/python3', ['-c', 'import aiohttp, aiofiles'], { stdio: 'ignore' });
} catch {
  python = false;
  console.log('  (skipped areq.py: /usr/bin/python3 lacks aiohttp or aiofiles)');
}
if (python) {
  const all = listFile(Array.from({ length: PAGES }, (_, i) => `${base}/p/${i}`));
  const b = { ours: ours('aiots-crawl', all, 0, CONCURRENCY), peer: areq(all) };
  await compare(
    `${PAGES} listed URLs, depth 0 (areq.py's job), per page`,
    { name: 'aiots-crawl --depth 0', fn: b.ours.fn },
    [{ name: 'areq.py (aiohttp + aiofiles, system CPython)', fn: b.peer.fn }],
    { ops: PAGES, rounds: 2, samples: 1, warmup: 1, target: { vs: 'areq', atLeast: 2 } },
  );
  if (hasTime) {
    console.log(
      `  peak RSS: aiots-crawl ${mib(median(b.ours.rss))}, areq.py ${mib(median(b.peer.rss))}`,
    );
  }
  cpuLine(b.ours, b.peer);
  sameLines(b.ours, b.peer);
}

site.stdin.end();
rmSync(work, { recursive: true, force: true });
