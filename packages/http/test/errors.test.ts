/**
 * Bad input gets a named error or a TypeError/RangeError that says what was expected and
 * what came; the error classes form aiohttp's hierarchy, keep their cause, and are
 * recognised across copies of the package; failures from a hostile peer map to them.
 */
import { createServer, type Server } from 'node:net';
import {
  BodyTooLarge,
  ClientConnectionError,
  ClientConnectorError,
  ClientError,
  ClientResponseError,
  ClientSession,
  ContentDecodingError,
  InvalidURL,
  ServerTimeoutError,
  TooManyRedirects,
} from '@aiots/http';
import { AiotsError } from '@aiots/loop';
import { isErrorKind } from '@aiots/loop/lowlevel';
import { type HostileServer, startHostileServer } from '@aiots/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let site: HostileServer;
beforeAll(async () => {
  site = await startHostileServer();
});
afterAll(() => site.close());

describe('bad input', () => {
  test('a URL that is not one: InvalidURL', async () => {
    await using session = new ClientSession();
    for (const url of ['not a url', '/relative/without/base', 'ftp://example.com/', 'http://']) {
      const e = await session.get(url).catch((x: unknown) => x);
      expect(InvalidURL.is(e), url).toBe(true);
      expect((e as InvalidURL).url).toBe(url);
      expect((e as Error).message).toMatch(/^Expected an absolute http\(s\) URL/);
    }
    await expect(session.get(42 as never)).rejects.toThrow(
      'Expected `url` to be a string or URL, got number 42',
    );
    expect(() => new ClientSession({ baseUrl: 'nope' })).toThrow(InvalidURL);
    expect(() => new ClientSession({ baseUrl: 3 as never })).toThrow(TypeError);
  });

  test('a method with spaces', async () => {
    await using session = new ClientSession();
    await expect(session.request('GE T', `${site.url}/echo`)).rejects.toThrow(
      `Expected \`method\` to be an HTTP method token such as 'GET', got string "GE T"`,
    );
    await expect(session.request(undefined as never, `${site.url}/echo`)).rejects.toBeInstanceOf(
      TypeError,
    );
  });

  test('a header with a newline, or a bad name', async () => {
    await using session = new ClientSession();
    await expect(
      session.get(`${site.url}/echo`, { headers: { 'x-a': 'one\r\ntwo' } }),
    ).rejects.toThrow(
      /expected header `x-a` to have no CR, LF or NUL character, got string "one\\r\\ntwo"/,
    );
    await expect(session.get(`${site.url}/echo`, { headers: { 'bad name': 'x' } })).rejects.toThrow(
      /expected a header name to be an HTTP token, got string "bad name"/,
    );
    await expect(
      session.get(`${site.url}/echo`, { headers: { 'x-a': {} as never } }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(() => new ClientSession({ headers: 'x' as never })).toThrow(TypeError);
  });

  test('timeouts: negative or of the wrong type', async () => {
    await using session = new ClientSession();
    await expect(session.get(`${site.url}/echo`, { timeout: { totalMs: -1 } })).rejects.toThrow(
      'GET request expected `timeout.totalMs` to be a number of milliseconds from 0 and up (or Infinity), got -1',
    );
    expect(() => new ClientSession({ timeout: { sockReadMs: '5' as never } })).toThrow(TypeError);
    expect(() => new ClientSession({ timeout: { connectMs: Number.NaN } })).toThrow(TypeError);
    expect(() => new ClientSession({ timeout: 5 as never })).toThrow(TypeError);
  });

  test('limit: 0 and other bad caps', () => {
    expect(() => new ClientSession({ limit: 0 })).toThrow(
      new RangeError(
        'new ClientSession() expected `limit` to be an integer from 1 and up (or Infinity), got 0',
      ),
    );
    expect(() => new ClientSession({ limit: 1.5 })).toThrow(RangeError);
    expect(() => new ClientSession({ limit: '3' as never })).toThrow(TypeError);
    expect(() => new ClientSession({ limitPerHost: -1 })).toThrow(RangeError);
    expect(() => new ClientSession({ maxRedirects: -1 })).toThrow(RangeError);
    expect(() => new ClientSession({ maxBodyBytes: -1 })).toThrow(RangeError);
  });

  test('a JSON body that cannot be serialized', async () => {
    await using session = new ClientSession();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const e = await session.post(`${site.url}/echo`, { json: cyclic }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toMatch(
      /^POST request expected `json` to be serializable to JSON, got an instance of Object/,
    );
    expect((e as Error).cause).toBeInstanceOf(TypeError);
    await expect(session.post(`${site.url}/echo`, { json: 10n })).rejects.toThrow(
      /serializable to JSON, got bigint 10/,
    );
    await expect(session.post(`${site.url}/echo`, { json: () => 1 })).rejects.toThrow(
      /serializable to JSON, got function/,
    );
    await expect(session.post(`${site.url}/echo`, { json: 1, data: 'x' })).rejects.toThrow(
      /`json` or `data`, not both/,
    );
    await expect(session.post(`${site.url}/echo`, { data: 5 as never })).rejects.toThrow(
      /expected `data` to be .*, got number 5/,
    );
  });

  test('reading a body twice: the same data whole, an error after streaming', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/huge?chunked`);
    const it = res.body[Symbol.asyncIterator]();
    await it.next();
    await expect(res.text()).rejects.toMatchObject({
      name: 'InvalidStateError',
      message: expect.stringMatching(/already read by iterating `body`/),
    });
    await expect(res.body[Symbol.asyncIterator]().next()).rejects.toThrow(/already being iterated/);
    await it.return?.();
  });

  test('using a closed session', async () => {
    const session = new ClientSession();
    await session.close();
    await expect(session.get(`${site.url}/echo`)).rejects.toMatchObject({
      name: 'InvalidStateError',
    });
    await expect(session.wsConnect('ws://127.0.0.1:1/')).rejects.toMatchObject({
      name: 'InvalidStateError',
    });
  });

  test('options of the wrong shape', async () => {
    await using session = new ClientSession();
    const url = `${site.url}/echo`;
    await expect(session.get(url, 'x' as never)).rejects.toThrow(
      /expected an options object, got string/,
    );
    await expect(session.get(url, { params: 3 as never })).rejects.toThrow(/`params`/);
    await expect(session.get(url, { params: { a: {} as never } })).rejects.toThrow(/param `a`/);
    await expect(session.get(url, { signal: 'x' as never })).rejects.toThrow(
      /`signal` to be an AbortSignal/,
    );
    await expect(session.get(url, { cookieJar: {} as never })).rejects.toThrow(
      /`cookieJar` to be a CookieJar or null/,
    );
    await expect(session.get(url, { dispatcher: {} as never })).rejects.toThrow(
      /`dispatcher` to be an undici Dispatcher/,
    );
    await expect(session.get(url, { proxy: 'socks://x' })).rejects.toThrow(
      /`proxy` to be an http\(s\) URL/,
    );
    await expect(session.get(url, { retry: { attempts: 0 } })).rejects.toBeInstanceOf(RangeError);
    await expect(session.get(url, { retry: { statuses: [700] } })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(session.get(url, { raiseForStatus: 'yes' as never })).rejects.toBeInstanceOf(
      TypeError,
    );
  });
});

describe('the error classes', () => {
  test('aiohttp hierarchy, names, codes, and is() through subclasses', () => {
    const info = { status: 500, url: 'http://x/', headers: new Headers(), history: [] };
    const all = [
      [new ClientError('x'), 'ClientError', 'AIOTS_HTTP_CLIENT'],
      [new ClientConnectionError('x'), 'ClientConnectionError', 'AIOTS_HTTP_CONNECTION'],
      [new ClientConnectorError('x'), 'ClientConnectorError', 'AIOTS_HTTP_CONNECTOR'],
      [new ServerTimeoutError('total', 5), 'ServerTimeoutError', 'AIOTS_HTTP_TIMEOUT'],
      [new ClientResponseError(info), 'ClientResponseError', 'AIOTS_HTTP_RESPONSE'],
      [new TooManyRedirects(info), 'TooManyRedirects', 'AIOTS_HTTP_TOO_MANY_REDIRECTS'],
      [new InvalidURL('u', 'x'), 'InvalidURL', 'AIOTS_HTTP_INVALID_URL'],
      [new BodyTooLarge(1, 2, 'u', false), 'BodyTooLarge', 'AIOTS_HTTP_BODY_TOO_LARGE'],
      [
        new ContentDecodingError('gzip', 'u'),
        'ContentDecodingError',
        'AIOTS_HTTP_CONTENT_DECODING',
      ],
    ] as const;
    for (const [e, name, code] of all) {
      expect(e.name).toBe(name);
      expect(e.code).toBe(code);
      expect(AiotsError.is(e)).toBe(true);
      expect(ClientError.is(e)).toBe(true);
      expect(isErrorKind(e, name)).toBe(true);
    }
    expect(ClientConnectionError.is(new ServerTimeoutError('sockRead', 1))).toBe(true);
    expect(ClientConnectionError.is(new ClientConnectorError('x'))).toBe(true);
    expect(ClientConnectorError.is(new ClientConnectionError('x'))).toBe(false);
    expect(ClientResponseError.is(new TooManyRedirects(info))).toBe(true);
    expect(ClientConnectionError.is(new InvalidURL('u', 'x'))).toBe(false);
    expect(new ServerTimeoutError('total', 5).message).toBe('the total timeout of 5 ms expired');
  });

  test('is() holds for an error from another copy of the package', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('aiots.http.error.kinds')]: [
        'ClientError',
        'ClientConnectionError',
        'ServerTimeoutError',
      ],
    });
    expect(ServerTimeoutError.is(foreign)).toBe(true);
    expect(ClientConnectionError.is(foreign)).toBe(true);
    expect(ClientResponseError.is(foreign)).toBe(false);
    expect(ClientError.is({})).toBe(false);
    expect(ClientError.is(null)).toBe(false);
  });
});

describe('hostile peers', () => {
  test('a connection reset mid-body: ClientConnectionError, cause kept', async () => {
    await using session = new ClientSession({ limit: 1 });
    const res = await session.get(`${site.url}/reset-mid-body`);
    const e = await res.text().catch((x: unknown) => x);
    expect(ClientConnectionError.is(e)).toBe(true);
    expect(ClientConnectorError.is(e)).toBe(false);
    expect((e as Error).cause).toMatchObject({
      code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/),
    });
    expect(await (await session.get(`${site.url}/echo`)).text()).toMatch(/GET/);
  });

  test('a refused connection: ClientConnectorError with ECONNREFUSED', async () => {
    await using session = new ClientSession();
    const e = await session.get('http://127.0.0.1:1/').catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'ClientConnectorError', osCode: 'ECONNREFUSED' });
    expect((e as Error).message).toBe('GET http://127.0.0.1:1/: cannot connect (ECONNREFUSED)');
  });

  test('a server that answers garbage: ClientConnectionError', async () => {
    const garbage: Server = createServer((s) => {
      s.on('data', () => s.end('THIS IS NOT HTTP\r\n\r\n'));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
    try {
      await using session = new ClientSession();
      const e = await session
        .get(`http://127.0.0.1:${(garbage.address() as { port: number }).port}/`)
        .catch((x: unknown) => x);
      expect(ClientConnectionError.is(e)).toBe(true);
    } finally {
      garbage.close();
    }
  });

  test('a server that accepts and never answers: the sockRead timeout ends it', async () => {
    await using session = new ClientSession({ timeout: { sockReadMs: 50 } });
    await expect(session.get(`${site.url}/hang`)).rejects.toMatchObject({
      name: 'ServerTimeoutError',
      timeout: 'sockRead',
    });
  });

  test('raiseForStatus: ClientResponseError with status, url, headers, history', async () => {
    await using session = new ClientSession({ raiseForStatus: true });
    const e = await session.get(`${site.url}/redirect?to=/status/503`).catch((x: unknown) => x);
    expect(ClientResponseError.is(e)).toBe(true);
    const err = e as ClientResponseError;
    expect([err.status, err.url, err.history.length]).toEqual([503, `${site.url}/status/503`, 1]);
    expect(err.headers.get('content-length')).toBe('10');
    expect(err.message).toBe(`503 Service Unavailable for ${site.url}/status/503`);
    const res = await session.get(`${site.url}/status/404`, { raiseForStatus: false });
    expect(() => res.raiseForStatus()).toThrow(ClientResponseError);
    expect(res.released).toBe(true);
  });
});
