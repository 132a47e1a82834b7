/**
 * `limit` and `limitPerHost`, proven from the server's side: gated servers hold every
 * request until the test releases it and count the requests and connections open at once.
 */
import { ClientSession } from '@aiots/http';
import { checkpoint, createTask, gather, run, type Task } from '@aiots/loop';
import { afterEach, describe, expect, test } from 'vitest';
import { type Gate, gateServers } from './helpers.ts';

let gate: Gate | undefined;
afterEach(async () => {
  await gate?.close();
  gate = undefined;
});

/** Yields (to other tasks, then to Node's I/O) until `cond()` holds; bounded, never sleeps. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) {
    await checkpoint();
    await new Promise<void>((r) => setImmediate(r));
  }
  expect(cond()).toBe(true);
}

function fetchAll(session: ClientSession, urls: string[]): Task<string>[] {
  return urls.map((u) => createTask(async () => (await session.get(u)).text()));
}

describe('limitPerHost', () => {
  test('caps the requests and connections to one origin; the rest wait FIFO', async () => {
    gate = await gateServers(1);
    const g = gate;
    await run(async () => {
      await using session = new ClientSession({ limitPerHost: 2 });
      const paths = [0, 1, 2, 3, 4, 5].map((i) => `${g.urls[0]}/${i}`);
      const tasks = fetchAll(session, paths);
      await g.arrivals(2);
      await until(() => session.stats().waiting === 4);
      expect(session.stats().inFlight).toBe(2);
      for (let n = 3; n <= 6; n++) {
        g.releaseOne();
        await g.arrivals(n);
      }
      g.openAll();
      expect(await gather(tasks)).toEqual(paths.map((p) => new URL(p).pathname));
      expect(g.maxActive()).toBe(2);
      expect(g.maxOpen(0)).toBeLessThanOrEqual(2);
      expect(g.order()).toEqual(['/0', '/1', '/2', '/3', '/4', '/5']);
      expect(session.stats()).toMatchObject({ inFlight: 0, waiting: 0 });
    });
  });

  test('a busy host does not hold back another one', async () => {
    gate = await gateServers(2);
    const g = gate;
    await run(async () => {
      await using session = new ClientSession({ limitPerHost: 1, limit: 10 });
      const a = fetchAll(session, [`${g.urls[0]}/a1`, `${g.urls[0]}/a2`]);
      await g.arrivals(1);
      await until(() => session.stats().waiting === 1);
      const b = fetchAll(session, [`${g.urls[1]}/b1`]);
      await g.arrivals(2);
      expect(g.order()).toEqual(['/a1', '/b1']);
      g.openAll();
      await gather([...a, ...b]);
      expect(g.maxOpen(0)).toBe(1);
      expect(g.maxOpen(1)).toBe(1);
    });
  });
});

describe('limit', () => {
  test('caps the requests in flight across all hosts', async () => {
    gate = await gateServers(3);
    const g = gate;
    await run(async () => {
      await using session = new ClientSession({ limit: 3 });
      const urls = [0, 1, 2].flatMap((h) => [0, 1, 2].map((i) => `${g.urls[h]}/${h}-${i}`));
      const tasks = fetchAll(session, urls);
      await g.arrivals(3);
      await until(() => session.stats().waiting === 6);
      for (let n = 4; n <= 9; n++) {
        g.releaseOne();
        await g.arrivals(n);
        expect(g.active()).toBe(3);
      }
      g.openAll();
      await gather(tasks);
      expect(g.maxActive()).toBe(3);
      expect(session.stats().inFlight).toBe(0);
    });
  });

  test('limit and limitPerHost together', async () => {
    gate = await gateServers(2);
    const g = gate;
    await run(async () => {
      await using session = new ClientSession({ limit: 3, limitPerHost: 2 });
      const urls = [0, 1].flatMap((h) => [0, 1, 2, 3].map((i) => `${g.urls[h]}/${h}-${i}`));
      const tasks = fetchAll(session, urls);
      await g.arrivals(3);
      await until(() => session.stats().waiting === 5);
      g.openAll();
      await gather(tasks);
      expect(g.maxActive()).toBe(3);
      expect(g.maxOpen(0)).toBeLessThanOrEqual(2);
      expect(g.maxOpen(1)).toBeLessThanOrEqual(2);
    });
  });

  test('the default is 100', async () => {
    gate = await gateServers(1);
    const g = gate;
    await run(async () => {
      await using session = new ClientSession();
      const tasks = fetchAll(
        session,
        Array.from({ length: 110 }, (_, i) => `${g.urls[0]}/${i}`),
      );
      await g.arrivals(100);
      await until(() => session.stats().waiting === 10);
      expect(session.stats().inFlight).toBe(100);
      g.openAll();
      await gather(tasks);
      expect(g.maxActive()).toBe(100);
    });
  });

  test('Infinity means no cap', async () => {
    gate = await gateServers(1);
    const g = gate;
    await run(async () => {
      await using session = new ClientSession({ limit: Number.POSITIVE_INFINITY });
      const tasks = fetchAll(
        session,
        Array.from({ length: 130 }, (_, i) => `${g.urls[0]}/${i}`),
      );
      await g.arrivals(130);
      expect(session.stats().waiting).toBe(0);
      g.openAll();
      await gather(tasks);
      expect(g.maxActive()).toBe(130);
    });
  });

  test('connections are reused: one at a time over many requests', async () => {
    gate = await gateServers(1);
    const g = gate;
    g.openAll();
    await run(async () => {
      await using session = new ClientSession({ limit: 1 });
      for (let i = 0; i < 20; i++) await (await session.get(`${g.urls[0]}/${i}`)).text();
      expect(g.maxOpen(0)).toBe(1);
    });
  });
});

describe('stats()', () => {
  test('connections open and idle per origin, requests in flight and waiting', async () => {
    gate = await gateServers(1);
    const g = gate;
    await run(async () => {
      await using session = new ClientSession({ limit: 2 });
      expect(session.stats()).toEqual({ inFlight: 0, waiting: 0, origins: {} });
      const tasks = fetchAll(
        session,
        [1, 2, 3].map((i) => `${g.urls[0]}/${i}`),
      );
      await g.arrivals(2);
      await until(() => session.stats().waiting === 1);
      const s = session.stats();
      expect(s).toMatchObject({ inFlight: 2, waiting: 1 });
      expect(s.origins[g.urls[0] as string]).toEqual({ open: 2, idle: 0 });
      expect(Object.isFrozen(s)).toBe(true);
      g.openAll();
      await gather(tasks);
      await until(() => session.stats().origins[g.urls[0] as string]?.idle === 2);
      expect(session.stats().origins[g.urls[0] as string]).toEqual({ open: 2, idle: 2 });
    });
  });
});
