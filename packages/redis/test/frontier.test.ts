/**
 * RedisFrontier and RedisSet: claims once across workers, the end of a crawl detected
 * neither early nor never, and N = 4 worker processes walking a synthetic site while one is
 * SIGKILLed.
 */
import { createTask, gather, sleep, taskGroup } from '@aiots/loop';
import { connect, type RedisConnection, RedisFrontier, RedisSet } from '@aiots/redis';
import { type RedisServer, startRedisServer } from '@aiots/redis/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { links } from './fixtures/graph.ts';
import { Child } from './helpers.ts';

let server: RedisServer;
let conn: RedisConnection;
let n = 0;
const fresh = () => `crawl${++n}`;

beforeAll(async () => {
  server = await startRedisServer();
  conn = await connect(server.url);
});
afterAll(async () => {
  await conn?.close();
  await server?.stop();
});

describe('RedisSet', () => {
  test('add() is true exactly once per member across concurrent adders', async () => {
    const sets = [0, 1, 2].map(() => new RedisSet(conn, 'shared'));
    const results = await gather(
      Array.from({ length: 300 }, (_, i) =>
        createTask(() => (sets[i % 3] as RedisSet).add(String(i % 100))),
      ),
    );
    expect(results.filter(Boolean).length).toBe(100);
    expect(await (sets[0] as RedisSet).size()).toBe(100);
    expect(await (sets[1] as RedisSet).has('99')).toBe(true);
    expect(await (sets[1] as RedisSet).has('100')).toBe(false);
    expect((sets[0] as RedisSet).key).toBe('aiots:set:{shared}');
  });
});

describe('RedisFrontier in one process', () => {
  test('claim once, next, done; the end comes when nothing waits, nothing is held, no worker is busy', async () => {
    const id = fresh();
    const a = new RedisFrontier(conn, id, { blockMs: 50 });
    const b = new RedisFrontier(conn, id, { blockMs: 50 });
    expect(await a.claim('/')).toBe(true);
    expect(await b.claim('/')).toBe(false);
    const page = await b.next();
    expect(page).toBe('/');
    // a waits: nothing to hand out, but b holds a page that may add links.
    const waiting = createTask(() => a.next());
    await sleep(200);
    expect(waiting.done()).toBe(false);
    expect(await a.finished()).toBe(false);
    await b.claim('/about'); // a link of '/', claimed before done('/')
    await b.done('/');
    expect(await waiting).toBe('/about');
    expect(await b.finished()).toBe(false); // a holds '/about'
    await a.done('/about');
    expect(await a.next()).toBeUndefined();
    expect(await b.next()).toBeUndefined();
    expect(await a.finished()).toBe(true);
    await a.close();
    await b.close();
  });

  test('a worker that is still seeding counts as busy: the others do not end early', async () => {
    const id = fresh();
    const seeder = new RedisFrontier(conn, id, { blockMs: 50 });
    const other = new RedisFrontier(conn, id, { blockMs: 50 });
    await seeder.claim('seed-0'); // the seeder is busy from its first claim
    expect(await other.next()).toBe('seed-0');
    await other.done('seed-0'); // a leaf: now nothing waits and nothing is held...
    const more = createTask(() => other.next());
    await sleep(200);
    expect(more.done()).toBe(false); // ...but the seeder may still claim: not the end
    expect(await other.finished()).toBe(false);
    await seeder.claim('seed-1');
    expect(await more).toBe('seed-1');
    await other.done('seed-1');
    expect(await seeder.next()).toBeUndefined(); // the seeder waits now: the end
    expect(await other.next()).toBeUndefined();
    await seeder.close();
    await other.close();
  });

  test('a busy worker SIGKILLed stops counting when its lease runs out: the crawl still ends', async () => {
    const id = fresh();
    const leaseMs = 400;
    const seeder = new Child('seeder.ts', [server.url, id, String(leaseMs), 'only']);
    await seeder.next('claimed');
    seeder.kill();
    await seeder.exited;
    const other = new RedisFrontier(conn, id, { leaseMs, blockMs: 50 });
    expect(await other.next()).toBe('only');
    await other.done('only');
    // Nothing waits, nothing is held; the dead seeder's busy mark lapses after leaseMs.
    expect(await other.next()).toBeUndefined();
    expect(await other.finished()).toBe(true);
    await other.close();
  }, 30_000);

  test('depth travels with a claimed URL to whichever worker gets it', async () => {
    const id = fresh();
    const a = new RedisFrontier(conn, id, { blockMs: 50 });
    const b = new RedisFrontier(conn, id, { blockMs: 50 });
    await a.claim('/', { depth: 0 });
    const root = (await b.next()) as string;
    expect(b.depthOf(root)).toBe(0);
    await b.claim('/child', { depth: (b.depthOf(root) as number) + 1 });
    await b.claim('/child', { depth: 7 }); // seen already: its depth stays 1
    await b.done(root);
    const child = (await a.next()) as string;
    expect([child, a.depthOf(child), b.depthOf(child)]).toEqual(['/child', 1, undefined]);
    await a.done(child);
    await expect(a.claim('/x', { depth: -1 })).rejects.toThrow(RangeError);
    await a.close();
    await b.close();
  });

  test('three workers in one process fetch a 200-node site once each', async () => {
    const id = fresh();
    const fetched: number[] = [];
    await taskGroup(async (tg) => {
      for (let w = 0; w < 3; w++) {
        tg.createTask(async () => {
          await using frontier = new RedisFrontier(conn, id, { blockMs: 50 });
          await frontier.claim('0');
          for (let page = await frontier.next(); page !== undefined; page = await frontier.next()) {
            fetched.push(Number(page));
            for (const m of links(Number(page), 200)) await frontier.claim(String(m));
            await frontier.done(page);
          }
        });
      }
    });
    expect(fetched.length).toBe(200);
    expect(new Set(fetched).size).toBe(200);
  });
});

describe('RedisFrontier across processes', () => {
  test("N = 4 worker processes, one SIGKILLed mid-crawl: every node processed, none twice except the killed one's in-flight ones, the end detected", async () => {
    const id = fresh();
    const nodes = 400;
    const workers = [0, 1, 2, 3].map(
      () => new Child('crawler.ts', [server.url, id, String(nodes)]),
    );
    const fetches = new Map<number, number>();
    const fetchedBy = workers.map(() => new Set<number>());
    const doneBy = workers.map(() => new Set<number>());
    const ended = new Set<number>();
    let killed = false;
    await taskGroup(async (tg) => {
      workers.forEach((worker, w) => {
        tg.createTask(async () => {
          for (;;) {
            const m = await worker.messages.get();
            if ('fetch' in m) {
              const page = m.fetch as number;
              fetches.set(page, (fetches.get(page) ?? 0) + 1);
              fetchedBy[w]?.add(page);
              // Kill worker 0 once the crawl is well under way, while it holds pages.
              if (!killed && w === 0 && fetches.size >= nodes / 4) {
                killed = true;
                worker.kill();
              }
            } else if ('done' in m) {
              doneBy[w]?.add(m.done as number);
            } else if ('end' in m) {
              ended.add(w);
            } else if ('exit' in m) {
              return;
            }
          }
        });
      });
    });
    expect(killed).toBe(true);
    expect((await (workers[0] as Child).exited).signal).toBe('SIGKILL');
    for (const w of [1, 2, 3]) expect((await (workers[w] as Child).exited).code).toBe(0);
    expect([...ended].sort()).toEqual([1, 2, 3]);
    // Every node of the site was processed...
    expect([...fetches.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: nodes }, (_, i) => i),
    );
    // ...and processed twice only if the killed worker had it in flight.
    const inFlight = [...(fetchedBy[0] as Set<number>)].filter(
      (p) => !(doneBy[0] as Set<number>).has(p),
    );
    const twice = [...fetches].filter(([, count]) => count > 1).map(([page]) => page);
    expect([...fetches.values()].every((c) => c <= 2)).toBe(true);
    for (const page of twice) expect(inFlight).toContain(page);
    console.log(
      `crawl: ${fetchedBy[0]?.size} pages fetched by the killed worker, ${inFlight.length} in flight at the kill, ${twice.length} fetched twice`,
    );
    const observer = new RedisFrontier(conn, id);
    expect(await observer.finished()).toBe(true);
    await observer.close();
  }, 60_000);
});
