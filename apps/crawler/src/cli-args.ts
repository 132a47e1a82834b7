/**
 * The command line of `aiots-crawl`, parsed with `node:util`'s `parseArgs`. Anything wrong
 * is a `UsageError`: one line on stderr and exit code 2.
 */
import { parseArgs } from 'node:util';
import type { OutputFormat } from './output.ts';

/** A command line that cannot run. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The parsed command line. */
export interface CrawlArgs {
  readonly help: boolean;
  readonly version: boolean;
  readonly urlsFile: string;
  readonly output: string;
  readonly format: OutputFormat;
  readonly depth: number;
  readonly sameHost: boolean;
  readonly concurrency: number;
  readonly perHost: number;
  readonly delayMs: number;
  readonly timeoutMs: number;
  readonly maxPages: number;
  readonly maxPageBytes: number;
  readonly userAgent: string;
  readonly ignoreRobots: boolean;
  readonly quiet: boolean;
  readonly progress: boolean | undefined;
  /** `--redis URL`: share the crawl with other processes through this Redis. */
  readonly redis: string | undefined;
  /** `--crawl-id`, checked only once `redis` is known to be set. */
  readonly crawlId: string;
  readonly leaseMs: number;
  /** `-o redis`: the results go to the crawl's queue in Redis. */
  readonly outputToRedis: boolean;
  /** True when `-o` was given (with `--redis`, the default OUT is a file per process). */
  readonly outputGiven: boolean;
  readonly dump: boolean;
}

/** The crawl id when `--crawl-id` is not given. */
export const DEFAULT_CRAWL_ID = 'aiots-crawl';

export const USAGE = `Usage: aiots-crawl [URLS_FILE] [-o OUT] [options]

Fetches the URLs listed in URLS_FILE (one a line; default urls.txt, - for stdin)
concurrently, extracts the links of every HTML page and writes them to OUT
(default foundurls.txt) as source_url<TAB>parsed_url lines. Logs go to stderr.

Options:
  -o, --output OUT        where the links go (truncated first; - for stdout)
      --format tsv|jsonl  tsv with a header line (default), or one JSON object a line
  -d, --depth N           follow links N levels deep (default 0: only the listed URLs)
      --same-host         follow only links to the host of the page they are on
  -c, --concurrency N     pages fetched at once in all (default 100)
      --per-host N        requests to one host at once (default 8)
      --delay-ms N        milliseconds between two requests to one host (default 0)
      --timeout-ms N      milliseconds a page may take, redirects included (default 30000)
      --max-pages N       stop after N pages (default: no limit)
      --max-page-bytes N  read at most N bytes of a page (default 5242880)
      --user-agent S      the User-Agent header and robots.txt agent (default aiots-crawl)
      --ignore-robots     do not fetch or obey robots.txt
  -q, --quiet             log only errors and the summary
      --[no-]progress     a progress bar instead of log lines (default: when stderr is a terminal)
  -h, --help              show this help and exit
  -V, --version           show the version and exit

Across processes and hosts (every process started with the same --redis and --crawl-id
shares one crawl: each page is fetched by one of them, and all end together):
      --redis URL         the Redis that holds the crawl (redis://[user:pass@]host[:port][/db])
      --crawl-id ID       the crawl's name: letters, digits, _ . : - / (default aiots-crawl)
      --lease-ms N        a page held by a process silent this long goes to another (default 30000)
  -o redis                put each page's links on the crawl's queue in Redis (read them back
                          with --dump); the default OUT is foundurls-HOST-PID.txt, per process
      --dump              write the links the crawl put in Redis to OUT (default foundurls.txt),
                          taking them out of Redis, until the crawl has ended

Exit codes: 0 the crawl ran (failed pages included), 1 Redis unreachable, 2 usage error,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
`;

function count(value: string | undefined, flag: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && Number.isSafeInteger(n))) {
    throw new UsageError(`expected ${flag} to be an integer from ${min} and up, got '${value}'`);
  }
  return n;
}

/** Node's parseArgs message, first sentence, in our one-line form. */
function parseError(e: unknown): never {
  const err = e as { code?: unknown; message?: unknown };
  if (typeof err.code !== 'string' || !err.code.startsWith('ERR_PARSE_ARGS_')) throw e;
  const message = String(err.message);
  const first = message.split(/\.\s/)[0]?.replace(/\.$/, '') ?? message;
  let line = first.charAt(0).toLowerCase() + first.slice(1);
  const attached = /use ('[^']+')/.exec(message)?.[1];
  if (attached !== undefined) line += `: to pass a value starting with '-', use ${attached}`;
  throw new UsageError(line);
}

/**
 * Parses the arguments of `aiots-crawl` (without `node` and the script).
 *
 * @throws {UsageError} for an unknown flag, a missing or bad value, or two URLS_FILEs.
 */
export function parseCrawlArgs(argv: readonly string[]): CrawlArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      allowNegative: true,
      options: {
        output: { type: 'string', short: 'o' },
        format: { type: 'string' },
        depth: { type: 'string', short: 'd' },
        'same-host': { type: 'boolean' },
        concurrency: { type: 'string', short: 'c' },
        'per-host': { type: 'string' },
        'delay-ms': { type: 'string' },
        'timeout-ms': { type: 'string' },
        'max-pages': { type: 'string' },
        'max-page-bytes': { type: 'string' },
        'user-agent': { type: 'string' },
        'ignore-robots': { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        progress: { type: 'boolean' },
        redis: { type: 'string' },
        'crawl-id': { type: 'string' },
        'lease-ms': { type: 'string' },
        dump: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (e) {
    parseError(e);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const str = (name: string): string | undefined => v[name] as string | undefined;
  if (parsed.positionals.length > 1) {
    throw new UsageError(
      `expected at most one URLS_FILE, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`,
    );
  }
  const format = str('format') ?? 'tsv';
  if (format !== 'tsv' && format !== 'jsonl') {
    throw new UsageError(`expected --format to be tsv or jsonl, got '${format}'`);
  }
  const userAgent = str('user-agent') ?? 'aiots-crawl';
  if (userAgent.trim() === '')
    throw new UsageError('expected --user-agent to be a non-empty string');
  const output = str('output') ?? 'foundurls.txt';
  if (output === '') throw new UsageError('expected -o/--output to be a file name or -');
  const urlsFile = parsed.positionals[0] ?? 'urls.txt';
  if (urlsFile === '') throw new UsageError('expected URLS_FILE to be a file name or -');
  const redis = str('redis');
  const dump = v.dump === true;
  const outputToRedis = output === 'redis';
  if (redis === undefined) {
    for (const [flag, given] of [
      ['--crawl-id', str('crawl-id') !== undefined],
      ['--lease-ms', str('lease-ms') !== undefined],
      ['--dump', dump],
      ['-o redis', outputToRedis],
    ] as const) {
      if (given) {
        throw new UsageError(
          `expected --redis URL with ${flag}${flag === '-o redis' ? ' (for a file named redis, use -o ./redis)' : ''}`,
        );
      }
    }
  }
  if (dump && parsed.positionals.length > 0) {
    throw new UsageError(
      `expected no URLS_FILE with --dump (it reads what the crawl put in Redis), got ${parsed.positionals[0]}`,
    );
  }
  if (dump && outputToRedis) {
    throw new UsageError(
      'expected --dump to write to a file or - (-o redis is where it reads from)',
    );
  }
  const leaseMs = count(str('lease-ms'), '--lease-ms', 30_000, 30);
  if (leaseMs > 86_400_000) {
    throw new UsageError(
      `expected --lease-ms to be an integer from 30 to 86400000, got '${str('lease-ms')}'`,
    );
  }
  return {
    help: v.help === true,
    version: v.version === true,
    urlsFile,
    output,
    format,
    depth: count(str('depth'), '-d/--depth', 0, 0),
    sameHost: v['same-host'] === true,
    concurrency: count(str('concurrency'), '-c/--concurrency', 100, 1),
    perHost: count(str('per-host'), '--per-host', 8, 1),
    delayMs: count(str('delay-ms'), '--delay-ms', 0, 0),
    timeoutMs: count(str('timeout-ms'), '--timeout-ms', 30_000, 1),
    maxPages: count(str('max-pages'), '--max-pages', Number.POSITIVE_INFINITY, 1),
    maxPageBytes: count(str('max-page-bytes'), '--max-page-bytes', 5 * 1024 * 1024, 1),
    userAgent,
    ignoreRobots: v['ignore-robots'] === true,
    quiet: v.quiet === true,
    progress: v.progress as boolean | undefined,
    redis,
    crawlId: str('crawl-id') ?? DEFAULT_CRAWL_ID,
    leaseMs,
    outputToRedis,
    outputGiven: str('output') !== undefined,
    dump,
  };
}
