/**
 * serve(): a task per request, the request API, what a handler may return, 500 plus the
 * loop's exception handler for a handler that throws, the handler's task cancelled when its
 * client disconnects, and close({ graceMs }).
 */
import { ClientSession, type HttpServer, serve } from '@aiots/http';
import {
  CancelledError,
  currentTask,
  type ExceptionContext,
  getLoop,
  run,
  sleep,
} from '@aiots/loop';
import { Event } from '@aiots/sync';
import { afterEach, describe, expect, test } from 'vitest';

const started: HttpServer[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.close({ graceMs: 0 });
});

async function start(...args: Parameters<typeof serve>): Promise<HttpServer> {
  const s = await serve(...args);
  started.push(s);
  return s;
}

describe('requests', () => {
  test('each request runs in a task of its own', async () => {
    const tasks = new Set<unknown>();
    const server = await start(async () => {
      tasks.add(currentTask());
      await sleep(1);
      return 'ok';
    });
    await using session = new ClientSession();
    await Promise.all([1, 2, 3].map(async () => (await session.get(server.url)).text()));
    expect(tasks.size).toBe(3);
    expect(tasks.has(undefined)).toBe(false);
  });

  test('method, url, path, query, headers, json(), text(), bytes(), body', async () => {
    const server = await start(async (req) => {
      if (req.path === '/json')
        return { method: req.method, got: await req.json(), again: await req.json() };
      if (req.path === '/text')
        return { text: await req.text(), q: req.query.getAll('a'), h: req.headers.get('x-h') };
      if (req.path === '/bytes') return { n: (await req.bytes()).length };
      let n = 0;
      for await (const c of req.body) n += c.byteLength;
      return { streamed: n, url: req.url.href };
    });
    await using session = new ClientSession({ baseUrl: server.url });
    expect(await (await session.put('/json', { json: [1, { b: 2 }] })).json()).toEqual({
      method: 'PUT',
      got: [1, { b: 2 }],
      again: [1, { b: 2 }],
    });
    expect(
      await (
        await session.post('/text?a=1&a=2', { data: 'héllo', headers: { 'x-h': 'v' } })
      ).json(),
    ).toEqual({ text: 'héllo', q: ['1', '2'], h: 'v' });
    expect(await (await session.post('/bytes', { data: new Uint8Array(300) })).json()).toEqual({
      n: 300,
    });
    expect(await (await session.post('/stream?x=1', { data: 'x'.repeat(100_000) })).json()).toEqual(
      {
        streamed: 100_000,
        url: `${server.url}/stream?x=1`,
      },
    );
  });

  test('a body over maxBodyBytes answers 413', async () => {
    const server = await start(async (req) => ({ n: (await req.bytes()).length }), {
      maxBodyBytes: 10,
    });
    await using session = new ClientSession();
    const res = await session.post(server.url, { data: 'x'.repeat(100) });
    expect(res.status).toBe(413);
    await res.text().catch(() => {});
  });
});

describe('responses', () => {
  test('a web Response: status, headers, cookies, a streamed body', async () => {
    const server = await start(async () => {
      const headers = new Headers({ 'x-a': '1' });
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      const body = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('one '));
          c.enqueue(new TextEncoder().encode('two'));
          c.close();
        },
      });
      return new Response(body, { status: 201, statusText: 'Made', headers });
    });
    await using session = new ClientSession();
    const res = await session.get(server.url);
    expect([res.status, res.statusText, res.headers.get('x-a')]).toEqual([201, 'Made', '1']);
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.text()).toBe('one two');
  });

  test.each([
    ['a plain object', { a: 1 }, 200, 'application/json', '{"a":1}'],
    ['an array', [1, 2], 200, 'application/json', '[1,2]'],
    ['a string', 'hi', 200, 'text/plain', 'hi'],
    ['bytes', new Uint8Array([104, 105]), 200, 'application/octet-stream', 'hi'],
    ['undefined', undefined, 204, 'application/octet-stream', ''],
  ])('%s', async (_name, value, status, type, body) => {
    const server = await start(async () => value);
    await using session = new ClientSession();
    const res = await session.get(server.url);
    expect(res.status).toBe(status);
    expect(res.contentType).toBe(type);
    expect(await res.text()).toBe(body);
  });
});

describe('failures', () => {
  test('a handler that throws: 500, and the loop exception handler hears of it', async () => {
    const reports: ExceptionContext[] = [];
    await run(async () => {
      getLoop().setExceptionHandler((ctx) => reports.push(ctx));
      const server = await start(async (req) => {
        if (req.path === '/boom') throw new Error('kaput');
        return 'fine';
      });
      await using session = new ClientSession({ baseUrl: server.url });
      const res = await session.get('/boom');
      expect(res.status).toBe(500);
      expect(await res.text()).toBe('Internal Server Error');
      expect(await (await session.get('/ok')).text()).toBe('fine');
      await server.close();
    });
    expect(reports).toHaveLength(1);
    expect(reports[0]?.message).toBe('serve(): the handler failed for GET /boom');
    expect(reports[0]?.exception).toMatchObject({ message: 'kaput' });
  });

  test('a client that disconnects cancels the handler task', async () => {
    const inHandler = new Event();
    const outcome: unknown[] = [];
    const done = new Event();
    const server = await start(async () => {
      inHandler.set();
      try {
        await sleep(60_000);
      } catch (e) {
        outcome.push(e);
        throw e;
      } finally {
        done.set();
      }
      return 'never';
    });
    await using session = new ClientSession();
    const ac = new AbortController();
    const p = session.get(server.url, { signal: ac.signal }).catch((e: unknown) => e);
    await inHandler.wait();
    ac.abort();
    await p;
    await done.wait();
    expect(CancelledError.is(outcome[0])).toBe(true);
    for (let i = 0; i < 100 && server.inFlight > 0; i++) await sleep(0);
    expect(server.inFlight).toBe(0);
  });
});

describe('close', () => {
  test('waits for handlers in flight within graceMs', async () => {
    const inHandler = new Event();
    const release = new Event();
    const server = await serve(async () => {
      inHandler.set();
      await release.wait();
      return 'finished';
    });
    await using session = new ClientSession();
    const res = session.get(server.url);
    await inHandler.wait();
    const closing = server.close({ graceMs: 60_000 });
    release.set();
    await closing;
    expect(await (await res).text()).toBe('finished');
    await expect(session.get(server.url)).rejects.toMatchObject({ name: 'ClientConnectorError' });
  });

  test('cancels the handlers still running when graceMs is over', async () => {
    const inHandler = new Event();
    let cancelled = false;
    const server = await serve(async () => {
      inHandler.set();
      try {
        await sleep(60_000);
      } catch (e) {
        cancelled = CancelledError.is(e);
        throw e;
      }
      return 'never';
    });
    await using session = new ClientSession();
    const res = session.get(server.url).then(
      (r) => r.status,
      (e: unknown) => e,
    );
    await inHandler.wait();
    await server.close({ graceMs: 10 });
    expect(cancelled).toBe(true);
    const outcome = await res;
    expect(outcome === 503 || (outcome as Error).name === 'ClientConnectionError').toBe(true);
  });

  test('url, port, address(); close is idempotent; a signal closes it', async () => {
    const ac = new AbortController();
    const server = await serve(async () => 'x', { signal: ac.signal, port: 0, host: '127.0.0.1' });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.address()).toMatchObject({
      address: '127.0.0.1',
      family: 'IPv4',
      port: server.port,
    });
    ac.abort();
    await server.close();
    expect(server.close()).toBe(server.close());
    await using session = new ClientSession();
    await expect(session.get(server.url)).rejects.toMatchObject({ name: 'ClientConnectorError' });
  });

  test('bad input', async () => {
    await expect(serve('nope' as never)).rejects.toThrow(
      /expected `handler` to be a function, got string/,
    );
    await expect(serve(async () => 1, { port: 70_000 })).rejects.toBeInstanceOf(RangeError);
    await expect(serve(async () => 1, { port: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(serve(async () => 1, { host: 1 as never })).rejects.toBeInstanceOf(TypeError);
    const server = await start(async () => 1);
    await expect(serve(async () => 1, { port: server.port })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    await expect(server.close({ graceMs: -5 })).rejects.toBeInstanceOf(RangeError);
  });
});
