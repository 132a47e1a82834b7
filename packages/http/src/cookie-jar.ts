/**
 * An in-memory cookie jar after RFC 6265: domain and path matching, host-only cookies,
 * `Secure`, `Expires` and `Max-Age`. Unlike aiohttp's default jar it keeps cookies from
 * IP-address hosts (as httpx and fetch do), host-only.
 */
import { isIP } from 'node:net';
import { parseCookie } from 'undici';
import { describe } from './validate.ts';

/** A cookie as the jar keeps it. */
export interface StoredCookie {
  readonly name: string;
  readonly value: string;
  /** The domain it was set for, lower-case, without a leading dot. */
  readonly domain: string;
  /** True when it goes back to exactly `domain` only (no `Domain` attribute was given). */
  readonly hostOnly: boolean;
  readonly path: string;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  /** Expiry in milliseconds since the epoch; undefined for a session cookie. */
  readonly expires: number | undefined;
}

interface Entry extends StoredCookie {
  readonly created: number;
}

function toUrl(url: string | URL, where: string): URL {
  if (url instanceof URL) return url;
  if (typeof url !== 'string') {
    throw new TypeError(`${where} expected \`url\` to be a string or URL, got ${describe(url)}`);
  }
  return new URL(url);
}

/** RFC 6265 5.1.4: the directory of the request path. */
function defaultPath(pathname: string): string {
  if (!pathname.startsWith('/')) return '/';
  const i = pathname.lastIndexOf('/');
  return i <= 0 ? '/' : pathname.slice(0, i);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function domainMatches(host: string, domain: string): boolean {
  if (host === domain) return true;
  return isIP(host) === 0 && host.endsWith(`.${domain}`);
}

function hostOf(url: URL): string {
  const h = url.hostname.toLowerCase();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/**
 * Cookies a session stores from `Set-Cookie` and sends back in `Cookie`. Every
 * `ClientSession` has one unless made with `cookieJar: null`; pass your own to share cookies
 * between sessions or to inspect them.
 *
 * @example
 * ```ts
 * import { CookieJar } from '@aiots/http';
 * const jar = new CookieJar();
 * jar.setCookie('sid=abc; Path=/; HttpOnly', 'http://127.0.0.1:8080/login');
 * console.log(jar.getCookieHeader('http://127.0.0.1:8080/home')); // sid=abc
 * console.log(jar.getCookieHeader('http://example.com/')); //
 * ```
 */
export class CookieJar {
  readonly #cookies = new Map<string, Entry>();
  #counter = 0;

  /** How many cookies the jar holds (expired ones included until next looked at). */
  get size(): number {
    return this.#cookies.size;
  }

  /**
   * Stores one `Set-Cookie` header value received from `url`.
   *
   * @param header The header value, such as `'id=1; Path=/; Max-Age=60'`.
   * @param url The URL of the response that carried it.
   * @returns True when stored (or deleted, by an expiry in the past); false when rejected (no
   *   name, a `Domain` the host is not in, a `Secure` cookie from plain http).
   * @throws {TypeError} when `header` is not a string or `url` not a URL.
   * @example
   * ```ts
   * import { CookieJar } from '@aiots/http';
   * const jar = new CookieJar();
   * console.log(jar.setCookie('a=1; Domain=other.org', 'http://example.com/')); // false
   * ```
   */
  setCookie(header: string, url: string | URL): boolean {
    if (typeof header !== 'string') {
      throw new TypeError(
        `setCookie() expected \`header\` to be a string, got ${describe(header)}`,
      );
    }
    const u = toUrl(url, 'setCookie()');
    const parsed = parseCookie(header);
    if (parsed === null || parsed.name === '') return false;
    const host = hostOf(u);
    let domain = host;
    let hostOnly = true;
    if (parsed.domain !== undefined && parsed.domain !== '') {
      const d = parsed.domain.toLowerCase().replace(/^\./, '');
      if (!domainMatches(host, d)) return false;
      // A bare top-level label (`Domain=com`) is refused unless it is the host itself.
      if (!d.includes('.') && d !== host) return false;
      domain = d;
      // An IP host matched only itself above; its cookies stay host-only.
      hostOnly = isIP(host) !== 0;
    }
    const secure = parsed.secure === true;
    if (secure && u.protocol !== 'https:' && u.protocol !== 'wss:') return false;
    const path = parsed.path?.startsWith('/') ? parsed.path : defaultPath(u.pathname);
    let expires: number | undefined;
    if (parsed.maxAge !== undefined) {
      expires = parsed.maxAge <= 0 ? 0 : Date.now() + parsed.maxAge * 1000;
    } else if (parsed.expires !== undefined) {
      expires = typeof parsed.expires === 'number' ? parsed.expires : parsed.expires.getTime();
    }
    const key = `${domain};${path};${parsed.name}`;
    if (expires !== undefined && expires <= Date.now()) {
      this.#cookies.delete(key);
      return true;
    }
    const old = this.#cookies.get(key);
    this.#cookies.set(key, {
      name: parsed.name,
      value: parsed.value,
      domain,
      hostOnly,
      path,
      secure,
      httpOnly: parsed.httpOnly === true,
      expires,
      created: old?.created ?? this.#counter++,
    });
    return true;
  }

  /**
   * The cookies that go with a request to `url`: longest path first, then oldest first.
   *
   * @param url The request URL.
   * @returns The matching cookies; expired ones are dropped from the jar.
   * @throws {TypeError} when `url` is not a string or URL.
   * @example
   * ```ts
   * import { CookieJar } from '@aiots/http';
   * const jar = new CookieJar();
   * jar.setCookie('a=1; Path=/docs', 'https://example.com/');
   * console.log(jar.getCookies('https://example.com/docs/x').map((c) => c.name)); // [ 'a' ]
   * ```
   */
  getCookies(url: string | URL): StoredCookie[] {
    const u = toUrl(url, 'getCookies()');
    if (this.#cookies.size === 0) return [];
    const host = hostOf(u);
    const secure = u.protocol === 'https:' || u.protocol === 'wss:';
    const now = Date.now();
    const out: Entry[] = [];
    for (const [key, c] of this.#cookies) {
      if (c.expires !== undefined && c.expires <= now) {
        this.#cookies.delete(key);
        continue;
      }
      if (c.hostOnly ? host !== c.domain : !domainMatches(host, c.domain)) continue;
      if (!pathMatches(u.pathname || '/', c.path)) continue;
      if (c.secure && !secure) continue;
      out.push(c);
    }
    out.sort((a, b) => b.path.length - a.path.length || a.created - b.created);
    return out;
  }

  /**
   * The `Cookie` header value for a request to `url`, or `''` when no cookie matches.
   *
   * @param url The request URL.
   * @returns `name=value` pairs joined by `; `.
   * @throws {TypeError} when `url` is not a string or URL.
   * @example
   * ```ts
   * import { CookieJar } from '@aiots/http';
   * const jar = new CookieJar();
   * jar.setCookie('a=1', 'http://[::1]:8080/');
   * console.log(jar.getCookieHeader('http://[::1]:8080/')); // a=1
   * ```
   */
  getCookieHeader(url: string | URL): string {
    if (this.#cookies.size === 0) {
      toUrl(url, 'getCookieHeader()');
      return '';
    }
    return this.getCookies(url)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /**
   * Forgets every cookie, or those of one domain.
   *
   * @param domain Only the cookies set for this domain (lower-case, no leading dot).
   * @example
   * ```ts
   * import { CookieJar } from '@aiots/http';
   * const jar = new CookieJar();
   * jar.setCookie('a=1', 'http://example.com/');
   * jar.clear();
   * console.log(jar.size); // 0
   * ```
   */
  clear(domain?: string): void {
    if (domain === undefined) {
      this.#cookies.clear();
      return;
    }
    const d = domain.toLowerCase().replace(/^\./, '');
    for (const [key, c] of this.#cookies) if (c.domain === d) this.#cookies.delete(key);
  }

  /** Every cookie in the jar, expired ones excepted. */
  *[Symbol.iterator](): IterableIterator<StoredCookie> {
    const now = Date.now();
    for (const c of this.#cookies.values()) {
      if (c.expires === undefined || c.expires > now) yield c;
    }
  }
}
