// crawl() on a SharedFrontier (RedisFrontier on a throwaway redis-server): several crawls
// share one, each page is fetched once by one of them, the union of what they report is
// what one crawl alone reports, a page reached through a redirect is not fetched again, and a
// page whose onPage failed is not marked done (another crawl fetches it after the lease).
import { crawl } from '@aiots/crawler';
import { type HttpServer, serve } from '@aiots/http';
import { gather } from '@aiots/loop';
import { connect, RedisFrontier } from '@aiots/redis';
import { type RedisServer, startRedisServer } from '@aiots/redis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let redis: RedisServer;
let site: HttpServer;
const hits = new Map<string, number>();
let ids = 0;
const crawlId = () => `test-${++ids}`;

const html = (body: string) => new Response(body, { headers: { 'content-type': 'text/html' } });

beforeAll(async () => {
  redis = await startRedisServer();
  // Pages /0 .. /39: page n links to 2n+1 and 2n+2 (the second with a fragment) and home.
  // /r redirects to /t, which links to itself; /start links to /r.
  site = await serve(async (req) => {
    hits.set(req.path, (hits.get(req.path) ?? 0) + 1);
    if (req.path === '/r') return new Response(null, { status: 302, headers: { location: '/t' } });
    if (req.path === '/t') return html('<a href="/t">me</a><a href="/leaf">leaf</a>');
    if (req.path === '/start') return html('<a href="/r">redirect</a>');
    if (req.path === '/leaf') return html('<a href="/start">back</a>');
    const n = Number(req.path.slice(1));
    if (!Number.isInteger(n) || n >= 40) return new Response('no', { status: 404 });
    const kids = [2 * n + 1, 2 * n + 2].filter((k) => k < 40);
    return html(
      `<a href="/0">home</a>${kids.map((k, i) => `<a href="/${k}${i === 1 ? '#part' : ''}">${k}</a>`).join('')}`,
    );
  });
}, 60_000);

afterAll(async () => {
  await site?.close({ graceMs: 0 });
  await redis?.stop();
});

/** Runs `workers` crawls of `urls` on one crawl id, each on a RedisFrontier of its own. */
async function sharedCrawl(
  urls: string[],
  workers: number,
  opts: { id?: string; leaseMs?: number; onPage?: (s: string, l: readonly string[]) => void } = {},
) {
  const id = opts.id ?? crawlId();
  await using conn = await connect(redis.url);
  const lines = new Set<string>();
  const summaries = await gather(
    Array.from({ length: workers }, async (_, w) => {
      await using frontier = new RedisFrontier(conn, id, {
        consumer: `w${w}`,
        blockMs: 50,
        leaseMs: opts.leaseMs ?? 30_000,
      });
      return await crawl({
        urls,
        depth: 10,
        ignoreRobots: true,
        concurrency: 4,
        sharedFrontier: frontier,
        onPage: async (source, links) => {
          opts.onPage?.(source, links);
          for (const l of links) lines.add(`${source}\t${l}`);
        },
      });
    }),
  );
  return { lines, summaries };
}

describe('crawl() with a sharedFrontier', () => {
  it('fetches each page once across crawls, and reports what one crawl alone does', async () => {
    const seeds = [`${site.url}/0#top`, `${site.url}/0`];
    const alone = new Set<string>();
    await crawl({
      urls: seeds,
      depth: 10,
      ignoreRobots: true,
      onPage: (s, links) => {
        for (const l of links) alone.add(`${s}\t${l}`);
      },
    });
    hits.clear();
    const { lines, summaries } = await sharedCrawl(seeds, 3);
    expect([...hits.keys()].sort()).toEqual(Array.from({ length: 40 }, (_, n) => `/${n}`).sort());
    expect([...hits.values()].every((n) => n === 1)).toBe(true);
    expect(summaries.reduce((sum, s) => sum + s.fetched, 0)).toBe(40);
    // The start URL comes as listed; a page found through `/k#part` comes without it.
    expect(lines.has(`${site.url}/0#top\t${site.url}/1`)).toBe(true);
    expect(lines.has(`${site.url}/2\t${site.url}/5`)).toBe(true);
    const withoutFragments = (set: Set<string>) =>
      new Set([...set].map((l) => l.replace(/#part\t/, '\t')));
    expect(lines).toEqual(withoutFragments(alone));
  });

  it('does not fetch again a page it reached through a redirect', async () => {
    hits.clear();
    const { lines } = await sharedCrawl([`${site.url}/start`], 2);
    expect(Object.fromEntries(hits)).toEqual({ '/start': 1, '/r': 1, '/t': 1, '/leaf': 1 });
    expect(lines.has(`${site.url}/r\t${site.url}/t`)).toBe(true);
  });

  it('leaves a page whose onPage failed to another crawl, after its lease', async () => {
    const id = crawlId();
    const boom = new Error('disk full');
    hits.clear();
    const failed = await sharedCrawl([`${site.url}/leaf`], 1, {
      id,
      leaseMs: 300,
      onPage: () => {
        throw boom;
      },
    }).catch((e: unknown) => e);
    expect((failed as { errors?: unknown[] }).errors).toEqual([boom]); // the workers' TaskGroupError
    expect(hits.get('/leaf')).toBe(1);
    const { lines } = await sharedCrawl([`${site.url}/leaf`], 1, { id, leaseMs: 300 });
    expect(hits.get('/leaf')).toBe(2);
    expect(lines.has(`${site.url}/leaf\t${site.url}/start`)).toBe(true);
  });

  it('refuses a sharedFrontier together with a frontier or seen-set', async () => {
    await using conn = await connect(redis.url);
    await using frontier = new RedisFrontier(conn, crawlId());
    const e = await crawl({
      urls: [],
      sharedFrontier: frontier,
      seen: { add: async () => true, has: async () => false, size: async () => 0 },
    }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe(
      'Expected either `sharedFrontier` or `frontier` and `seen`, got both (a shared frontier de-duplicates by itself)',
    );
  });
});
