/**
 * Which character set a body is in, as browsers and aiohttp decide it: a byte order mark,
 * then the `charset` of `Content-Type`, then a `<meta charset>` (or `http-equiv`) in the
 * first 1 KiB of an HTML document, else UTF-8. A label that TextDecoder does not know falls
 * back to UTF-8. Internal.
 */

/** The media type of a Content-Type value, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(';');
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** The `charset` parameter of a Content-Type value, lower-cased, or undefined. */
export function charsetParam(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const m = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const value = (m?.[1] ?? m?.[2])?.trim().toLowerCase();
  return value === undefined || value === '' ? undefined : value;
}

const META_CHARSET = /<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)/i;

/** The charset a `<meta>` tag in the first 1 KiB of `bytes` declares, or undefined. */
export function metaCharset(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024));
  const m = META_CHARSET.exec(head.toString('latin1'));
  return m?.[1]?.toLowerCase();
}

function bomCharset(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  return undefined;
}

function isHtml(type: string | undefined): boolean {
  return type === 'text/html' || type === 'application/xhtml+xml';
}

/** True when TextDecoder knows `label`. */
export function knownCharset(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

/** The charset to decode `bytes` with, given the response's Content-Type. */
export function detectCharset(contentType: string | undefined, bytes: Uint8Array): string {
  const bom = bomCharset(bytes);
  if (bom !== undefined) return bom;
  const declared = charsetParam(contentType);
  if (declared !== undefined && knownCharset(declared)) return declared;
  if (isHtml(mediaType(contentType))) {
    const meta = metaCharset(bytes);
    if (meta !== undefined && knownCharset(meta)) return meta;
  }
  return 'utf-8';
}

/** Decodes `bytes` as `charset`; malformed sequences become U+FFFD, as browsers do. */
export function decodeText(bytes: Uint8Array, charset: string): string {
  if (charset === 'utf-8' || charset === 'utf8') {
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // A UTF-8 BOM is not part of the text (TextDecoder drops it too).
    return buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf
      ? buf.toString('utf8', 3)
      : buf.toString('utf8');
  }
  return new TextDecoder(charset).decode(bytes);
}
