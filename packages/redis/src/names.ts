/**
 * Names of queues, sets, groups, consumers and crawls, and the Redis keys made from them.
 * Every key of one queue (or one crawl) shares a `{hash tag}`, so a Lua script that touches
 * several of them works on Redis Cluster too.
 */
import { describe } from '@aiots/loop/lowlevel';
import { InvalidNameError } from './errors.ts';

const NAME = /^[A-Za-z0-9_.:\-/]{1,200}$/;

/**
 * Package-internal: checks a name that goes into Redis keys.
 *
 * @throws {TypeError} when `value` is not a string.
 * @throws {InvalidNameError} when it is empty, too long, or has another character.
 */
export function checkName(value: unknown, what: string, where: string): string {
  const expected = where === '' ? 'Expected' : `${where} expected`;
  if (typeof value !== 'string') {
    throw new TypeError(`${expected} \`${what}\` to be a string, got ${describe(value)}`);
  }
  if (!NAME.test(value)) {
    const why =
      value.length === 0
        ? 'it is empty'
        : value.length > 200
          ? `it has ${value.length} characters`
          : `"${[...value].find((c) => !NAME.test(c))}" is not allowed`;
    throw new InvalidNameError(
      value,
      `${expected} \`${what}\` to be 1 to 200 letters, digits or _ . : - / (no spaces), got "${value}" (${why})`,
    );
  }
  return value;
}

/**
 * Checks a queue name, set name, group, consumer or crawl id before anything is opened (a
 * command line's usage check): the same rule the constructors apply.
 *
 * @param name The name to check.
 * @param what What to call it in the message (default `'name'`), such as `'--crawl-id'`.
 * @returns `name`, when it is valid.
 * @throws {InvalidNameError} when it is empty, over 200 characters, or has a character other
 *   than letters, digits and `_ . : - /`.
 * @throws {TypeError} when it is not a string.
 * @example
 * ```ts
 * import { validateName } from '@aiots/redis';
 * console.log(validateName('crawl-2024')); // crawl-2024
 * try {
 *   validateName('my crawl', '--crawl-id');
 * } catch (e) {
 *   console.log((e as Error).message); // Expected `--crawl-id` to be 1 to 200 letters, digits or _ . : - / (no spaces), got "my crawl" (" " is not allowed)
 * }
 * ```
 */
export function validateName(name: string, what = 'name'): string {
  return checkName(name, what, '');
}

/** Package-internal: the keys of one queue. */
export interface QueueKeys {
  /** The work stream. */
  readonly stream: string;
  /** The dead-letter stream. */
  readonly dead: string;
  /** A hash: the group that serves the stream. */
  readonly meta: string;
}

/** Package-internal: the keys of queue `name`. */
export function queueKeys(name: string): QueueKeys {
  const base = `aiots:queue:{${name}}`;
  return { stream: base, dead: `${base}:dead`, meta: `${base}:meta` };
}

/** Package-internal: the keys of crawl `id`. */
export interface CrawlKeys extends QueueKeys {
  /** The set of every URL claimed. */
  readonly seen: string;
  /** A sorted set: busy workers, scored by when their lease ends (server time, ms). */
  readonly busy: string;
}

/** Package-internal: the keys of crawl `id`. */
export function crawlKeys(id: string): CrawlKeys {
  const base = `aiots:crawl:{${id}}`;
  return {
    stream: `${base}:frontier`,
    dead: `${base}:dead`,
    meta: `${base}:meta`,
    seen: `${base}:seen`,
    busy: `${base}:busy`,
  };
}

/** Package-internal: the key of set `name`. */
export function setKey(name: string): string {
  return `aiots:set:{${name}}`;
}
