/**
 * How items become the strings a stream entry holds, and back.
 */
import { describe } from '@aiots/loop/lowlevel';
import { CodecError } from './errors.ts';

/**
 * Turns items into strings and back. `decode(encode(x))` must give back an equal item.
 *
 * @example
 * ```ts
 * import type { Codec } from '@aiots/redis';
 * const dateCodec: Codec<Date> = {
 *   encode: (d) => d.toISOString(),
 *   decode: (s) => new Date(s),
 * };
 * console.log(dateCodec.decode(dateCodec.encode(new Date(0))).getTime()); // 0
 * ```
 */
export interface Codec<T> {
  /** The item as a string; throws when it cannot be encoded. */
  encode(item: T): string;
  /** The item back from what `encode` made. */
  decode(data: string): T;
}

/**
 * The default codec: `JSON.stringify` and `JSON.parse`. An item JSON cannot encode (a
 * `BigInt`, a cycle, `undefined`, a function) throws `CodecError`. Mind what JSON changes on
 * the way: a `Date` comes back as a string, a `Map` as `{}`, `NaN` as `null`.
 *
 * @example
 * ```ts
 * import { jsonCodec } from '@aiots/redis';
 * console.log(jsonCodec.decode(jsonCodec.encode({ id: 1, tags: ['a'] }))); // { id: 1, tags: ['a'] }
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: a codec for any JSON value, typed by the queue
export const jsonCodec: Codec<any> = Object.freeze({
  encode(item: unknown): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(item);
    } catch (e) {
      throw new CodecError(
        `jsonCodec expected an item JSON can encode, got ${describe(item)}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    if (text === undefined) {
      throw new CodecError(`jsonCodec expected an item JSON can encode, got ${describe(item)}`);
    }
    return text;
  },
  decode(data: string): unknown {
    return JSON.parse(data);
  },
});

/** Package-internal: `codec.encode(item)`, its failures as `CodecError`. */
export function encodeWith<T>(codec: Codec<T>, item: T, where: string): string {
  let data: unknown;
  try {
    data = codec.encode(item);
  } catch (e) {
    if (CodecError.is(e)) throw e;
    throw new CodecError(`${where}: the codec could not encode ${describe(item)}: ${String(e)}`, {
      cause: e,
    });
  }
  if (typeof data !== 'string') {
    throw new CodecError(
      `${where}: expected the codec to encode ${describe(item)} as a string, got ${describe(data)}`,
    );
  }
  return data;
}

/** Package-internal: `codec.decode(data)`, its failures as `CodecError`. */
export function decodeWith<T>(codec: Codec<T>, data: string, id: string): T {
  try {
    return codec.decode(data);
  } catch (e) {
    throw new CodecError(
      `the codec could not decode entry ${id} (${describe(data)}): ${String(e)}; it went to the dead letters`,
      { cause: e },
    );
  }
}

/** Package-internal: checks a `codec` option. */
export function checkCodec<T>(codec: unknown, where: string): Codec<T> {
  if (
    typeof codec !== 'object' ||
    codec === null ||
    typeof (codec as Codec<T>).encode !== 'function' ||
    typeof (codec as Codec<T>).decode !== 'function'
  ) {
    throw new TypeError(
      `${where} expected \`codec\` to be an object with encode() and decode(), got ${describe(codec)}`,
    );
  }
  return codec as Codec<T>;
}
