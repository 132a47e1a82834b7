/**
 * Links of an HTML document, found with htmlparser2 as the document streams in: the `href`
 * of every element (never text, comments or the insides of `<script>` and `<style>`),
 * entities decoded by the parser, resolved with WHATWG URL rules against the document's base.
 */
import { Parser } from 'htmlparser2';

/** HTML's ASCII whitespace: what surrounds a URL in an attribute and is not part of it. */
const EDGE_SPACE = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;

/** `href` resolved against `base` (a URL object: not parsed again per link), or undefined. */
function resolve(href: string, base: URL): URL | undefined {
  try {
    return new URL(href, base);
  } catch {
    return undefined;
  }
}

/**
 * Collects the distinct links of one HTML document fed to it in pieces. The document's base
 * is its first `<base href>` wherever it stands, as HTML has it, so hrefs are kept as written
 * (distinct ones only) and resolved at `end()`.
 */
export class LinkExtractor {
  readonly #parser: Parser;
  readonly #hrefs = new Set<string>();
  #base: string | undefined;

  constructor() {
    // onopentagname + onattribute rather than onopentag: the parser then builds no
    // attribute object per element. The first of two `href`s on one element counts, as in HTML.
    let tag = '';
    let hrefSeen = false;
    this.#parser = new Parser(
      {
        onopentagname: (name) => {
          tag = name;
          hrefSeen = false;
        },
        onattribute: (name, value) => {
          if (name !== 'href' || hrefSeen) return;
          hrefSeen = true;
          const href = value.replace(EDGE_SPACE, '');
          // The first <base href> sets the base; like any href it is also a link.
          if (tag === 'base' && this.#base === undefined) this.#base = href;
          this.#hrefs.add(href);
        },
      },
      { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
    );
  }

  /** Feeds the next piece of the document. */
  write(text: string): void {
    this.#parser.write(text);
  }

  /**
   * Ends the document and resolves its links.
   *
   * @param documentUrl The URL the document came from (after redirects).
   * @returns The distinct `http:`/`https:` links in `URL.href` form, in document order.
   */
  end(documentUrl: string): string[] {
    this.#parser.end();
    let base = URL.parse(documentUrl);
    if (base === null) return [];
    if (this.#base !== undefined) {
      // A `<base href>` that does not parse leaves the document's URL as the base.
      base = resolve(this.#base, base) ?? base;
    }
    const links = new Set<string>();
    for (const href of this.#hrefs) {
      const url = resolve(href, base);
      if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:')) {
        links.add(url.href);
      }
    }
    return [...links];
  }
}

/**
 * The links of an HTML document: every `href` attribute of any element (`<base>` included;
 * not in comments, scripts or text), entities decoded, surrounding whitespace stripped, resolved against the
 * first `<base href>` or else `documentUrl`, kept when `http:` or `https:`, in `URL.href`
 * form (fragment kept), each once, in document order.
 *
 * @param html The document.
 * @param documentUrl The URL it came from (after redirects).
 * @returns The distinct links.
 * @throws {TypeError} when `html` or `documentUrl` is not a string.
 * @example
 * ```ts
 * import { extractLinks } from '@aiots/crawler';
 * const html = `<base href="/docs/"><a href=" intro.html#top ">Intro</a>
 *   <!-- <a href="hidden.html"> --><a href="?a=1&amp;b=2">Q</a><a href="mailto:x@example.com">M</a>`;
 * console.log(extractLinks(html, 'https://example.com/index.html'));
 * // [
 * //   'https://example.com/docs/',
 * //   'https://example.com/docs/intro.html#top',
 * //   'https://example.com/docs/?a=1&b=2'
 * // ]
 * ```
 */
export function extractLinks(html: string, documentUrl: string): string[] {
  if (typeof html !== 'string') {
    throw new TypeError(`Expected \`html\` to be a string, got ${typeof html}`);
  }
  if (typeof documentUrl !== 'string') {
    throw new TypeError(`Expected \`documentUrl\` to be a string, got ${typeof documentUrl}`);
  }
  const extractor = new LinkExtractor();
  extractor.write(html);
  return extractor.end(documentUrl);
}
