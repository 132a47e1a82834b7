/**
 * The `aiots-crawl` command: the URL list read, OUT opened, the crawl run under `runMain`
 * (Ctrl-C and SIGTERM cancel it: the requests in flight are aborted, the summary printed,
 * exit codes 130 and 143). A usage error is one line on stderr and exit code 2.
 */
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { runMain } from '@aiots/loop';
import { LeaseLostError, type RedisConnection, RedisFrontier, RedisQueue } from '@aiots/redis';
import { type CrawlArgs, parseCrawlArgs, USAGE, UsageError } from './cli-args.ts';
import { type CrawlOptions, crawl } from './crawl.ts';
import { CrawlLog } from './crawl-log.ts';
import type { SharedFrontier } from './frontier.ts';
import { OutputError, ResultWriter } from './output.ts';
import {
  checkCrawlId,
  connectRedis,
  dumpLinks,
  FatalError,
  linksQueueName,
  type PageLinks,
  redisFailure,
} from './shared.ts';
import { readUrlList, UrlListError } from './url-list.ts';

const NAME = 'aiots-crawl';

/** Why the command stopped early: one line on stderr, and the exit code. */
interface Problem {
  readonly message: string;
  readonly exitCode: 1 | 2;
}

function problemOf(e: unknown): Problem | undefined {
  if (e instanceof UsageError || e instanceof UrlListError || e instanceof OutputError) {
    return { message: e.message, exitCode: 2 };
  }
  if (e instanceof FatalError) return { message: e.message, exitCode: 1 };
  const redis = redisFailure(e);
  if (redis !== undefined) return { message: redis.message, exitCode: 1 };
  return undefined;
}

function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../package.json') as { version: string }).version;
}

function crawlOptions(args: CrawlArgs): Omit<CrawlOptions, 'urls'> {
  return {
    depth: args.depth,
    sameHost: args.sameHost,
    concurrency: args.concurrency,
    perHost: args.perHost,
    delayMs: args.delayMs,
    timeoutMs: args.timeoutMs,
    maxPages: args.maxPages,
    maxPageBytes: args.maxPageBytes,
    userAgent: args.userAgent,
    ignoreRobots: args.ignoreRobots,
    log: {
      quiet: args.quiet,
      ...(args.progress === undefined ? {} : { progress: args.progress }),
    },
  };
}

async function readUrls(args: CrawlArgs): Promise<string[]> {
  const notes = new CrawlLog({ quiet: args.quiet, progress: false });
  try {
    return await readUrlList(args.urlsFile, (line, text) =>
      notes.warning(`Skipping invalid URL on line ${line}: ${text}`),
    );
  } finally {
    notes.flush();
  }
}

async function main(args: CrawlArgs): Promise<void> {
  if (args.redis !== undefined) {
    await shared(args, args.redis);
    return;
  }
  const urls = await readUrls(args);
  const out = new ResultWriter(args.output, args.format);
  try {
    await crawl({
      urls,
      ...crawlOptions(args),
      onPage: (source, links) => out.page(source, links),
    });
  } finally {
    out.close();
  }
}

/**
 * The frontier as the crawl uses it: a page whose lease this process lost (it stalled past
 * --lease-ms, and another process took the page over) is logged and left to the other.
 */
function keepGoing(frontier: RedisFrontier, log: CrawlLog): SharedFrontier {
  return {
    claim: (url, opts) => frontier.claim(url, opts),
    next: () => frontier.next(),
    depthOf: (url) => frontier.depthOf(url),
    async done(url) {
      try {
        await frontier.done(url);
      } catch (e) {
        if (!LeaseLostError.is(e)) throw e;
        log.warning(
          `Lost the lease of ${url} (this process stalled past --lease-ms): another process fetches it again`,
        );
      }
    },
  };
}

/** `--redis`: this process's share of a crawl, or `--dump`. */
async function shared(args: CrawlArgs, url: string): Promise<void> {
  // The crawl id (and its links queue, which --dump reads) is checked before connecting, and
  // the --redis URL by connect(), at once; a missing URLS_FILE is found once connected.
  const crawlId = checkCrawlId(args.crawlId, args.outputToRedis || args.dump);
  await using conn = await connectRedis(url);
  if (args.dump) {
    await dump(args, conn, crawlId);
    return;
  }
  const urls = await readUrls(args);
  const log = new CrawlLog({ quiet: args.quiet, progress: false });
  // An idle process notices the end of the crawl within blockMs.
  await using frontier = new RedisFrontier(conn, crawlId, { leaseMs: args.leaseMs, blockMs: 500 });
  let onPage: CrawlOptions['onPage'];
  let where: string;
  let out: ResultWriter | undefined;
  let results: RedisQueue<PageLinks> | undefined;
  if (args.outputToRedis) {
    const queue = new RedisQueue<PageLinks>(conn, linksQueueName(crawlId));
    results = queue;
    where = `the queue ${queue.name} in Redis`;
    onPage = (source_url, links) => queue.put({ source_url, links });
  } else {
    // Each process writes its own file; a page's lines are in it before the page is done.
    const path = args.outputGiven ? args.output : `foundurls-${hostname()}-${process.pid}.txt`;
    const writer = new ResultWriter(path, args.format, { immediate: true });
    out = writer;
    where = path === '-' ? 'stdout' : path;
    onPage = (source, links) => writer.page(source, links);
  }
  log.info(`Joined crawl ${crawlId} on ${conn.url} as ${frontier.consumer}, writing to ${where}`);
  log.flush();
  try {
    await crawl({
      urls,
      ...crawlOptions(args),
      sharedFrontier: keepGoing(frontier, log),
      onPage,
    });
  } finally {
    out?.close();
    await results?.close();
  }
}

/** `--dump`: the links the crawl put in Redis, into OUT (default foundurls.txt). */
async function dump(args: CrawlArgs, conn: RedisConnection, crawlId: string): Promise<void> {
  const log = new CrawlLog({ quiet: args.quiet, progress: false });
  const out = new ResultWriter(args.output, args.format, { immediate: true });
  let counts: { pages: number; lines: number } | undefined;
  try {
    counts = await dumpLinks(conn, crawlId, out, log);
  } finally {
    out.close();
  }
  if (counts.pages === 0) {
    log.warning(
      `The crawl ${crawlId} put no links in Redis (were its processes run with -o redis?)`,
    );
  }
  log.summary(
    `Dumped ${counts.lines} link${counts.lines === 1 ? '' : 's'} of ${counts.pages} page${counts.pages === 1 ? '' : 's'} from crawl ${crawlId} to ${args.output === '-' ? 'stdout' : args.output}`,
  );
}

/**
 * Runs the `aiots-crawl` command with the given arguments (without `node` and the script
 * name) and sets `process.exitCode`: 0 when the crawl ran (failed pages included), 1 when
 * Redis (`--redis`) could not be reached or went away (one line on stderr), 2 after a usage
 * error (one line on stderr: an unknown flag, a bad number, a missing URLS_FILE, a `--redis`
 * value that is not a Redis URL), 130 or 143 when SIGINT or SIGTERM stopped it (after the
 * summary).
 *
 * @param argv The arguments, as `aiots-crawl --help` lists them.
 * @returns When the crawl is over (or the usage was printed).
 * @throws Nothing for bad input: usage errors become exit code 2.
 * @example
 * ```ts
 * import { cli } from '@aiots/crawler';
 * await cli(['--help']); // the usage, on stdout
 * console.log(process.exitCode); // 0
 * ```
 */
export async function cli(argv: readonly string[]): Promise<void> {
  let args: CrawlArgs;
  try {
    args = parseCrawlArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${NAME}: ${e.message} (see --help)\n`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    process.exitCode = 0;
    return;
  }
  if (args.version) {
    process.stdout.write(`${version()}\n`);
    process.exitCode = 0;
    return;
  }
  let problem: Problem | undefined;
  await runMain(async () => {
    try {
      await main(args);
    } catch (e) {
      problem = problemOf(e);
      if (problem === undefined) throw e;
    }
  });
  if (problem !== undefined) {
    const help = problem.exitCode === 2 ? ' (see --help)' : '';
    process.stderr.write(`${NAME}: ${problem.message}${help}\n`);
    process.exitCode = problem.exitCode;
  }
}
