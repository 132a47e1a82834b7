/**
 * ClientSession basics against a real server: methods, URLs, params, headers, bodies of
 * every kind, options overridden per request, the response's fields and body caching.
 */
import { ClientResponse, ClientSession, CookieJar } from '@aiots/http';
import { type HostileServer, startHostileServer } from '@aiots/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let site: HostileServer;
beforeAll(async () => {
  site = await startHostileServer();
});
afterAll(() => site.close());

interface Echo {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

describe('requests', () => {
  test.each(['get', 'post', 'put', 'patch', 'delete', 'options'] as const)(
    '%s sends its method',
    async (m) => {
      await using session = new ClientSession();
      const res = await session[m](`${site.url}/echo`);
      expect(res).toBeInstanceOf(ClientResponse);
      expect(res.method).toBe(m.toUpperCase());
      expect(((await res.json()) as Echo).method).toBe(m.toUpperCase());
    },
  );

  test('head has a status and an empty body', async () => {
    await using session = new ClientSession();
    const res = await session.head(`${site.url}/echo`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  test('request() upper-cases the method and takes custom ones', async () => {
    await using session = new ClientSession();
    const res = await session.request('purge', `${site.url}/echo`);
    expect(((await res.json()) as Echo).method).toBe('PURGE');
  });

  test('baseUrl, params from the session and the request, and the URL own query', async () => {
    await using session = new ClientSession({
      baseUrl: `${site.url}/`,
      params: { a: '1', b: '2' },
    });
    const res = await session.get('echo?z=0', { params: { b: 'x', c: [3, 4] } });
    const echo = (await res.json()) as Echo;
    expect(echo.path).toBe('/echo');
    expect(res.url).toBe(`${site.url}/echo?z=0&a=1&b=x&c=3&c=4`);
  });

  test('headers merge by name, case-insensitively; undefined removes one', async () => {
    await using session = new ClientSession({
      headers: { 'X-One': '1', 'x-two': '2', 'User-Agent': 'mine' },
    });
    const res = await session.get(`${site.url}/echo`, {
      headers: { 'x-ONE': 'uno', 'x-two': undefined },
    });
    const h = ((await res.json()) as Echo).headers;
    expect(h['x-one']).toBe('uno');
    expect(h['x-two']).toBeUndefined();
    expect(h['user-agent']).toBe('mine');
    expect(h['accept-encoding']).toMatch(/gzip/);
  });

  test('headers as Headers and as pairs', async () => {
    await using session = new ClientSession();
    const a = await session.get(`${site.url}/echo`, { headers: new Headers({ 'x-a': '1' }) });
    const b = await session.get(`${site.url}/echo`, { headers: [['x-b', '2']] });
    expect(((await a.json()) as Echo).headers['x-a']).toBe('1');
    expect(((await b.json()) as Echo).headers['x-b']).toBe('2');
  });

  test('credentials in the URL become Basic auth and leave the URL', async () => {
    await using session = new ClientSession();
    const u = new URL(`${site.url}/echo`);
    u.username = 'ada';
    u.password = 's3cret';
    const res = await session.get(u);
    expect(((await res.json()) as Echo).headers.authorization).toBe(
      `Basic ${Buffer.from('ada:s3cret').toString('base64')}`,
    );
    expect(res.url).toBe(`${site.url}/echo`);
  });
});

describe('bodies', () => {
  const cases: [string, unknown, string, string][] = [
    ['a string', 'hello', 'hello', 'text/plain;charset=UTF-8'],
    ['bytes', new Uint8Array([104, 105]), 'hi', 'application/octet-stream'],
    ['an ArrayBuffer', new Uint8Array([104, 105]).buffer, 'hi', 'application/octet-stream'],
    [
      'URLSearchParams',
      new URLSearchParams({ a: '1', b: 'x y' }),
      'a=1&b=x+y',
      'application/x-www-form-urlencoded;charset=UTF-8',
    ],
    [
      'a plain object',
      { a: 1, b: ['x', 'y'] },
      'a=1&b=x&b=y',
      'application/x-www-form-urlencoded;charset=UTF-8',
    ],
    ['a Blob', new Blob(['blob!'], { type: 'text/x-blob' }), 'blob!', 'text/x-blob'],
  ];
  test.each(cases)('data as %s', async (_name, data, body, type) => {
    await using session = new ClientSession();
    const res = await session.post(`${site.url}/echo`, { data: data as string });
    const echo = (await res.json()) as Echo;
    expect(echo.body).toBe(body);
    expect(echo.headers['content-type']).toBe(type);
  });

  test('json', async () => {
    await using session = new ClientSession();
    const res = await session.post(`${site.url}/echo`, { json: { a: [1, null], b: 'é' } });
    const echo = (await res.json()) as Echo;
    expect(JSON.parse(echo.body)).toEqual({ a: [1, null], b: 'é' });
    expect(echo.headers['content-type']).toBe('application/json');
  });

  test('a Content-Type given by the caller wins', async () => {
    await using session = new ClientSession();
    const res = await session.post(`${site.url}/echo`, {
      json: 1,
      headers: { 'content-type': 'application/vnd.x+json' },
    });
    expect(((await res.json()) as Echo).headers['content-type']).toBe('application/vnd.x+json');
  });

  test('FormData goes as multipart, files included', async () => {
    await using session = new ClientSession();
    const form = new FormData();
    form.append('name', 'ada');
    form.append('file', new Blob(['file body'], { type: 'text/plain' }), 'notes.txt');
    const res = await session.post(`${site.url}/echo`, { data: form });
    const echo = (await res.json()) as Echo;
    expect(echo.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(echo.body).toContain('name="name"');
    expect(echo.body).toContain('ada');
    expect(echo.body).toContain('filename="notes.txt"');
    expect(echo.body).toContain('file body');
  });

  test('an async iterable streams (chunked)', async () => {
    await using session = new ClientSession();
    async function* parts() {
      yield 'one,';
      yield new Uint8Array([116, 119, 111]);
    }
    const res = await session.post(`${site.url}/echo`, { data: parts() });
    const echo = (await res.json()) as Echo;
    expect(echo.body).toBe('one,two');
    expect(echo.headers['transfer-encoding']).toBe('chunked');
  });
});

describe('responses', () => {
  test('status, statusText, ok, headers, contentType, charset, url', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/status/404`);
    expect(res.status).toBe(404);
    expect(res.statusText).toBe('Not Found');
    expect(res.ok).toBe(false);
    expect(res.headers.get('content-length')).toBe('10');
    expect(res.contentType).toBe('application/octet-stream');
    expect(res.charset).toBeUndefined();
    expect(res.url).toBe(`${site.url}/status/404`);
    expect(res.history).toEqual([]);
    expect(await res.text()).toBe('status 404');
    const ok = await session.get(`${site.url}/charset/header`);
    expect(ok.ok).toBe(true);
    expect(ok.contentType).toBe('text/plain');
    expect(ok.charset).toBe('iso-8859-1');
    expect(String(ok)).toBe(`ClientResponse 200 OK ${site.url}/charset/header`);
    await ok.text();
  });

  test('ok is true below 400, as in aiohttp', async () => {
    await using session = new ClientSession({ allowRedirects: false });
    const res = await session.get(`${site.url}/redirect?to=/echo`);
    expect(res.status).toBe(302);
    expect(res.ok).toBe(true);
  });

  test('reading the body again returns the same data, whichever way', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/echo`);
    const text = await res.text();
    expect(await res.text()).toBe(text);
    expect(Buffer.from(await res.bytes()).toString()).toBe(text);
    expect(await res.json()).toEqual(JSON.parse(text));
    const chunks: Uint8Array[] = [];
    for await (const c of res.body) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe(text);
  });

  test('text({ encoding }) forces a charset', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/charset/missing`);
    expect(await res.text()).toBe('naïve café ✓');
    expect(await res.text({ encoding: 'latin1' })).not.toBe('naïve café ✓');
  });

  test('chunked bodies with trailers', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/trailers`);
    expect(await res.text()).toBe('part one, part two');
    expect(res.trailers?.get('x-checksum')).toBe('abc123');
  });

  test('a large body streams in chunks with back-pressure', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/huge?chunked`, { timeout: { totalMs: 60_000 } });
    let n = 0;
    let chunks = 0;
    for await (const c of res.body) {
      n += c.byteLength;
      chunks++;
      if (n >= 4 * 1024 * 1024) break;
    }
    expect(chunks).toBeGreaterThan(4);
    expect(res.released).toBe(true);
    expect(session.stats().inFlight).toBe(0);
  });
});

describe('session', () => {
  test('each session has its own cookie jar by default, and none with null', async () => {
    const a = new ClientSession();
    const b = new ClientSession({ cookieJar: null });
    const shared = new CookieJar();
    const c = new ClientSession({ cookieJar: shared });
    expect(a.cookieJar).toBeInstanceOf(CookieJar);
    expect(b.cookieJar).toBeNull();
    expect(c.cookieJar).toBe(shared);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test('close() is idempotent, and a closed session refuses requests', async () => {
    const session = new ClientSession();
    await (await session.get(`${site.url}/echo`)).text();
    const p1 = session.close();
    expect(session.closed).toBe(true);
    expect(session.close()).toBe(p1);
    await p1;
    await expect(session.get(`${site.url}/echo`)).rejects.toThrow(/closed/);
    await expect(session.get(`${site.url}/echo`)).rejects.toMatchObject({
      name: 'InvalidStateError',
    });
  });

  test('close() fails a body still being read with ClientConnectionError', async () => {
    const session = new ClientSession();
    const res = await session.get(`${site.url}/trickle?bytes=100&everyMs=20`);
    const reading = res.text().catch((e: unknown) => e);
    await session.close();
    expect(await reading).toMatchObject({ name: 'ClientConnectionError' });
  });

  test('a dispatcher given per request is used', async () => {
    const { Agent } = await import('undici');
    const agent = new Agent();
    let dispatched = 0;
    const counting = agent.compose((dispatch) => (opts, handler) => {
      dispatched++;
      return dispatch(opts, handler);
    });
    await using session = new ClientSession();
    await (await session.get(`${site.url}/echo`, { dispatcher: counting })).text();
    expect(dispatched).toBe(1);
    await agent.close();
  });
});
