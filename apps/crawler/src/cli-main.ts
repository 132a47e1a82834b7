/**
 * The `aiots-crawl` command: the URL list read, OUT opened, the crawl run under `runMain`
 * (Ctrl-C and SIGTERM cancel it: the requests in flight are aborted, the summary printed,
 * exit codes 130 and 143). A usage error is one line on stderr and exit code 2.
 */
import { createRequire } from 'node:module';
import { runMain } from '@aiots/loop';
import { type CrawlArgs, parseCrawlArgs, USAGE, UsageError } from './cli-args.ts';
import { crawl } from './crawl.ts';
import { CrawlLog } from './crawl-log.ts';
import { OutputError, ResultWriter } from './output.ts';
import { readUrlList, UrlListError } from './url-list.ts';

const NAME = 'aiots-crawl';

function usageError(message: string): void {
  process.stderr.write(`${NAME}: ${message} (see --help)\n`);
  process.exitCode = 2;
}

function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../package.json') as { version: string }).version;
}

async function main(args: CrawlArgs): Promise<string | undefined> {
  const notes = new CrawlLog({ quiet: args.quiet, progress: false });
  let urls: string[];
  try {
    urls = await readUrlList(args.urlsFile, (line, text) =>
      notes.warning(`Skipping invalid URL on line ${line}: ${text}`),
    );
  } catch (e) {
    if (e instanceof UrlListError) return e.message;
    throw e;
  } finally {
    notes.flush();
  }
  let out: ResultWriter;
  try {
    out = new ResultWriter(args.output, args.format);
  } catch (e) {
    if (e instanceof OutputError) return e.message;
    throw e;
  }
  try {
    await crawl({
      urls,
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
      onPage: (source, links) => out.page(source, links),
      log: {
        quiet: args.quiet,
        ...(args.progress === undefined ? {} : { progress: args.progress }),
      },
    });
  } finally {
    out.close();
  }
  return undefined;
}

/**
 * Runs the `aiots-crawl` command with the given arguments (without `node` and the script
 * name) and sets `process.exitCode`: 0 when the crawl ran (failed pages included), 2 after a
 * usage error (one line on stderr: an unknown flag, a bad number, a missing URLS_FILE), 130
 * or 143 when SIGINT or SIGTERM stopped it (after the summary).
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
    usageError(e.message);
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
  let problem: string | undefined;
  await runMain(async () => {
    problem = await main(args);
  });
  if (problem !== undefined) usageError(problem);
}
