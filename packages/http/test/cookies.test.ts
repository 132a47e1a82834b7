/**
 * The cookie jar: RFC 6265 matching on its own, and a session that stores Set-Cookie and
 * sends Cookie back, IP hosts included, across redirects.
 */
import { ClientSession, CookieJar } from '@aiots/http';
import { type HostileServer, startHostileServer } from '@aiots/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let site: HostileServer;
beforeAll(async () => {
  site = await startHostileServer();
});
afterAll(() => site.close());

describe('CookieJar', () => {
  test('host-only cookies go back to their host only', () => {
    const jar = new CookieJar();
    expect(jar.setCookie('a=1', 'http://example.com/')).toBe(true);
    expect(jar.getCookieHeader('http://example.com/x')).toBe('a=1');
    expect(jar.getCookieHeader('http://www.example.com/')).toBe('');
  });

  test('Domain cookies go to subdomains; a foreign or bare-TLD Domain is refused', () => {
    const jar = new CookieJar();
    expect(jar.setCookie('a=1; Domain=.example.com', 'http://www.example.com/')).toBe(true);
    expect(jar.getCookieHeader('http://api.example.com/')).toBe('a=1');
    expect(jar.getCookieHeader('http://example.com/')).toBe('a=1');
    expect(jar.setCookie('b=1; Domain=other.com', 'http://example.com/')).toBe(false);
    expect(jar.setCookie('c=1; Domain=com', 'http://example.com/')).toBe(false);
  });

  test('IP hosts are accepted, host-only', () => {
    const jar = new CookieJar();
    expect(jar.setCookie('a=1', 'http://127.0.0.1:8080/')).toBe(true);
    expect(jar.setCookie('b=2; Domain=127.0.0.1', 'http://127.0.0.1/')).toBe(true);
    expect(jar.getCookieHeader('http://127.0.0.1:9999/')).toBe('a=1; b=2');
    expect(jar.getCookieHeader('http://127.0.0.2/')).toBe('');
    expect(jar.setCookie('c=3', 'http://[::1]:80/')).toBe(true);
    expect(jar.getCookieHeader('http://[::1]/')).toBe('c=3');
  });

  test('paths: default path, longest first', () => {
    const jar = new CookieJar();
    jar.setCookie('a=1; Path=/', 'http://h.test/');
    jar.setCookie('b=2', 'http://h.test/docs/page');
    jar.setCookie('c=3; Path=/docs/deep', 'http://h.test/');
    expect(jar.getCookieHeader('http://h.test/docs/deep/x')).toBe('c=3; b=2; a=1');
    expect(jar.getCookieHeader('http://h.test/docsx')).toBe('a=1');
  });

  test('Secure only over https, and only set from https', () => {
    const jar = new CookieJar();
    expect(jar.setCookie('s=1; Secure', 'http://h.test/')).toBe(false);
    expect(jar.setCookie('s=1; Secure', 'https://h.test/')).toBe(true);
    expect(jar.getCookieHeader('http://h.test/')).toBe('');
    expect(jar.getCookieHeader('https://h.test/')).toBe('s=1');
  });

  test('Max-Age and Expires; a past expiry deletes', () => {
    const jar = new CookieJar();
    jar.setCookie('a=1; Max-Age=100', 'http://h.test/');
    jar.setCookie('b=2; Expires=Wed, 21 Oct 2099 07:28:00 GMT', 'http://h.test/');
    expect(jar.getCookieHeader('http://h.test/')).toBe('a=1; b=2');
    jar.setCookie('a=1; Max-Age=0', 'http://h.test/');
    jar.setCookie('b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'http://h.test/');
    expect(jar.getCookieHeader('http://h.test/')).toBe('');
    expect(jar.size).toBe(0);
  });

  test('replacing a cookie, clear(), iteration', () => {
    const jar = new CookieJar();
    jar.setCookie('a=1', 'http://h.test/');
    jar.setCookie('a=2', 'http://h.test/');
    jar.setCookie('b=1', 'http://other.test/');
    expect([...jar].map((c) => `${c.domain}:${c.name}=${c.value}`)).toEqual([
      'h.test:a=2',
      'other.test:b=1',
    ]);
    jar.clear('other.test');
    expect(jar.size).toBe(1);
    jar.clear();
    expect(jar.size).toBe(0);
  });

  test('bad input', () => {
    const jar = new CookieJar();
    expect(jar.setCookie('no-equals-sign', 'http://h.test/')).toBe(false);
    expect(() => jar.setCookie(1 as unknown as string, 'http://h.test/')).toThrow(TypeError);
    expect(() => jar.getCookieHeader(3 as unknown as string)).toThrow(
      /expected `url` to be a string or URL, got number 3/,
    );
  });
});

describe('a session with a jar', () => {
  test('stores Set-Cookie and sends it back to the IP host', async () => {
    await using session = new ClientSession();
    await (await session.get(`${site.url}/cookies/set?name=sid&value=abc&attrs=Path%3D%2F`)).text();
    expect(await (await session.get(`${site.url}/cookies/get`)).text()).toBe('sid=abc');
    expect(session.cookieJar?.size).toBe(1);
  });

  test('cookies set on a redirect hop are kept', async () => {
    await using session = new ClientSession();
    const setThenGet = `/cookies/set?name=hop&value=1&attrs=Path%3D%2F`;
    await (await session.get(`${site.url}${setThenGet}`)).text();
    const res = await session.get(`${site.url}/redirect?to=${encodeURIComponent('/cookies/get')}`);
    expect(await res.text()).toBe('hop=1');
  });

  test('a Cookie header of the caller is merged with the jar', async () => {
    await using session = new ClientSession();
    await (await session.get(`${site.url}/cookies/set?name=j&value=1&attrs=Path%3D%2F`)).text();
    const res = await session.get(`${site.url}/cookies/get`, { headers: { cookie: 'mine=2' } });
    expect(await res.text()).toBe('mine=2; j=1');
  });

  test('cookieJar: null keeps nothing', async () => {
    await using session = new ClientSession({ cookieJar: null });
    await (await session.get(`${site.url}/cookies/set?name=x&value=1`)).text();
    expect(await (await session.get(`${site.url}/cookies/get`)).text()).toBe('');
  });
});
