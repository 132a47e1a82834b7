/**
 * The crawl: `concurrency` worker tasks take entries from the frontier, check robots.txt,
 * fetch each page under the per-host limits, hand its links to `onPage`, and claim the links
 * one level deeper while `depth` allows. Failures are logged and counted, never thrown; a
 * cancel (Ctrl-C) cancels the requests in flight and still logs the summary.
 */
import { ClientSession } from '@aiots/http';
import { CancelledError, createTask, getLoop, taskGroup } from '@aiots/loop';
import { CrawlLog, type CrawlLogOptions } from './crawl-log.ts';
import { errorFailure } from './failure.ts';
import { type Frontier, MemoryFrontier, MemorySeenSet, type SeenSet } from './frontier.ts';
import { HostGate } from './host-gate.ts';
import { fetchPage, type PageSettings } from './page.ts';
import { type RobotsAnswer, RobotsCache } from './robots.ts';
import { type CrawlSummary, formatSummary, Tally } from './summary.ts';
import { checkCrawlOptions, type ResolvedCrawlOptions } from './validate.ts';

/** Options of `crawl()`. */
export interface CrawlOptions {
  /** The URLs to start from (absolute http(s) URLs); the same page listed twice is fetched once. */
  urls: Iterable<string>;
  /** How many links deep to follow from the listed URLs (default 0: only those). */
  depth?: number;
  /** Follow only links to the host of the page they were found on. */
  sameHost?: boolean;
  /** Pages fetched at once in all (default 100). */
  concurrency?: number;
  /** Requests to one host at once (default 8). */
  perHost?: number;
  /** Milliseconds between the starts of two requests to one host (default 0). */
  delayMs?: number;
  /** Milliseconds a page may take, redirects and body included (default 30 000). */
  timeoutMs?: number;
  /** Stop after this many pages (default: no limit). */
  maxPages?: number;
  /** Read at most this many bytes of a page (default 5 MiB); links past them are not seen. */
  maxPageBytes?: number;
  /** The User-Agent sent, and whose robots.txt group applies (default `aiots-crawl`). */
  userAgent?: string;
  /** Do not fetch or obey robots.txt. */
  ignoreRobots?: boolean;
  /**
   * Called as each page finishes with the URL as listed (or as found) and its distinct
   * links; a page with no links is not reported.
   */
  onPage?: (sourceUrl: string, links: readonly string[]) => void;
  /** Log lines (and a progress bar) on stderr; default `false` (silent). */
  log?: CrawlLogOptions | boolean;
  /** The frontier (default a `MemoryFrontier`). */
  frontier?: Frontier;
  /** The seen-set (default a `MemorySeenSet`). */
  seen?: SeenSet;
  /** Aborting it stops the crawl as a cancel does; `crawl()` then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** The fragment-free `URL.href`: two links that differ only there are one page. */
function keyOf(url: URL): string {
  if (url.hash === '') return url.href;
  const u = new URL(url.href);
  u.hash = '';
  return u.href;
}

/**
 * Crawls from `urls`: fetches them concurrently through one `ClientSession`, extracts the
 * links of each HTML page with a real parser, and follows them `depth` levels deep, politely
 * (per-host limits, robots.txt). A page that fails (an error status, a refused connection, a
 * timeout, a redirect loop) is logged and counted, and the crawl goes on.
 *
 * @param opts The URLs, limits and callbacks (see `CrawlOptions`).
 * @returns The summary: pages, links, errors by kind, time.
 * @throws {TypeError} for an option of the wrong type or a listed URL that is not http(s).
 * @throws {RangeError} for a number option out of range.
 * @throws {CancelledError} when the task is cancelled: the requests in flight are aborted,
 *   `onPage` has been called for every page that finished, and the summary was logged.
 * @throws `signal.reason` when `signal` aborts, likewise.
 * @example
 * ```ts
 * import { crawl } from '@aiots/crawler';
 * import { serve } from '@aiots/http';
 * await using site = await serve(async (req) => {
 *   const html = (body: string) => new Response(body, { headers: { 'content-type': 'text/html' } });
 *   if (req.path === '/') return html('<a href="/a">A</a> <a href="/b#top">B</a>');
 *   if (req.path === '/a') return html('<a href="/">home</a>');
 *   return new Response('not found', { status: 404 });
 * });
 * const summary = await crawl({
 *   urls: [`${site.url}/`],
 *   depth: 1,
 *   onPage: (source, links) => console.log(source.slice(site.url.length), links.length),
 * });
 * // / 2
 * // /a 1
 * console.log(summary.fetched, summary.errors); // 2 { '404': 1 }
 * ```
 */
export async function crawl(opts: CrawlOptions): Promise<CrawlSummary> {
  const o = checkCrawlOptions(opts);
  const signal = o.signal;
  if (signal === undefined) return runCrawl(o);
  // The crawl runs in a task of its own, which an abort cancels.
  const task = createTask(() => runCrawl(o), { name: 'crawl' });
  const onAbort = (): void => {
    task.cancel('the crawl was aborted');
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await task;
  } catch (e) {
    if (CancelledError.is(e) && signal.aborted && task.cancelled()) throw signal.reason;
    throw e;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function runCrawl(o: ResolvedCrawlOptions): Promise<CrawlSummary> {
  const log = new CrawlLog(o.log === false ? { stream: NULL_STREAM } : o.log === true ? {} : o.log);
  const loop = getLoop();
  const started = loop.time();
  const tally = new Tally();
  const frontier = o.frontier ?? new MemoryFrontier();
  const seen = o.seen ?? new MemorySeenSet();
  const session = new ClientSession({
    limit: o.concurrency,
    timeout: { totalMs: o.timeoutMs },
    headers: { 'user-agent': o.userAgent, accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    cookieJar: null,
  });
  const gate = new HostGate(o.perHost, o.delayMs);
  const settings: PageSettings = { session, maxPageBytes: o.maxPageBytes };
  const robots = new RobotsCache(async (robotsUrl): Promise<RobotsAnswer> => {
    const host = new URL(robotsUrl).host;
    return gate.run(host, async () => {
      try {
        await using res = await session.get(robotsUrl);
        if (res.status >= 300) return { status: res.status, text: '' };
        // RFC 9309 asks parsers to read at least 500 KiB; the rest is ignored.
        let text = '';
        const decoder = new TextDecoder();
        for await (const chunk of res.body) {
          text += decoder.decode(chunk, { stream: true });
          if (text.length > 512 * 1024) break;
        }
        return { status: res.status, text };
      } catch (e) {
        if (CancelledError.is(e)) throw e;
        const kind = errorFailure(e).kind;
        // A redirect loop is "unavailable" (RFC 9309: 2.3.1.2), like a 4xx.
        return kind === 'TOO_MANY_REDIRECTS' ? { status: 404, text: '' } : 'unreachable';
      }
    });
  }, o.userAgent);

  let claimed = 0;
  let finished = 0;
  const claim = async (key: string, depth: number, url: string): Promise<void> => {
    if (claimed >= o.maxPages) return;
    if (await seen.add(key)) {
      claimed++;
      await frontier.claim(`${depth} ${url}`);
    }
  };
  const progress = (): void =>
    log.progress(finished, claimed, tally.links, tally.errorCount, loop.time() - started);

  async function visit(depth: number, source: string): Promise<void> {
    const url = new URL(source);
    if (!o.ignoreRobots && !(await robots.allowed(url))) {
      tally.skipped++;
      log.info(`Skipped ${source} (robots.txt)`);
      return;
    }
    const result = await gate.run(url.host, () =>
      fetchPage(url.href, settings, (status) =>
        log.info(`Got response [${status}] for URL: ${source}`),
      ),
    );
    if (!result.ok) {
      tally.error(result.failure.kind);
      log.error(`Error for ${source} [${result.failure.kind}]: ${result.failure.reason}`);
      return;
    }
    tally.fetched++;
    const { links } = result;
    if (result.truncated) {
      tally.truncated++;
      log.warning(`Read only the first ${o.maxPageBytes} bytes of ${source} (--max-page-bytes)`);
    }
    log.info(`Found ${links.length} links for ${source}`);
    if (links.length > 0) {
      tally.links += links.length;
      o.onPage?.(source, links);
      log.info(`Wrote results for source URL: ${source}`);
    }
    // A page reached through a redirect is not fetched again when a link names it.
    if (result.url !== url.href) await seen.add(keyOf(new URL(result.url)));
    if (depth >= o.depth) return;
    for (const link of links) {
      const next = new URL(link);
      if (o.sameHost && next.host !== url.host) continue;
      await claim(keyOf(next), depth + 1, link);
    }
  }

  async function worker(): Promise<void> {
    for (;;) {
      const entry = await frontier.next();
      if (entry === undefined) return;
      try {
        const space = entry.indexOf(' ');
        await visit(Number(entry.slice(0, space)), entry.slice(space + 1));
      } finally {
        finished++;
        progress();
        await frontier.done(entry);
      }
    }
  }

  let interrupted = false;
  let summary: CrawlSummary | undefined;
  try {
    for (const url of o.urls) await claim(keyOf(url.parsed), 0, url.listed);
    progress();
    await taskGroup(async (tg) => {
      for (let i = 0; i < o.concurrency; i++) tg.createTask(worker, { name: `crawl-worker-${i}` });
    });
  } catch (e) {
    interrupted = CancelledError.is(e);
    throw e;
  } finally {
    await session.close();
    summary = tally.summary(loop.time() - started, interrupted);
    log.summary(formatSummary(summary));
  }
  return summary;
}

/** Where the lines of a silent crawl go. */
const NULL_STREAM = {
  write: () => true,
  isTTY: false,
} as unknown as NodeJS.WritableStream;
