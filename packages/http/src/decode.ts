/**
 * Decoders for `Content-Encoding`: gzip (and x-gzip), deflate (zlib-wrapped or raw, as
 * servers send both), br, and zstd where `node:zlib` has it. Internal.
 */
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';

type ZstdFactory = () => Transform;
const createZstd = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;

/** True when this Node can decode zstd bodies. */
export const HAS_ZSTD = typeof createZstd === 'function';

/** The Accept-Encoding a session sends unless told otherwise. */
export const ACCEPT_ENCODING = HAS_ZSTD ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br';

/** The codings of a Content-Encoding value, in the order they were applied. */
export function parseCodings(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const raw = Array.isArray(header) ? header.join(',') : header;
  const out: string[] = [];
  for (const part of raw.split(',')) {
    const c = part.trim().toLowerCase();
    if (c !== '' && c !== 'identity') out.push(c);
  }
  return out;
}

/** True when every coding in `codings` can be decoded here. */
export function canDecode(codings: readonly string[]): boolean {
  return codings.every(
    (c) =>
      c === 'gzip' || c === 'x-gzip' || c === 'deflate' || c === 'br' || (c === 'zstd' && HAS_ZSTD),
  );
}

const FLUSH = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };

/**
 * A decoder for one coding. For `deflate` the first bytes decide between the zlib wrapper
 * (RFC 1950, what the RFC means) and raw deflate (what some servers send).
 */
export function createDecoder(coding: string, first: Uint8Array): Transform {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      // Lenient flush, as curl and browsers: a body cut after complete blocks still decodes
      // what arrived; a corrupt one errors.
      return zlib.createGunzip(FLUSH);
    case 'deflate': {
      const b0 = first[0] ?? 0;
      const b1 = first[1] ?? 0;
      const wrapped = (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
      return wrapped ? zlib.createInflate(FLUSH) : zlib.createInflateRaw(FLUSH);
    }
    case 'br':
      return zlib.createBrotliDecompress();
    case 'zstd':
      return (createZstd as ZstdFactory)();
    default:
      throw new TypeError(`no decoder for content coding ${coding}`);
  }
}
