/**
 * The crawl: `concurrency` worker tasks take entries from the frontier, check robots.txt,
 * fetch each page under the per-host limits, hand its links to `onPage`, and claim the links
 * one level deeper while `depth` allows. Failures are logged and counted, never thrown; a
 * cancel (Ctrl-C) cancels the requests in flight and still logs the summary.
 *
 * The frontier is either a `Frontier` with a `SeenSet` (one process) or a `SharedFrontier`
 * (several processes): `Work` below hides the difference from the workers.
 */
import { ClientSession } from '@aiots/http';
import { CancelledError, createTask, getLoop, taskGroup } from '@aiots/loop';
import { CrawlLog, type CrawlLogOptions } from './crawl-log.ts';
import { errorFailure } from './failure.ts';
import {
  type Frontier,
  MemoryFrontier,
  MemorySeenSet,
  type SeenSet,
  type SharedFrontier,
} from './frontier.ts';
import { HostGate } from './host-gate.ts';
import { fetchPage, type PageSettings } from './page.ts';
import { type RobotsAnswer, RobotsCache } from './robots.ts';
import { type CrawlSummary, formatSummary, Tally } from './summary.ts';
import { checkCrawlOptions, type ResolvedCrawlOptions } from './validate.ts';

/**
 * What `crawl()` calls with each page's links: returning nothing, or a promise that the page
 * waits for before it counts as done.
 */
export type OnPage =
  | ((sourceUrl: string, links: readonly string[]) => void)
  | ((sourceUrl: string, links: readonly string[]) => Promise<void>);

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
   * links; a page with no links is not reported. When it returns a promise, the page counts
   * as done only once that settles (with a `sharedFrontier`: store the lines before another
   * process could take the page for fetched); a rejection fails the crawl.
   */
  onPage?: OnPage;
  /** Log lines (and a progress bar) on stderr; default `false` (silent). */
  log?: CrawlLogOptions | boolean;
  /** The frontier (default a `MemoryFrontier`). */
  frontier?: Frontier;
  /** The seen-set (default a `MemorySeenSet`). */
  seen?: SeenSet;
  /**
   * A frontier shared with other processes, such as `RedisFrontier` from `@aiots/redis`,
   * instead of `frontier` and `seen`: every process claims the start URLs, each page is
   * fetched by one of them, and the crawl ends when all are idle. It is keyed on URLs
   * without their fragment, which is how `onPage` then gets a page found through a link (a
   * start URL comes as listed). A page is marked done only after `onPage` has settled, and
   * not at all when the crawl fails or is cancelled while on it: the frontier gives it to
   * another process once its lease runs out.
   */
  sharedFrontier?: SharedFrontier;
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

/** A page a worker got: its depth, the URL to fetch and report, and what `done()` takes. */
interface Job {
  readonly depth: number;
  readonly source: string;
  readonly token: string;
}

/** The frontier as the workers see it. */
interface Work {
  /** True when other processes share it (a page is done only after it succeeded). */
  readonly shared: boolean;
  /** Queues the page `key` (found as `url`) unless it was seen; true when this call did. */
  claim(key: string, depth: number, url: string): Promise<boolean>;
  /** Records that the page `key` was fetched, through a redirect to it. */
  fetchedVia(key: string): Promise<void>;
  /** The next page, or `undefined` at the end of the crawl. */
  next(): Promise<Job | undefined>;
  done(job: Job): Promise<void>;
}

/** One process: a seen-set, then a frontier of `depth url` entries. */
function localWork(frontier: Frontier, seen: SeenSet): Work {
  return {
    shared: false,
    async claim(key, depth, url) {
      if (!(await seen.add(key))) return false;
      await frontier.claim(`${depth} ${url}`);
      return true;
    },
    async fetchedVia(key) {
      await seen.add(key);
    },
    async next() {
      const entry = await frontier.next();
      if (entry === undefined) return undefined;
      const space = entry.indexOf(' ');
      return { depth: Number(entry.slice(0, space)), source: entry.slice(space + 1), token: entry };
    },
    done: (job) => frontier.done(job.token),
  };
}

/**
 * The depth a page reached through a redirect is claimed with in a shared frontier: whoever
 * gets it marks it done without fetching it (it was fetched, under the URL that redirected).
 */
const FETCHED = Number.MAX_SAFE_INTEGER;

/** Several processes: the shared frontier claims keys, with their depth. */
function sharedWork(frontier: SharedFrontier, listed: ReadonlyMap<string, string>): Work {
  return {
    shared: true,
    claim: (key, depth) => frontier.claim(key, { depth }),
    async fetchedVia(key) {
      await frontier.claim(key, { depth: FETCHED });
    },
    async next() {
      for (;;) {
        const url = await frontier.next();
        if (url === undefined) return undefined;
        const depth = frontier.depthOf(url) ?? 0;
        if (depth !== FETCHED) return { depth, source: listed.get(url) ?? url, token: url };
        await frontier.done(url);
      }
    },
    done: (job) => frontier.done(job.token),
  };
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
  // With a shared frontier, a start URL is reported as listed by whichever process gets it.
  const listed = new Map<string, string>();
  if (o.sharedFrontier !== undefined) {
    for (const url of o.urls) {
      const key = keyOf(url.parsed);
      if (!listed.has(key)) listed.set(key, url.listed);
    }
  }
  const work =
    o.sharedFrontier !== undefined
      ? sharedWork(o.sharedFrontier, listed)
      : localWork(o.frontier ?? new MemoryFrontier(), o.seen ?? new MemorySeenSet());
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
    if (await work.claim(key, depth, url)) claimed++;
  };
  const progress = (): void =>
    // With a shared frontier, this process may fetch more pages than it claimed.
    log.progress(
      finished,
      Math.max(claimed, finished),
      tally.links,
      tally.errorCount,
      loop.time() - started,
    );

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
      const stored: unknown = o.onPage?.(source, links);
      if (typeof (stored as PromiseLike<void> | undefined)?.then === 'function') await stored;
      log.info(`Wrote results for source URL: ${source}`);
    }
    // A page reached through a redirect is not fetched again when a link names it.
    if (result.url !== url.href) await work.fetchedVia(keyOf(new URL(result.url)));
    if (depth >= o.depth) return;
    for (const link of links) {
      const next = new URL(link);
      if (o.sameHost && next.host !== url.host) continue;
      await claim(keyOf(next), depth + 1, link);
    }
  }

  async function worker(): Promise<void> {
    for (;;) {
      const job = await work.next();
      if (job === undefined) return;
      if (work.shared) {
        // Done only once its lines are stored and its links claimed: a page whose visit
        // failed or was cancelled stays held, and goes to another process after its lease.
        await visit(job.depth, job.source);
        finished++;
        progress();
        await work.done(job);
        continue;
      }
      try {
        await visit(job.depth, job.source);
      } finally {
        finished++;
        progress();
        await work.done(job);
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
