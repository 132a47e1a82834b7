// crawl() as a library: options checked with named errors, an AbortSignal that stops it,
// and a frontier and seen-set of the caller's own (the interfaces a shared store implements).

import { createServer } from 'node:net';
import { crawl, type Frontier, MemoryFrontier, MemorySeenSet, type SeenSet } from '@aiots/crawler';
import { type HttpServer, serve } from '@aiots/http';
import { Event } from '@aiots/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let site: HttpServer;
const arrived = new Event();
const never = new Event();

beforeAll(async () => {
  site = await serve(async (req) => {
    if (req.path === '/hold') {
      arrived.set();
      await never.wait();
    }
    const n = Number(req.path.slice(1)) || 0;
    const links = n < 5 ? `<a href="/${n + 1}">next</a><a href="/${n + 1}#again">again</a>` : '';
    return new Response(links, { headers: { 'content-type': 'text/html' } });
  });
});
afterAll(() => site.close({ graceMs: 0 }));

describe('crawl() options', () => {
  it.each([
    [{ urls: 'http://x/' }, TypeError, 'Expected `urls` to be an iterable of strings'],
    [
      { urls: ['ftp://x/'] },
      TypeError,
      'Expected each of `urls` to be an http(s) URL, got "ftp://x/"',
    ],
    [
      { urls: [], depth: -1 },
      RangeError,
      'Expected `depth` to be an integer from 0 and up, got -1',
    ],
    [{ urls: [], concurrency: 0 }, RangeError, 'Expected `concurrency` to be an integer from 1'],
    [{ urls: [], perHost: '8' }, TypeError, 'Expected `perHost` to be a number, got "8"'],
    [{ urls: [], timeoutMs: 1.5 }, RangeError, 'Expected `timeoutMs` to be an integer'],
    [{ urls: [], userAgent: 'a\nb' }, TypeError, 'Expected `userAgent` to be a one-line string'],
    [
      { urls: [], frontier: {} },
      TypeError,
      'Expected `frontier` to have claim, next, done, finished',
    ],
    [{ urls: [], signal: 'stop' }, TypeError, 'Expected `signal` to be an AbortSignal'],
  ])('%j', async (opts, type, message) => {
    const e = await crawl(opts as never).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(type);
    expect((e as Error).message).toContain(message);
  });
});

describe('crawl()', () => {
  it('rejects with the reason when its signal aborts, with the requests in flight cancelled', async () => {
    const controller = new AbortController();
    const pages: string[] = [];
    const done = crawl({
      urls: [`${site.url}/0`, `${site.url}/hold`],
      ignoreRobots: true,
      signal: controller.signal,
      onPage: (source) => pages.push(source),
    });
    await arrived.wait();
    const reason = new Error('enough');
    controller.abort(reason);
    await expect(done).rejects.toBe(reason);
    expect(pages).toEqual([`${site.url}/0`]);
  });

  it('counts a connection the server cuts as a failed page, and goes on', async () => {
    // A server that accepts and resets at once, and one that answers garbage.
    const reset = createServer((socket) => socket.resetAndDestroy());
    const garbage = createServer((socket) => socket.end('this is not HTTP\r\n\r\n'));
    for (const s of [reset, garbage]) {
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    }
    const url = (s: typeof reset) => `http://127.0.0.1:${(s.address() as { port: number }).port}/`;
    try {
      const summary = await crawl({ urls: [url(reset), url(garbage), `${site.url}/5`] });
      expect(summary.fetched).toBe(1);
      expect(summary.failed).toBe(2);
      expect(Object.keys(summary.errors).sort()).toEqual(['CONNECTION', 'ECONNRESET']);
    } finally {
      reset.close();
      garbage.close();
    }
  });

  it('uses a frontier and seen-set of its caller', async () => {
    const calls = { claim: 0, next: 0, done: 0, add: 0 };
    const inner = new MemoryFrontier();
    const frontier: Frontier = {
      claim: (e) => {
        calls.claim++;
        return inner.claim(e);
      },
      next: () => {
        calls.next++;
        return inner.next();
      },
      done: (e) => {
        calls.done++;
        return inner.done(e);
      },
      finished: () => inner.finished(),
    };
    const innerSeen = new MemorySeenSet();
    const seen: SeenSet = {
      add: (m) => {
        calls.add++;
        return innerSeen.add(m);
      },
      has: (m) => innerSeen.has(m),
      size: () => innerSeen.size(),
    };
    const summary = await crawl({
      urls: [`${site.url}/0`],
      depth: 10,
      ignoreRobots: true,
      concurrency: 2,
      frontier,
      seen,
    });
    // /0 .. /5: each page once, though every page links the next one twice (#again)
    expect(summary.fetched).toBe(6);
    expect(await innerSeen.size()).toBe(6);
    expect(calls.claim).toBe(6);
    expect(calls.done).toBe(6);
    expect(calls.add).toBeGreaterThanOrEqual(6);
    expect(await inner.finished()).toBe(true);
  });
});
