// The built `aiots-crawl` against the fixture site (test/site.ts): every point of the
// command's contract, checked on the exact OUT lines (as a set) and the log lines.
import { type ChildProcess, execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HttpServer } from '@aiots/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_DEPS, cliEnv, cliPath, ensureDist } from './dist-build.ts';
import { logLines, runCrawl } from './run-cli.ts';
import { refusedPort, type Site, startRobotsSite, startSite } from './site.ts';

let site: Site;
let robots500: HttpServer;
let robots404: HttpServer;
let refused: number;
let B: string;
const work = mkdtempSync(join(tmpdir(), 'aiots-crawl-test-'));

beforeAll(async () => {
  ensureDist(CLI_DEPS);
  refused = await refusedPort();
  site = await startSite(refused);
  robots500 = await startRobotsSite(500);
  robots404 = await startRobotsSite(404);
  B = site.base;
}, 180_000);

afterAll(async () => {
  await site?.close();
  await robots500?.close({ graceMs: 0 });
  await robots404?.close({ graceMs: 0 });
  rmSync(work, { recursive: true, force: true });
});

let files = 0;
/** A fresh file in the test's directory. */
function file(content?: string): string {
  const path = join(work, `f${++files}`);
  if (content !== undefined) writeFileSync(path, content);
  return path;
}

/** OUT's lines: the header, and the rest as a sorted list. */
function outLines(path: string): { header: string; lines: string[] } {
  const [header, ...lines] = readFileSync(path, 'utf8').split('\n');
  expect(lines.pop()).toBe(''); // every line complete
  return { header: header as string, lines: lines.sort() };
}

const tsv = (source: string, links: string[]): string[] => links.map((l) => `${source}\t${l}`);

// The links of each page, worked out by hand from test/site.ts.
const links = {
  index: () => [
    `${B}/style.css`,
    `${B}/page1`,
    `${B}/page2.html#intro`,
    `${B}/spaced`,
    `${B}/q?a=1&b=2&c=3`,
    `${B}/hex`,
    `${B}/caf%C3%A9`,
    `${B}/area`,
    `${B}/#top`,
    `${B}/protocol-relative`,
    `${B}/missing`,
    `${B}/error`,
    `${B}/redirect-relative`,
    `${B}/redirect-absolute`,
    `${B}/loop`,
    `${B}/slow`,
    `${B}/file.bin`,
    `${B}/notes.txt`,
    `${B}/private/doc`,
    `${B}/private/open/doc`,
    `http://127.0.0.1:${refused}/`,
    `${B}/malformed`,
    `${B}/based/`,
    `${B}/huge`,
    `${B}/chain/1`,
  ],
  page1: () => [`${B}/page2.html`, `${B}/sub/x`, `${B}/page1?page=2`, `${B}/page1`],
  page1Query: () => [`${B}/page2.html`, `${B}/sub/x`, `${B}/page1?page=2`],
  page2: () => [`${B}/page1`, `${B}/unquoted`],
  landing: () => [`${B}/`],
  open: () => [`${B}/open-link`],
  malformed: () => [1, 2, 3, 4, 5, 6].map((i) => `${B}/m${i}`),
  based: () => [
    `${B}/docs/before-base.ico`,
    `${B}/docs/`,
    `${B}/ignored/`,
    `${B}/docs/intro`,
    `${B}/abs`,
    `${B}/up`,
  ],
  huge: () => [`${B}/huge-early`],
};

describe('aiots-crawl at depth 0 (the seed: only the listed URLs)', () => {
  let stderr: string;
  let log: string[];
  let out: string;
  let code: number | null;

  beforeAll(async () => {
    out = file('stale content that must go\n');
    const list = file(
      [
        '# every case of the fixture site, one a line',
        `${B}/`,
        `${B}/page1`,
        `${B}/page2.html`,
        `${B}/redirect-relative`,
        `${B}/redirect-absolute`,
        `${B}/loop`,
        `${B}/missing`,
        `${B}/error`,
        `${B}/slow`,
        `${B}/file.bin`,
        `${B}/notes.txt`,
        `${B}/private/doc`,
        `${B}/private/open/doc`,
        `http://127.0.0.1:${refused}/`,
        `${B}/malformed`,
        `${B}/based/`,
        `${B}/huge`,
        `${robots500.url}/`,
        `${robots404.url}/`,
      ].join('\n'),
    );
    const r = await runCrawl([list, '-o', out, '--timeout-ms', '4000']);
    ({ stderr, code } = r);
    log = logLines(stderr);
  }, 60_000);

  it('exits 0 although pages failed', () => {
    expect(code, stderr).toBe(0);
  });

  it('writes the header, then exactly the links of each page that has some', () => {
    const { header, lines } = outLines(out);
    expect(header).toBe('source_url\tparsed_url');
    const want = [
      ...tsv(`${B}/`, links.index()),
      ...tsv(`${B}/page1`, links.page1()),
      ...tsv(`${B}/page2.html`, links.page2()),
      // Resolved against where the redirect led; written under the URL as listed.
      ...tsv(`${B}/redirect-relative`, links.page2()),
      ...tsv(`${B}/redirect-absolute`, links.landing()),
      ...tsv(`${B}/private/open/doc`, links.open()),
      ...tsv(`${B}/malformed`, links.malformed()),
      ...tsv(`${B}/based/`, links.based()),
      ...tsv(`${B}/huge`, links.huge()),
      ...tsv(`${robots404.url}/`, [`${robots404.url}/next`]),
    ].sort();
    expect(lines).toEqual(want);
  });

  it('logs the seed lines for each page, in order', () => {
    const at = (line: string) => log.indexOf(line);
    for (const [page, n] of [
      [`${B}/`, links.index().length],
      [`${B}/malformed`, 6],
    ] as const) {
      const got = at(`INFO:aiots-crawl: Got response [200] for URL: ${page}`);
      const found = at(`INFO:aiots-crawl: Found ${n} links for ${page}`);
      const wrote = at(`INFO:aiots-crawl: Wrote results for source URL: ${page}`);
      expect(got, stderr).toBeGreaterThanOrEqual(0);
      expect(found).toBeGreaterThan(got);
      expect(wrote).toBeGreaterThan(found);
    }
  });

  it('reports each failure as one error line with its kind, and goes on', () => {
    expect(log).toContain(`ERROR:aiots-crawl: Error for ${B}/missing [404]: Not Found`);
    expect(log).toContain(`ERROR:aiots-crawl: Error for ${B}/error [500]: Internal Server Error`);
    expect(log).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^ERROR:aiots-crawl: Error for ${B}/loop \\[TOO_MANY_REDIRECTS\\]: more than 10 redirects`,
        ),
      ),
    );
    expect(log).toContainEqual(
      expect.stringMatching(
        new RegExp(`^ERROR:aiots-crawl: Error for ${B}/slow \\[TIMEOUT\\]: .*4000 ms`),
      ),
    );
    expect(log).toContain(
      `ERROR:aiots-crawl: Error for http://127.0.0.1:${refused}/ [ECONNREFUSED]: connect ECONNREFUSED 127.0.0.1:${refused}`,
    );
  });

  it('fetches non-HTML pages but finds no links in them', () => {
    for (const page of [`${B}/file.bin`, `${B}/notes.txt`]) {
      expect(log).toContain(`INFO:aiots-crawl: Got response [200] for URL: ${page}`);
      expect(log).toContain(`INFO:aiots-crawl: Found 0 links for ${page}`);
      expect(log).not.toContain(`INFO:aiots-crawl: Wrote results for source URL: ${page}`);
    }
  });

  it('honours robots.txt: its rules, 5xx as disallow-all, 4xx as allow-all', () => {
    expect(log).toContain(`INFO:aiots-crawl: Skipped ${B}/private/doc (robots.txt)`);
    expect(site.hits.get('/private/doc')).toBeUndefined();
    expect(log).toContain(`INFO:aiots-crawl: Got response [200] for URL: ${B}/private/open/doc`);
    expect(log).toContain(`INFO:aiots-crawl: Skipped ${robots500.url}/ (robots.txt)`);
    expect(log).toContain(`INFO:aiots-crawl: Got response [200] for URL: ${robots404.url}/`);
  });

  it('reads at most --max-page-bytes of a page, and says so', () => {
    expect(log).toContain(
      `WARNING:aiots-crawl: Read only the first 5242880 bytes of ${B}/huge (--max-page-bytes)`,
    );
  });

  it('ends with the summary line', () => {
    const last = log.at(-1) as string;
    expect(last).toMatch(
      /^INFO:aiots-crawl: Done: 12 pages fetched, 49 links found, 5 errors \((?:[\w]+: 1(?:, )?){5}\), 2 skipped by robots\.txt, 1 cut at --max-page-bytes, in \d+\.\d\d s \(\d+\.\d\d pages\/s\)$/,
    );
    for (const kind of ['404', '500', 'ECONNREFUSED', 'TIMEOUT', 'TOO_MANY_REDIRECTS']) {
      expect(last).toContain(`${kind}: 1`);
    }
  });

  it('prints no progress bar when stderr is not a terminal', () => {
    expect(stderr.includes('\u001b[') || stderr.includes('\r')).toBe(false);
    for (const line of log) expect(line).toMatch(/^(INFO|WARNING|ERROR):aiots-crawl: /);
  });
});

describe('aiots-crawl --depth 2', () => {
  it('follows links two levels deep, each page once, and writes every page with links', async () => {
    const out = file();
    const hits = (path: string) => site.hits.get(path) ?? 0;
    const before = new Map(site.hits);
    const delta = (path: string) => hits(path) - (before.get(path) ?? 0);
    const r = await runCrawl(['-', '-o', out, '--depth', '2', '--timeout-ms', '4000'], {
      stdin: `${B}/\n`,
    });
    expect(r.code, r.stderr).toBe(0);
    const { lines } = outLines(out);
    const want = [
      ...tsv(`${B}/`, links.index()),
      // depth 1: the source column is the URL as found (fragment and all)
      ...tsv(`${B}/page1`, links.page1()),
      ...tsv(`${B}/page2.html#intro`, links.page2()),
      ...tsv(`${B}/redirect-relative`, links.page2()),
      ...tsv(`${B}/redirect-absolute`, links.landing()),
      ...tsv(`${B}/private/open/doc`, links.open()),
      ...tsv(`${B}/malformed`, links.malformed()),
      ...tsv(`${B}/based/`, links.based()),
      ...tsv(`${B}/huge`, links.huge()),
      ...tsv(`${B}/chain/1`, [`${B}/chain/2`]),
      // depth 2: fetched, written, not followed
      ...tsv(`${B}/page1?page=2`, links.page1Query()),
      ...tsv(`${B}/chain/2`, [`${B}/chain/3`]),
    ].sort();
    expect(lines).toEqual(want);
    // `/`, `/#top` and the redirect to /landing's link back are one page, fetched once.
    expect(delta('/')).toBe(1);
    expect(delta('/page1')).toBe(1);
    const log = logLines(r.stderr);
    expect(log).toContain(`INFO:aiots-crawl: Skipped ${B}/private/doc (robots.txt)`);
    expect(log).toContain(`ERROR:aiots-crawl: Error for ${B}/m1 [404]: Not Found`);
    // Depth 2 is fetched; depth 3 never is.
    expect(delta('/chain/2')).toBe(1);
    expect(delta('/open-link')).toBe(1);
    expect(delta('/chain/3')).toBe(0);
  }, 60_000);

  it('with --same-host, follows no link to another host', async () => {
    const other = await startRobotsSite(404, [`${B}/landing`]);
    try {
      const before = site.hits.get('/landing') ?? 0;
      const run = (flags: string[]) =>
        runCrawl(['-', '-o', file(), '--depth', '1', ...flags], { stdin: `${other.url}/\n` });
      const r = await run(['--same-host']);
      expect(r.code, r.stderr).toBe(0);
      const log = logLines(r.stderr);
      expect(log).toContain(`INFO:aiots-crawl: Got response [200] for URL: ${other.url}/next`);
      expect(log.filter((l) => l.includes(`${B}/landing`))).toEqual([]);
      expect(site.hits.get('/landing') ?? 0).toBe(before);
      // Without it, the link to the other host is followed.
      const r2 = await run([]);
      expect(logLines(r2.stderr)).toContain(
        `INFO:aiots-crawl: Got response [200] for URL: ${B}/landing`,
      );
    } finally {
      await other.close({ graceMs: 0 });
    }
  }, 60_000);
});

describe('a host that never answers', () => {
  it('reports the page as [TIMEOUT], not as a robots.txt skip', async () => {
    // Accepts connections and says nothing: robots.txt and the page both time out.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/page`;
    try {
      const r = await runCrawl(['-', '-o', file(), '--timeout-ms', '300'], { stdin: `${url}\n` });
      expect(r.code, r.stderr).toBe(0);
      const log = logLines(r.stderr);
      expect(log).toContainEqual(
        expect.stringMatching(new RegExp(`^ERROR:aiots-crawl: Error for ${url} \\[TIMEOUT\\]: `)),
      );
      expect(log.filter((l) => l.includes('robots.txt'))).toEqual([]);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 60_000);
});

describe('the URL list', () => {
  it('skips blank lines and comments, reports invalid lines by number, fetches duplicates once', async () => {
    const out = file();
    const before = site.hits.get('/landing') ?? 0;
    const list = file(
      [
        '# comment',
        '',
        `${B}/landing`,
        'not a url',
        `  ${B}/landing  `,
        `${B}/landing#again`,
        'ftp://example.com/file',
        '   # indented comment',
        'http://',
        `${B}/page2.html`,
      ].join('\n'),
    );
    const r = await runCrawl([list, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const log = logLines(r.stderr);
    expect(log.filter((l) => l.startsWith('WARNING'))).toEqual([
      'WARNING:aiots-crawl: Skipping invalid URL on line 4: not a url',
      'WARNING:aiots-crawl: Skipping invalid URL on line 7: ftp://example.com/file',
      'WARNING:aiots-crawl: Skipping invalid URL on line 9: http://',
    ]);
    expect((site.hits.get('/landing') ?? 0) - before).toBe(1);
    expect(outLines(out).lines).toEqual(
      [...tsv(`${B}/landing`, links.landing()), ...tsv(`${B}/page2.html`, links.page2())].sort(),
    );
  }, 60_000);

  it('reads urls.txt and writes foundurls.txt in the current directory by default', async () => {
    const dir = mkdtempSync(join(work, 'cwd-'));
    writeFileSync(join(dir, 'urls.txt'), `${B}/landing\n`);
    const r = await runCrawl([], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'foundurls.txt'), 'utf8')).toBe(
      `source_url\tparsed_url\n${B}/landing\t${B}/\n`,
    );
  }, 60_000);

  it('writes one JSON object a line with --format jsonl', async () => {
    const out = file();
    const r = await runCrawl(['-', '-o', out, '--format', 'jsonl'], { stdin: `${B}/page2.html\n` });
    expect(r.code, r.stderr).toBe(0);
    const rows = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(rows).toEqual([
      { source_url: `${B}/page2.html`, parsed_url: `${B}/page1` },
      { source_url: `${B}/page2.html`, parsed_url: `${B}/unquoted` },
    ]);
  }, 60_000);

  it('writes to stdout with -o -', async () => {
    const r = await runCrawl(['-', '-o', '-'], { stdin: `${B}/landing\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`source_url\tparsed_url\n${B}/landing\t${B}/\n`);
  }, 60_000);
});

describe('options', () => {
  it('--quiet keeps errors and the summary only', async () => {
    // An invalid URL line and a truncated page are WARNINGs: shown without --quiet only.
    const stdin = `${B}/landing\n${B}/missing\nnope\n${B}/huge\n`;
    const loud = await runCrawl(['-', '-o', file(), '--max-page-bytes', '1000'], { stdin });
    expect(loud.code, loud.stderr).toBe(0);
    expect(logLines(loud.stderr).filter((l) => l.startsWith('WARNING:'))).toEqual([
      'WARNING:aiots-crawl: Skipping invalid URL on line 3: nope',
      `WARNING:aiots-crawl: Read only the first 1000 bytes of ${B}/huge (--max-page-bytes)`,
    ]);
    const r = await runCrawl(['-', '-o', file(), '--max-page-bytes', '1000', '--quiet'], {
      stdin,
    });
    expect(r.code, r.stderr).toBe(0);
    const log = logLines(r.stderr);
    expect(log).toHaveLength(2);
    expect(log[0]).toBe(`ERROR:aiots-crawl: Error for ${B}/missing [404]: Not Found`);
    expect(log[1]).toMatch(
      /^INFO:aiots-crawl: Done: 2 pages fetched, 2 links found, 1 error \(404: 1\)/,
    );
  }, 60_000);

  it('--user-agent is sent, and picks the robots.txt group', async () => {
    const r = await runCrawl(['-', '-o', file(), '--user-agent', 'picky-bot/2.0'], {
      stdin: `${B}/landing\n`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(logLines(r.stderr)).toContain(`INFO:aiots-crawl: Skipped ${B}/landing (robots.txt)`);
    expect(site.agents).toContain('picky-bot/2.0');
  }, 60_000);

  it('--ignore-robots fetches what robots.txt disallows', async () => {
    const r = await runCrawl(['-', '-o', file(), '--ignore-robots'], {
      stdin: `${B}/private/doc\n`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(logLines(r.stderr)).toContain(
      `INFO:aiots-crawl: Got response [200] for URL: ${B}/private/doc`,
    );
  }, 60_000);

  it('--max-pages stops after that many pages', async () => {
    const r = await runCrawl(['-', '-o', file(), '--depth', '3', '--max-pages', '3'], {
      stdin: `${B}/\n`,
    });
    expect(r.code, r.stderr).toBe(0);
    const log = logLines(r.stderr);
    const pages = log.filter((l) => / Got response | Error for | Skipped /.test(l));
    expect(pages).toHaveLength(3);
  }, 60_000);

  it('--per-host and --concurrency cap the requests in flight', async () => {
    const list = Array.from({ length: 30 }, (_, i) => `${B}/page1?n=${i}`).join('\n');
    site.maxInFlight = 0;
    const r = await runCrawl(['-', '-o', file(), '--per-host', '2', '--quiet'], { stdin: list });
    expect(r.code, r.stderr).toBe(0);
    expect(site.maxInFlight).toBeLessThanOrEqual(2);
    site.maxInFlight = 0;
    const r2 = await runCrawl(['-', '-o', file(), '--per-host', '50', '-c', '3', '--quiet'], {
      stdin: list,
    });
    expect(r2.code, r2.stderr).toBe(0);
    expect(site.maxInFlight).toBeLessThanOrEqual(3);
  }, 60_000);
});

describe('signals', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s cancels the requests in flight, keeps OUT whole, prints the summary, exits %i',
    async (sig, exit) => {
      const out = file();
      site.holds.reset(3);
      const holds = [1, 2, 3].map((i) => `${B}/hold?${i}`);
      const wrote = Promise.withResolvers<void>();
      let child: ChildProcess | undefined;
      const run = runCrawl(['-', '-o', out], {
        stdin: [`${B}/page2.html`, ...holds].join('\n'),
        onSpawn: (c) => {
          child = c;
        },
        onStderrLine: (line) => {
          if (line.includes('Wrote results for source URL')) wrote.resolve();
        },
      });
      // Interrupt once page2 is written and the three held requests are in flight.
      await wrote.promise;
      await site.holds.allArrived.wait();
      child?.kill(sig);
      const r = await run;
      expect(r.code, r.stderr).toBe(exit);
      const log = logLines(r.stderr);
      expect(log.at(-1)).toMatch(
        /^INFO:aiots-crawl: Interrupted: 1 page fetched, 2 links found, 0 errors, in /,
      );
      expect(readFileSync(out, 'utf8')).toBe(
        `source_url\tparsed_url\n${tsv(`${B}/page2.html`, links.page2()).join('\n')}\n`,
      );
      // The server saw every held request go away: each handler was cancelled.
      await site.holds.allCancelled.wait();
      expect(site.holds.cancelled).toBe(3);
    },
    60_000,
  );
});

describe('on a terminal', () => {
  const hasScript = spawnSync('script', ['--version']).status === 0;
  // util-linux's `script` runs the command on a pseudo-terminal: stderr is a TTY there.
  it.skipIf(!hasScript)(
    'draws a progress bar instead of INFO lines, then the summary',
    async () => {
      const out = file();
      const list = file(`${B}/\n${B}/landing\n${B}/missing\n`);
      const command = [process.execPath, cliPath, list, '-o', out].map((a) => `'${a}'`).join(' ');
      // Not spawnSync: the site runs in this process and must go on answering.
      const r = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
        env: { ...cliEnv(), TERM: 'xterm' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const screen = r.stdout;
      expect(screen).toContain('\u001b['); // the bar is drawn and redrawn
      expect(screen).toMatch(/\d+\/\d+ pages \| \d+ links \| \d+ errors/);
      expect(screen).not.toContain('INFO:aiots-crawl: Got response');
      expect(screen).toContain(`ERROR:aiots-crawl: Error for ${B}/missing [404]: Not Found`);
      expect(screen).toMatch(
        /INFO:aiots-crawl: Done: 2 pages fetched, 26 links found, 1 error \(404: 1\)/,
      );
    },
    60_000,
  );
});
