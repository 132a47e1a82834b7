/**
 * Turns `json` or `data` into what undici sends, with the Content-Type it implies, and says
 * whether it can be sent again (for a redirect that keeps the body, or a retry). Internal.
 */
import { Readable } from 'node:stream';
import { describe } from './validate.ts';

/** What `data` may be. */
export type RequestData =
  | string
  | Uint8Array
  | ArrayBuffer
  | URLSearchParams
  | FormData
  | Blob
  | Record<string, string | number | boolean | readonly (string | number | boolean)[]>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array>;

type SendBody = string | Uint8Array | AsyncIterable<Uint8Array> | null;

/** A body ready to send: `make()` gives a fresh copy for every attempt when `replayable`. */
export interface EncodedBody {
  readonly contentType: string | undefined;
  readonly replayable: boolean;
  make(): SendBody;
}

const NO_BODY: EncodedBody = { contentType: undefined, replayable: true, make: () => null };

function fixed(body: string | Uint8Array, contentType: string | undefined): EncodedBody {
  return { contentType, replayable: true, make: () => body };
}

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function formDataLike(x: object): x is FormData {
  return (
    x instanceof FormData ||
    (typeof (x as FormData).append === 'function' &&
      typeof (x as FormData).entries === 'function' &&
      (x as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'FormData')
  );
}

/**
 * Multipart encoding through the platform's `Response`. The encoding is made once and kept,
 * so a redirect or retry sends the same bytes with the same boundary.
 */
function multipart(form: FormData): EncodedBody {
  // A FormData of another copy of undici is copied into the platform's own.
  let fd = form;
  if (!(form instanceof FormData)) {
    fd = new FormData();
    for (const [k, v] of (form as { entries(): Iterable<[string, string | Blob]> }).entries()) {
      if (typeof v === 'string') fd.append(k, v);
      else fd.append(k, v, (v as File).name);
    }
  }
  const encoded = new Response(fd);
  let bytes: Promise<Uint8Array> | undefined;
  async function* send(): AsyncIterable<Uint8Array> {
    bytes ??= encoded.bytes();
    yield await bytes;
  }
  return {
    contentType: encoded.headers.get('content-type') ?? undefined,
    replayable: true,
    make: send,
  };
}

/**
 * Encodes the body of a request. `json` wins over nothing; both at once is a TypeError.
 *
 * @throws {TypeError} for a `json` value JSON cannot serialize, or a `data` of a type that
 *   cannot be sent.
 */
export function encodeBody(
  json: unknown,
  hasJson: boolean,
  data: unknown,
  where: string,
): EncodedBody {
  if (hasJson) {
    if (data !== undefined && data !== null) {
      throw new TypeError(`${where} expected \`json\` or \`data\`, not both`);
    }
    let text: string | undefined;
    try {
      text = JSON.stringify(json);
    } catch (e) {
      throw new TypeError(
        `${where} expected \`json\` to be serializable to JSON, got ${describe(json)} (${(e as Error).message})`,
        { cause: e },
      );
    }
    if (text === undefined) {
      throw new TypeError(
        `${where} expected \`json\` to be serializable to JSON, got ${describe(json)}`,
      );
    }
    return fixed(text, 'application/json');
  }
  if (data === undefined || data === null) return NO_BODY;
  if (typeof data === 'string') return fixed(data, 'text/plain;charset=UTF-8');
  if (data instanceof Uint8Array) return fixed(data, 'application/octet-stream');
  if (data instanceof ArrayBuffer) return fixed(new Uint8Array(data), 'application/octet-stream');
  if (ArrayBuffer.isView(data)) {
    return fixed(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      'application/octet-stream',
    );
  }
  if (data instanceof URLSearchParams) {
    return fixed(data.toString(), 'application/x-www-form-urlencoded;charset=UTF-8');
  }
  if (typeof data === 'object' && formDataLike(data)) return multipart(data);
  if (data instanceof Blob) {
    return {
      contentType: data.type === '' ? 'application/octet-stream' : data.type,
      replayable: true,
      make: () => data.stream() as unknown as AsyncIterable<Uint8Array>,
    };
  }
  if (data instanceof Readable || (typeof data === 'object' && Symbol.asyncIterator in data)) {
    let used = false;
    return {
      contentType: 'application/octet-stream',
      replayable: false,
      make: () => {
        if (used) throw new TypeError(`${where}: the streamed \`data\` was already sent once`);
        used = true;
        return data as AsyncIterable<Uint8Array>;
      },
    };
  }
  if (typeof data === 'object' && Symbol.iterator in data) {
    const parts = [...(data as Iterable<Uint8Array>)].map((p) => {
      if (!(p instanceof Uint8Array)) {
        throw new TypeError(
          `${where} expected an iterable \`data\` to yield Uint8Arrays, got ${describe(p)}`,
        );
      }
      return p;
    });
    return fixed(Buffer.concat(parts), 'application/octet-stream');
  }
  if (typeof data === 'object' && isPlainObject(data)) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const x of v) params.append(k, String(x));
      else params.append(k, String(v));
    }
    return fixed(params.toString(), 'application/x-www-form-urlencoded;charset=UTF-8');
  }
  throw new TypeError(
    `${where} expected \`data\` to be a string, bytes, URLSearchParams, FormData, a Blob, a plain object or an async iterable, got ${describe(data)}`,
  );
}
