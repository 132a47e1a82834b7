/** `crawl()`'s options, checked, with the defaults filled in. */

import type { CrawlOptions, OnPage } from './crawl.ts';
import type { CrawlLogOptions } from './crawl-log.ts';
import type { Frontier, SeenSet, SharedFrontier } from './frontier.ts';

/** A listed URL: as written, and parsed. */
export interface ListedUrl {
  readonly listed: string;
  readonly parsed: URL;
}

/** The options of a crawl after checking. */
export interface ResolvedCrawlOptions {
  readonly urls: Iterable<ListedUrl>;
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
  readonly onPage: OnPage | undefined;
  readonly log: CrawlLogOptions | boolean;
  readonly signal: AbortSignal | undefined;
  readonly frontier: Frontier | undefined;
  readonly seen: SeenSet | undefined;
  readonly sharedFrontier: SharedFrontier | undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return typeof value;
}

function int(
  value: unknown,
  name: string,
  min: number,
  fallback: number,
  infinite = false,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be a number, got ${describe(value)}`);
  }
  if (
    !(Number.isInteger(value) || (infinite && value === Number.POSITIVE_INFINITY)) ||
    value < min
  ) {
    throw new RangeError(`Expected \`${name}\` to be an integer from ${min} and up, got ${value}`);
  }
  return value;
}

function bool(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** True for an absolute http(s) URL with a host. */
export function parseHttpUrl(text: string): URL | undefined {
  const url = URL.parse(text);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') {
    return undefined;
  }
  return url;
}

function* listed(urls: Iterable<unknown>): Generator<ListedUrl> {
  for (const listed of urls) {
    if (typeof listed !== 'string') {
      throw new TypeError(`Expected each of \`urls\` to be a string, got ${describe(listed)}`);
    }
    const parsed = parseHttpUrl(listed);
    if (parsed === undefined) {
      throw new TypeError(
        `Expected each of \`urls\` to be an http(s) URL, got ${describe(listed)}`,
      );
    }
    yield { listed, parsed };
  }
}

/** Checks `opts` and fills in the defaults. */
export function checkCrawlOptions(opts: CrawlOptions): ResolvedCrawlOptions {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`Expected crawl() options to be an object, got ${describe(opts)}`);
  }
  const urls = opts.urls as unknown;
  if (typeof urls !== 'object' || urls === null || !(Symbol.iterator in urls)) {
    throw new TypeError(`Expected \`urls\` to be an iterable of strings, got ${describe(urls)}`);
  }
  const userAgent = opts.userAgent ?? 'aiots-crawl';
  if (typeof userAgent !== 'string' || userAgent.trim() === '' || /[\r\n]/.test(userAgent)) {
    throw new TypeError(
      `Expected \`userAgent\` to be a one-line string, got ${describe(userAgent)}`,
    );
  }
  if (opts.onPage !== undefined && typeof opts.onPage !== 'function') {
    throw new TypeError(`Expected \`onPage\` to be a function, got ${describe(opts.onPage)}`);
  }
  const log = opts.log ?? false;
  if (typeof log !== 'boolean' && (typeof log !== 'object' || log === null)) {
    throw new TypeError(`Expected \`log\` to be a boolean or options, got ${describe(log)}`);
  }
  const signal = opts.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${describe(signal)}`);
  }
  signal?.throwIfAborted();
  for (const [name, value, methods] of [
    ['frontier', opts.frontier, ['claim', 'next', 'done', 'finished']],
    ['seen', opts.seen, ['add', 'has', 'size']],
    ['sharedFrontier', opts.sharedFrontier, ['claim', 'next', 'depthOf', 'done']],
  ] as const) {
    if (value === undefined) continue;
    const missing = methods.filter(
      (m) => typeof (value as unknown as Record<string, unknown>)[m] !== 'function',
    );
    if (typeof value !== 'object' || value === null || missing.length > 0) {
      throw new TypeError(
        `Expected \`${name}\` to have ${methods.join(', ')}, got ${describe(value)}`,
      );
    }
  }
  if (opts.sharedFrontier !== undefined && (opts.frontier ?? opts.seen) !== undefined) {
    throw new TypeError(
      'Expected either `sharedFrontier` or `frontier` and `seen`, got both (a shared frontier de-duplicates by itself)',
    );
  }
  return {
    signal,
    frontier: opts.frontier,
    seen: opts.seen,
    sharedFrontier: opts.sharedFrontier,
    urls: { [Symbol.iterator]: () => listed(urls as Iterable<unknown>) },
    depth: int(opts.depth, 'depth', 0, 0),
    sameHost: bool(opts.sameHost, 'sameHost'),
    concurrency: int(opts.concurrency, 'concurrency', 1, 100),
    perHost: int(opts.perHost, 'perHost', 1, 8),
    delayMs: int(opts.delayMs, 'delayMs', 0, 0),
    timeoutMs: int(opts.timeoutMs, 'timeoutMs', 1, 30_000),
    maxPages: int(opts.maxPages, 'maxPages', 1, Number.POSITIVE_INFINITY, true),
    maxPageBytes: int(opts.maxPageBytes, 'maxPageBytes', 1, 5 * 1024 * 1024),
    userAgent,
    ignoreRobots: bool(opts.ignoreRobots, 'ignoreRobots'),
    onPage: opts.onPage,
    log,
  };
}
