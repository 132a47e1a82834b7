/**
 * Request headers: validation and merging of what a session and a request give, kept as a
 * map from the lower-case name to `[name as given, value]`. Internal.
 */
import { describe } from './validate.ts';

/** What `headers` may be. */
export type HeadersInit =
  | Headers
  | Record<string, string | number | readonly string[] | undefined | null>
  | Iterable<readonly [string, string]>;

/** Lower-case name to [name as given, value]. */
export type HeaderMap = Map<string, readonly [string, string]>;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;

function check(name: unknown, value: unknown, where: string): [string, string] {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new TypeError(
      `${where} expected a header name to be an HTTP token, got ${describe(name)}`,
    );
  }
  let v: string;
  if (typeof value === 'string') v = value;
  else if (typeof value === 'number' && Number.isFinite(value)) v = String(value);
  else {
    throw new TypeError(
      `${where} expected header \`${name}\` to be a string, got ${describe(value)}`,
    );
  }
  if (BAD_VALUE.test(v)) {
    throw new TypeError(
      `${where} expected header \`${name}\` to have no CR, LF or NUL character, got ${describe(v)}`,
    );
  }
  return [name, v.trim()];
}

/** Adds `init` to `into` (a later name replaces an earlier one, case-insensitively). */
export function addHeaders(into: HeaderMap, init: unknown, where: string): HeaderMap {
  if (init === undefined || init === null) return into;
  if (typeof init !== 'object') {
    throw new TypeError(
      `${where} expected \`headers\` to be an object, a Headers or [name, value] pairs, got ${describe(init)}`,
    );
  }
  const set = (name: unknown, value: unknown) => {
    if (value === undefined || value === null) {
      if (typeof name === 'string') into.delete(name.toLowerCase());
      return;
    }
    if (Array.isArray(value)) {
      const parts = value.map((x) => check(name, x, where)[1]);
      const n = check(name, parts[0] ?? '', where)[0];
      into.set(n.toLowerCase(), [n, parts.join(n.toLowerCase() === 'cookie' ? '; ' : ', ')]);
      return;
    }
    const [n, v] = check(name, value, where);
    into.set(n.toLowerCase(), [n, v]);
  };
  if (init instanceof Headers) {
    for (const [k, v] of init) set(k, v);
  } else if (Symbol.iterator in init) {
    for (const pair of init as Iterable<unknown>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(
          `${where} expected \`headers\` pairs of [name, value], got ${describe(pair)}`,
        );
      }
      set(pair[0], pair[1]);
    }
  } else {
    for (const k of Object.keys(init)) set(k, (init as Record<string, unknown>)[k]);
  }
  return into;
}

/** The flat [name, value, ...] list undici takes. */
export function flatten(map: HeaderMap): string[] {
  const out: string[] = [];
  for (const [name, value] of map.values()) out.push(name, value);
  return out;
}

/** A `Headers` of a response's raw headers (names lower-case, repeated values as arrays). */
export function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const h = new Headers();
  for (const k of Object.keys(raw)) {
    const v = raw[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) h.append(k, x);
    else h.append(k, v);
  }
  return h;
}
