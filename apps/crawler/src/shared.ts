/**
 * The Redis side of `aiots-crawl --redis`: the connection (a bad URL is a usage error, a
 * server that does not answer is exit code 1), the crawl's `RedisFrontier`, the queue that
 * `-o redis` puts each page's links on, and `--dump`, which takes them back out into a file.
 */
import { sleep, taskGroup } from '@aiots/loop';
import {
  CodecError,
  connect,
  InvalidNameError,
  InvalidRedisUrlError,
  type RedisConnection,
  RedisFrontier,
  RedisQueue,
  RedisUnavailableError,
  validateName,
} from '@aiots/redis';
import { QueueShutDown } from '@aiots/sync';
import { UsageError } from './cli-args.ts';
import type { CrawlLog } from './crawl-log.ts';
import type { ResultWriter } from './output.ts';

/** How often `--dump` asks whether the crawl has ended. */
const POLL_MS = 500;

/** Something that stops the command with one line on stderr and exit code 1. */
export class FatalError extends Error {
  override readonly name = 'FatalError';
}

/** One page's links, as `-o redis` puts them on the crawl's queue. */
export interface PageLinks {
  readonly source_url: string;
  readonly links: readonly string[];
}

/** The queue `-o redis` writes to: `<crawl id>:links`. */
export function linksQueueName(crawlId: string): string {
  return `${crawlId}:links`;
}

/**
 * Checks `--crawl-id` (before anything is opened); `withQueue` for `-o redis` and `--dump`,
 * which use the queue `ID:links` too.
 *
 * @throws {UsageError} when it cannot name a crawl (or, with `withQueue`, its queue).
 */
export function checkCrawlId(crawlId: string, withQueue: boolean): string {
  try {
    validateName(crawlId, '--crawl-id');
    if (withQueue) validateName(linksQueueName(crawlId), '--crawl-id');
  } catch (e) {
    if (!InvalidNameError.is(e)) throw e;
    if (crawlId.length <= 200 && withQueue) {
      throw new UsageError(
        `expected --crawl-id to be at most ${200 - ':links'.length} characters with -o redis or --dump (its queue is ID:links), got ${crawlId.length}`,
        { cause: e },
      );
    }
    throw new UsageError(oneLine(e.message), { cause: e });
  }
  return crawlId;
}

/** A message of the redis package, in the command's style (lower case, no backquotes). */
function oneLine(message: string): string {
  const text = message.replaceAll('`', '');
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * Connects to `--redis`.
 *
 * @throws {UsageError} when it is not a Redis URL.
 * @throws {FatalError} when the server does not answer within a few seconds.
 */
export async function connectRedis(url: string): Promise<RedisConnection> {
  try {
    return await connect(url);
  } catch (e) {
    if (InvalidRedisUrlError.is(e)) {
      throw new UsageError(
        oneLine(e.message.replace(/^connect\(\) expected/, 'expected --redis to be')),
        {
          cause: e,
        },
      );
    }
    if (RedisUnavailableError.is(e)) throw new FatalError(e.message, { cause: e });
    throw e;
  }
}

/**
 * The `RedisUnavailableError` that failed a crawl, if one did (the workers' errors come
 * wrapped in a task group's error).
 */
export function redisFailure(e: unknown): RedisUnavailableError | undefined {
  if (RedisUnavailableError.is(e)) return e;
  const errors = (e as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = redisFailure(inner);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** True for an item `-o redis` wrote. */
function isPageLinks(item: unknown): item is PageLinks {
  const it = item as Partial<PageLinks> | null;
  return (
    typeof it?.source_url === 'string' &&
    Array.isArray(it.links) &&
    it.links.every((l) => typeof l === 'string')
  );
}

/** What `--dump` moved. */
export interface DumpCounts {
  readonly pages: number;
  readonly lines: number;
}

/**
 * `--dump`: takes the items of the crawl's links queue, writes each page's lines to `out`
 * (at once, before the item is acknowledged and deleted from Redis), and ends once the crawl
 * has ended and the queue is empty everywhere. Run while the crawl runs, it follows it.
 */
export async function dumpLinks(
  conn: RedisConnection,
  crawlId: string,
  out: ResultWriter,
  log: CrawlLog,
): Promise<DumpCounts> {
  await using frontier = new RedisFrontier(conn, crawlId);
  await using results = new RedisQueue<unknown>(conn, linksQueueName(crawlId));
  let pages = 0;
  let lines = 0;
  await taskGroup(async (tg) => {
    tg.createTask(async () => {
      for (;;) {
        let item: unknown;
        try {
          item = await results.get();
        } catch (e) {
          if (QueueShutDown.is(e)) return;
          // An entry that is not JSON goes to the queue's dead letters; the rest flows on.
          if (!CodecError.is(e)) throw e;
          log.error(`Skipped an item of the links queue: ${e.message}`);
          continue;
        }
        if (isPageLinks(item)) {
          out.page(item.source_url, item.links);
          pages++;
          lines += item.links.length;
        } else {
          log.error(
            `Skipped an item of the links queue that is not { source_url, links }: ${JSON.stringify(item)}`,
          );
        }
        await results.taskDone();
      }
    });
    // The crawl ends only after every page's links were put (a page is done after its put),
    // so once it has, the queue holds all there will be: wait until it is empty everywhere.
    while (!(await frontier.finished())) await sleep(POLL_MS);
    await results.join();
    await results.shutdown();
  });
  return { pages, lines };
}
