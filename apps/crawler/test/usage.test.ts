// The command line of the built `aiots-crawl`: --help, --version, and every kind of usage
// error as one line on stderr with exit code 2 (no stack trace, nothing crawled).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_DEPS, ensureDist, packageDir } from './dist-build.ts';
import { runCrawl } from './run-cli.ts';

beforeAll(() => ensureDist(CLI_DEPS), 180_000);

describe('aiots-crawl --help and --version', () => {
  it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0', async (flag) => {
    const r = await runCrawl([flag]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: aiots-crawl \[URLS_FILE\] \[-o OUT\] \[options\]\n/);
    for (const option of [
      '--output',
      '--format',
      '--depth',
      '--same-host',
      '--concurrency',
      '--per-host',
      '--delay-ms',
      '--timeout-ms',
      '--max-pages',
      '--max-page-bytes',
      '--user-agent',
      '--ignore-robots',
      '--quiet',
      '--[no-]progress',
    ]) {
      expect(r.stdout).toContain(option);
    }
  });

  it('--version prints the package version', async () => {
    const r = await runCrawl(['--version']);
    const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });
});

describe('usage errors: one line on stderr, exit code 2', () => {
  const empty = mkdtempSync(join(tmpdir(), 'aiots-crawl-usage-'));
  it.each([
    [['--bogus'], "unknown option '--bogus'"],
    [['-x'], "unknown option '-x'"],
    [['--depth'], "option '-d, --depth <value>' argument missing"],
    [['--depth', 'two'], "expected -d/--depth to be an integer from 0 and up, got 'two'"],
    [['--depth', '-1'], "option '--depth' argument is ambiguous"],
    [['-c', '0'], "expected -c/--concurrency to be an integer from 1 and up, got '0'"],
    [['--per-host', '1.5'], "expected --per-host to be an integer from 1 and up, got '1.5'"],
    [['--timeout-ms', '0'], "expected --timeout-ms to be an integer from 1 and up, got '0'"],
    [['--delay-ms', 'soon'], "expected --delay-ms to be an integer from 0 and up, got 'soon'"],
    [['--max-pages', '0'], "expected --max-pages to be an integer from 1 and up, got '0'"],
    [
      ['--max-page-bytes', '1e6'],
      "expected --max-page-bytes to be an integer from 1 and up, got '1e6'",
    ],
    [['--format', 'xml'], "expected --format to be tsv or jsonl, got 'xml'"],
    [['--user-agent', ' '], 'expected --user-agent to be a non-empty string'],
    [['--same-host=yes'], "option '--same-host' does not take an argument"],
    [['a.txt', 'b.txt'], 'expected at most one URLS_FILE, got 2: a.txt b.txt'],
    [[], "cannot read URLS_FILE 'urls.txt': no such file"],
    [['missing.txt'], "cannot read URLS_FILE 'missing.txt': no such file"],
    [['.'], "cannot read URLS_FILE '.': it is a directory"],
  ])('%j', async (args, message) => {
    const r = await runCrawl(args, { cwd: empty });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^aiots-crawl: .* \(see --help\)$/);
    expect(lines[0]).toContain(message);
  });
});
