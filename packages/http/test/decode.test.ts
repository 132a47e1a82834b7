/**
 * Content-Encoding (gzip, deflate in both forms, br, zstd; a corrupt body), charset
 * detection (Content-Type, a meta tag, an unknown charset, none), and maxBodyBytes against a
 * body announced in gigabytes or streamed without end.
 */

import * as zlib from 'node:zlib';
import { BodyTooLarge, ClientSession, ContentDecodingError } from '@aiots/http';
import { type HostileServer, startHostileServer, TEXT } from '@aiots/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let site: HostileServer;
beforeAll(async () => {
  site = await startHostileServer();
});
afterAll(() => site.close());

const hasZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';

describe('decompression', () => {
  test.each(['gzip', 'deflate', 'deflate-raw', 'br', ...(hasZstd ? ['zstd'] : [])])(
    '%s',
    async (coding) => {
      await using session = new ClientSession();
      const res = await session.get(`${site.url}/encoded/${coding}`);
      expect(res.headers.get('content-encoding')).toBe(
        coding === 'deflate-raw' ? 'deflate' : coding,
      );
      expect(await res.text()).toBe(TEXT);
    },
  );

  test('the session asks for every coding it can decode', async () => {
    await using session = new ClientSession();
    const echo = (await (await session.get(`${site.url}/echo`)).json()) as {
      headers: Record<string, string>;
    };
    expect(echo.headers['accept-encoding']).toBe(
      hasZstd ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br',
    );
  });

  test('a streamed compressed body decodes chunk by chunk', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/encoded/gzip`);
    const parts: Uint8Array[] = [];
    for await (const c of res.body) parts.push(c);
    expect(Buffer.concat(parts).toString()).toBe(TEXT);
  });

  test('a corrupt gzip body: ContentDecodingError with zlib as cause, connection freed', async () => {
    await using session = new ClientSession({ limit: 1 });
    const res = await session.get(`${site.url}/corrupt-gzip`);
    const e = await res.text().catch((x: unknown) => x);
    expect(ContentDecodingError.is(e)).toBe(true);
    expect(e).toMatchObject({ encoding: 'gzip', code: 'AIOTS_HTTP_CONTENT_DECODING' });
    expect((e as Error).cause).toMatchObject({ code: expect.stringMatching(/^Z_/) });
    await expect(res.text()).rejects.toBe(e);
    expect(await (await session.get(`${site.url}/encoded/gzip`)).text()).toBe(TEXT);
  });
});

describe('charset', () => {
  test('from Content-Type', async () => {
    await using session = new ClientSession();
    expect(await (await session.get(`${site.url}/charset/header`)).text()).toBe('café');
  });

  test('from a meta tag in the first KiB of HTML', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/charset/meta`);
    expect(res.charset).toBeUndefined();
    expect(await res.text()).toContain('\u201chi\u201d \u20ac');
  });

  test('an unknown charset falls back to UTF-8', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/charset/wrong`);
    expect(res.charset).toBe('no-such-charset');
    expect(await res.text()).toBe('plain ascii, é in utf-8');
  });

  test('none named: UTF-8', async () => {
    await using session = new ClientSession();
    expect(await (await session.get(`${site.url}/charset/missing`)).text()).toBe('naïve café ✓');
  });
});

describe('maxBodyBytes', () => {
  test('a body announced at 5 GiB is refused at once, nothing buffered', async () => {
    await using session = new ClientSession({ maxBodyBytes: 1024 * 1024, limit: 1 });
    const res = await session.get(`${site.url}/huge`);
    expect(res.status).toBe(200);
    const e = await res.bytes().catch((x: unknown) => x);
    expect(BodyTooLarge.is(e)).toBe(true);
    expect(e).toMatchObject({ limit: 1024 * 1024, size: 5 * 1024 ** 3 });
    expect((e as Error).message).toMatch(/announces 5368709120 bytes/);
    expect(await (await session.get(`${site.url}/echo`)).text()).toMatch(/GET/);
  });

  test('a chunked body is stopped where it crosses the limit', async () => {
    await using session = new ClientSession({ limit: 1 });
    const res = await session.get(`${site.url}/huge?chunked`, { maxBodyBytes: 200_000 });
    const e = await res.text().catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'BodyTooLarge', limit: 200_000 });
    expect((e as BodyTooLarge).size).toBeGreaterThan(200_000);
    expect((e as BodyTooLarge).size).toBeLessThan(200_000 + 128 * 1024);
    expect(await (await session.get(`${site.url}/echo`)).text()).toMatch(/GET/);
  });

  test('applies to decompressed bytes (a zip bomb stops early)', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/encoded/gzip`, { maxBodyBytes: 1000 });
    await expect(res.text()).rejects.toMatchObject({ name: 'BodyTooLarge', limit: 1000 });
  });

  test('streaming stops at the limit too', async () => {
    await using session = new ClientSession();
    const res = await session.get(`${site.url}/huge?chunked`, { maxBodyBytes: 300_000 });
    let n = 0;
    const e = await (async () => {
      for await (const c of res.body) n += c.byteLength;
    })().catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'BodyTooLarge' });
    expect(n).toBeLessThanOrEqual(300_000);
  });
});
