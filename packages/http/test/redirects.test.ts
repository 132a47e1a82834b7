/**
 * Redirects: history, relative and cross-origin Location, 303 (and 301/302 after POST)
 * turning into GET, credentials dropped across origins, loops ended by TooManyRedirects.
 */
import { ClientSession, InvalidURL, TooManyRedirects } from '@aiots/http';
import { type HostileServer, startHostileServer } from '@aiots/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let site: HostileServer;
let other: HostileServer;
beforeAll(async () => {
  site = await startHostileServer();
  other = await startHostileServer();
});
afterAll(async () => {
  await site.close();
  await other.close();
});

interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const to = (target: string, status = 302) =>
  `/redirect?${new URLSearchParams({ to: target, status: String(status) })}`;

describe('following', () => {
  test('a chain, with every hop in history', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/redirect-chain/3`);
    expect(await res.text()).toBe('arrived');
    expect(res.url).toBe(`${site.url}/redirect-chain/0`);
    expect(res.history.map((r) => [r.status, r.url])).toEqual([
      [302, `${site.url}/redirect-chain/3`],
      [302, `${site.url}/redirect-chain/2`],
      [302, `${site.url}/redirect-chain/1`],
    ]);
    expect(res.history[1]?.history.map((r) => r.url)).toEqual([`${site.url}/redirect-chain/3`]);
    expect(await res.history[0]?.text()).toBe('');
    expect(session.stats().inFlight).toBe(0);
  });

  test('a relative Location resolves against the current URL', async () => {
    await using session = new ClientSession();
    const res = await session.get(
      `${site.url}/redirect/deeper?${new URLSearchParams({ to: '../echo/x?y=1' })}`,
    );
    expect(res.url).toBe(`${site.url}/echo/x?y=1`);
    expect(((await res.json()) as Echo).path).toBe('/echo/x');
  });

  test('a cross-origin Location drops Authorization and Cookie, keeps the rest', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}${to(`${other.url}/echo`)}`, {
      headers: { authorization: 'Bearer secret', cookie: 'a=1', 'x-keep': 'yes' },
    });
    const echo = (await res.json()) as Echo;
    expect(res.url).toBe(`${other.url}/echo`);
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers.cookie).toBeUndefined();
    expect(echo.headers['x-keep']).toBe('yes');
  });

  test('a same-origin Location keeps Authorization', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}${to('/echo')}`, {
      headers: { authorization: 'Bearer secret' },
    });
    expect(((await res.json()) as Echo).headers.authorization).toBe('Bearer secret');
  });

  test.each([
    [303, 'POST', 'GET', ''],
    [303, 'PUT', 'GET', ''],
    [302, 'POST', 'GET', ''],
    [301, 'POST', 'GET', ''],
    [302, 'PUT', 'PUT', 'payload'],
    [307, 'POST', 'POST', 'payload'],
    [308, 'PATCH', 'PATCH', 'payload'],
  ])('%i after %s continues as %s', async (status, method, next, body) => {
    await using session = new ClientSession();
    const res = await session.request(method, `${site.url}${to('/echo', status)}`, {
      data: 'payload',
    });
    const echo = (await res.json()) as Echo;
    expect(echo.method).toBe(next);
    expect(echo.body).toBe(body);
    if (next === 'GET') expect(echo.headers['content-type']).toBeUndefined();
  });

  test('a 307 cannot resend a streamed body: a clear error', async () => {
    await using session = new ClientSession();
    async function* once() {
      yield 'x';
    }
    await expect(session.post(`${site.url}${to('/echo', 307)}`, { data: once() })).rejects.toThrow(
      /cannot be sent again/,
    );
  });

  test('allowRedirects: false returns the 3xx itself', async () => {
    await using session = new ClientSession({ allowRedirects: false });
    const res = await session.get(`${site.url}${to('/echo')}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/echo');
    const followed = await session.get(`${site.url}${to('/echo')}`, { allowRedirects: true });
    expect(followed.status).toBe(200);
    await followed.text();
  });

  test('a redirect to a non-http URL is an InvalidURL', async () => {
    await using session = new ClientSession();
    const e = await session.get(`${site.url}${to('ftp://example.com/x')}`).catch((x: unknown) => x);
    expect(InvalidURL.is(e)).toBe(true);
    expect((e as Error).message).toMatch(/not an http\(s\) URL/);
  });
});

describe('loops', () => {
  test('TooManyRedirects after maxRedirects, with the chain as history', async () => {
    await using session = new ClientSession();
    const e = await session.get(`${site.url}/redirect-loop`).catch((x: unknown) => x);
    expect(TooManyRedirects.is(e)).toBe(true);
    const err = e as TooManyRedirects;
    expect(err.history).toHaveLength(11);
    expect(err.status).toBe(302);
    expect(err.url).toBe(`${site.url}/redirect-loop`);
    expect(err.message).toMatch(/more than 10 redirects/);
    expect(session.stats().inFlight).toBe(0);
  });

  test('maxRedirects per request; 0 allows none', async () => {
    await using session = new ClientSession();
    const e = await session
      .get(`${site.url}/redirect-chain/3`, { maxRedirects: 2 })
      .catch((x: unknown) => x);
    expect((e as TooManyRedirects).history).toHaveLength(3);
    const z = await session
      .get(`${site.url}/redirect-chain/1`, { maxRedirects: 0 })
      .catch((x: unknown) => x);
    expect((z as TooManyRedirects).history).toHaveLength(1);
  });
});
