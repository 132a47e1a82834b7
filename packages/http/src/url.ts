/**
 * Request URLs: `baseUrl` joining, `params`, and the checks that make a bad URL an
 * `InvalidURL`. Internal.
 */
import { InvalidURL } from './errors.ts';
import { describe } from './validate.ts';

const HTTP: readonly string[] = ['http:', 'https:'];

/** What `params` may be. */
export type ParamsInit =
  | URLSearchParams
  | string
  | Record<
      string,
      | string
      | number
      | boolean
      | bigint
      | readonly (string | number | boolean | bigint)[]
      | undefined
      | null
    >
  | Iterable<readonly [string, string]>;

/** Params as a list of pairs (undefined when none). */
export function toPairs(init: unknown, where: string): [string, string][] | undefined {
  if (init === undefined || init === null) return undefined;
  if (typeof init === 'string') return [...new URLSearchParams(init)];
  if (init instanceof URLSearchParams) return [...init];
  if (typeof init !== 'object') {
    throw new TypeError(
      `${where} expected \`params\` to be an object, a URLSearchParams, a string or [name, value] pairs, got ${describe(init)}`,
    );
  }
  const out: [string, string][] = [];
  if (Symbol.iterator in init) {
    for (const pair of init as Iterable<unknown>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(
          `${where} expected \`params\` pairs of [name, value], got ${describe(pair)}`,
        );
      }
      out.push([String(pair[0]), String(pair[1])]);
    }
    return out;
  }
  for (const [k, v] of Object.entries(init)) {
    if (v === undefined || v === null) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      if (typeof x === 'object' || typeof x === 'function' || typeof x === 'symbol') {
        throw new TypeError(
          `${where} expected param \`${k}\` to be a string, number, boolean or an array of them, got ${describe(x)}`,
        );
      }
      out.push([k, String(x)]);
    }
  }
  return out;
}

/** The base URL given to a session, checked. */
export function toBase(base: unknown, where: string): URL | undefined {
  if (base === undefined || base === null) return undefined;
  if (typeof base !== 'string' && !(base instanceof URL)) {
    throw new TypeError(
      `${where} expected \`baseUrl\` to be a string or URL, got ${describe(base)}`,
    );
  }
  const u = URL.parse(String(base));
  if (u === null || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new InvalidURL(
      String(base),
      `Expected \`baseUrl\` to be an absolute http(s) URL, got ${describe(String(base))}`,
    );
  }
  return u;
}

/**
 * The absolute URL of a request: `url` on `base`, with `params` appended.
 *
 * @throws {InvalidURL} when the result is not an http(s) URL.
 * @throws {TypeError} when `url` is not a string or URL.
 */
export function buildUrl(
  url: unknown,
  base: URL | undefined,
  params: readonly (readonly [string, string])[] | undefined,
  schemes: readonly string[] = HTTP,
): URL {
  let u: URL | null;
  if (url instanceof URL) u = new URL(url.href);
  else if (typeof url === 'string') u = URL.parse(url, base?.href);
  else throw new TypeError(`Expected \`url\` to be a string or URL, got ${describe(url)}`);
  if (u === null || !schemes.includes(u.protocol)) {
    const want =
      schemes === HTTP
        ? 'an absolute http(s) URL'
        : `an absolute ${schemes.map((s) => s.slice(0, -1)).join('/')} URL`;
    throw new InvalidURL(
      String(url),
      `Expected ${want}${base === undefined ? '' : ` (or a path on baseUrl ${base.href})`}, got ${describe(String(url))}`,
    );
  }
  if (u.hostname === '')
    throw new InvalidURL(String(url), `Expected a URL with a host, got ${describe(String(url))}`);
  if (params !== undefined) for (const [k, v] of params) u.searchParams.append(k, v);
  return u;
}
