/**
 * Retries: statuses and connection failures, back-off, Retry-After in seconds and as a date
 * (capped by maxBackoffMs), idempotent methods only by default, and the one transparent
 * retry of a stale keep-alive socket.
 */
import { ClientSession } from '@aiots/http';
import { CancelledError, createTask, run } from '@aiots/loop';
import {
  type HostileServer,
  startHostileServer,
  startStaleKeepAliveServer,
} from '@aiots/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let site: HostileServer;
beforeAll(async () => {
  site = await startHostileServer();
});
afterAll(() => site.close());

let keys = 0;
const key = () => `k${++keys}-${Date.now()}`;
const fast = { attempts: 3, backoffMs: 1, jitter: false };

describe('statuses', () => {
  test('500 then 200: the second try answers', async () => {
    await using session = new ClientSession({ retry: fast });
    const res = await session.get(`${site.url}/flaky?key=${key()}&fail=1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('success after 1');
  });

  test('attempts counts every try: past it, the last response is returned', async () => {
    await using session = new ClientSession({ retry: fast });
    const res = await session.get(`${site.url}/flaky?key=${key()}&fail=5`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('failure 3');
  });

  test('with raiseForStatus, the last failure is thrown', async () => {
    await using session = new ClientSession({ retry: fast, raiseForStatus: true });
    await expect(session.get(`${site.url}/flaky?key=${key()}&fail=5`)).rejects.toMatchObject({
      name: 'ClientResponseError',
      status: 500,
    });
  });

  test('statuses not listed are not retried', async () => {
    await using session = new ClientSession({ retry: { ...fast, statuses: [503] } });
    const res = await session.get(`${site.url}/flaky?key=${key()}&fail=1&status=500`);
    expect(res.status).toBe(500);
    await res.text();
  });

  test('POST is not retried by default; listed in methods, it is', async () => {
    await using session = new ClientSession({ retry: fast });
    const k = key();
    const res = await session.post(`${site.url}/flaky?key=${k}&fail=1`, { data: 'x' });
    expect(res.status).toBe(500);
    await res.text();
    const k2 = key();
    const again = await session.post(`${site.url}/flaky?key=${k2}&fail=1`, {
      data: 'x',
      retry: { ...fast, methods: ['POST'] },
    });
    expect(again.status).toBe(200);
    await again.text();
  });

  test('no retry option: no retries', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/flaky?key=${key()}&fail=1`);
    expect(res.status).toBe(500);
    await res.text();
  });
});

describe('Retry-After', () => {
  test('429 with Retry-After in seconds is honoured', async () => {
    await using session = new ClientSession({ retry: { ...fast, maxBackoffMs: 5000 } });
    const res = await session.get(`${site.url}/too-many?key=${key()}&retryAfter=0`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok after 1');
  });

  test('an HTTP date in the past means now', async () => {
    await using session = new ClientSession({ retry: fast });
    const date = new Date(Date.now() - 60_000).toUTCString();
    const res = await session.get(
      `${site.url}/too-many?key=${key()}&retryAfter=${encodeURIComponent(date)}`,
    );
    expect(res.status).toBe(200);
    await res.text();
  });

  test('a wait longer than maxBackoffMs returns the 429 as it is', async () => {
    await using session = new ClientSession({ retry: { ...fast, maxBackoffMs: 1000 } });
    const res = await session.get(`${site.url}/too-many?key=${key()}&retryAfter=3600`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3600');
    const date = new Date(Date.now() + 3_600_000).toUTCString();
    const res2 = await session.get(
      `${site.url}/too-many?key=${key()}&retryAfter=${encodeURIComponent(date)}`,
    );
    expect(res2.status).toBe(429);
  });

  test('the back-off sleep is a cancellation point', async () => {
    await run(async () => {
      await using session = new ClientSession({
        retry: { attempts: 2, backoffMs: 60_000, maxBackoffMs: 60_000, jitter: false },
      });
      const k = key();
      const t = createTask(() => session.get(`${site.url}/flaky?key=${k}&fail=1`));
      await site.requestsReached(site.stats().requests + 1);
      while (session.stats().inFlight > 0) await new Promise((r) => setImmediate(r));
      t.cancel();
      await expect(t).rejects.toBeInstanceOf(CancelledError);
    });
  });

  test('the total timeout ends a back-off sleep', async () => {
    await using session = new ClientSession({
      retry: { attempts: 2, backoffMs: 60_000, maxBackoffMs: 60_000, jitter: false },
      timeout: { totalMs: 100 },
    });
    await expect(session.get(`${site.url}/flaky?key=${key()}&fail=1`)).rejects.toMatchObject({
      name: 'ServerTimeoutError',
      timeout: 'total',
    });
  });
});

describe('connection failures', () => {
  test('a refused connection is retried, then ClientConnectorError', async () => {
    await using session = new ClientSession({ retry: fast });
    await expect(session.get('http://127.0.0.1:1/')).rejects.toMatchObject({
      name: 'ClientConnectorError',
      osCode: 'ECONNREFUSED',
    });
  });

  test('a reset before the response is retried', async () => {
    const stale = await startStaleKeepAliveServer();
    try {
      // Every second request on a connection is dropped; a retry takes a new connection.
      await using session = new ClientSession({ limit: 1, retry: fast });
      for (let i = 0; i < 4; i++)
        expect(await (await session.get(`${stale.url}/`)).text()).toBe('ok');
    } finally {
      await stale.close();
    }
  });
});

describe('a stale keep-alive socket', () => {
  test('is retried once, transparently, without any retry option', async () => {
    const stale = await startStaleKeepAliveServer();
    try {
      await using session = new ClientSession({ limit: 1 });
      for (let i = 0; i < 5; i++) {
        const res = await session.get(`${stale.url}/`);
        expect(await res.text()).toBe('ok');
      }
      expect(stale.answered()).toBe(5);
      expect(stale.dropped()).toBe(4);
    } finally {
      await stale.close();
    }
  });

  test('is not retried for a POST (not idempotent)', async () => {
    const stale = await startStaleKeepAliveServer();
    try {
      await using session = new ClientSession({ limit: 1 });
      await (await session.get(`${stale.url}/`)).text();
      await expect(session.post(`${stale.url}/`)).rejects.toMatchObject({
        name: 'ClientConnectionError',
      });
    } finally {
      await stale.close();
    }
  });
});
