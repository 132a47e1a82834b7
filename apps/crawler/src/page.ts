/**
 * One page: the request, and its body streamed through a decoder into the link extractor,
 * at most `maxPageBytes` of it.
 */
import { TextDecoder } from 'node:util';
import type { ClientResponse, ClientSession } from '@aiots/http';
import { CancelledError } from '@aiots/loop';
import { errorFailure, type Failure, statusFailure } from './failure.ts';
import { LinkExtractor } from './links.ts';

/** What fetching a page gave. */
export type PageResult =
  | {
      readonly ok: true;
      readonly url: string;
      readonly links: string[];
      readonly truncated: boolean;
    }
  | { readonly ok: false; readonly failure: Failure };

/** How pages are fetched. */
export interface PageSettings {
  readonly session: ClientSession;
  readonly maxPageBytes: number;
}

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

const META_CHARSET = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i;

function usable(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return undefined;
  }
}

/** The charset of `Content-Type`, else of a `<meta>` in the first KiB, else UTF-8. */
function charsetOf(res: ClientResponse, first: Uint8Array): string {
  const declared = usable(res.charset);
  if (declared !== undefined) return declared;
  const head = Buffer.from(first.buffer, first.byteOffset, Math.min(first.byteLength, 1024));
  return usable(META_CHARSET.exec(head.toString('latin1'))?.[1]) ?? 'utf-8';
}

/**
 * Fetches `url` and extracts its links when it is HTML; `onResponse` hears the status as
 * soon as the headers are in. Failures come back as results; only a cancel throws.
 */
export async function fetchPage(
  url: string,
  settings: PageSettings,
  onResponse: (status: number) => void,
): Promise<PageResult> {
  let res: ClientResponse;
  try {
    res = await settings.session.get(url);
  } catch (e) {
    if (CancelledError.is(e)) throw e;
    return { ok: false, failure: errorFailure(e) };
  }
  try {
    if (res.status >= 400) return { ok: false, failure: statusFailure(res.status, res.statusText) };
    onResponse(res.status);
    if (!HTML_TYPES.has(res.contentType))
      return { ok: true, url: res.url, links: [], truncated: false };
    const extractor = new LinkExtractor();
    let decoder: TextDecoder | undefined;
    let bytes = 0;
    let truncated = false;
    for await (const chunk of res.body) {
      decoder ??= new TextDecoder(charsetOf(res, chunk));
      const room = settings.maxPageBytes - bytes;
      if (chunk.byteLength > room) {
        extractor.write(decoder.decode(chunk.subarray(0, room), { stream: true }));
        truncated = true;
        break; // leaving the loop aborts the rest of the body
      }
      bytes += chunk.byteLength;
      extractor.write(decoder.decode(chunk, { stream: true }));
    }
    if (decoder !== undefined) extractor.write(decoder.decode());
    return { ok: true, url: res.url, links: extractor.end(res.url), truncated };
  } catch (e) {
    if (CancelledError.is(e)) throw e;
    return { ok: false, failure: errorFailure(e) };
  } finally {
    res.release();
  }
}
