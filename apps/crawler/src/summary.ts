/** The counts of a crawl and its one-line summary. */

/** What a crawl did, as `crawl()` returns it and its last log line says. */
export interface CrawlSummary {
  /** Pages that answered with a status below 400. */
  readonly fetched: number;
  /** Pages that failed: an error status, a connection error, a timeout... */
  readonly failed: number;
  /** Failed pages by kind: the status (`'404'`) or the error (`'ECONNREFUSED'`, `'TIMEOUT'`...). */
  readonly errors: Readonly<Record<string, number>>;
  /** Distinct links found, page by page (a link found on two pages counts twice). */
  readonly links: number;
  /** Pages robots.txt did not allow. */
  readonly skipped: number;
  /** Pages cut at `maxPageBytes`. */
  readonly truncated: number;
  /** Wall time of the crawl. */
  readonly elapsedMs: number;
  /** `fetched` per second of `elapsedMs`. */
  readonly pagesPerSecond: number;
  /** True when the crawl was cancelled before it ended. */
  readonly interrupted: boolean;
}

/** The counters a crawl keeps as it goes. */
export class Tally {
  fetched = 0;
  links = 0;
  skipped = 0;
  truncated = 0;
  readonly #errors = new Map<string, number>();
  #failed = 0;

  /** Counts a failed page of `kind`. */
  error(kind: string): void {
    this.#failed++;
    this.#errors.set(kind, (this.#errors.get(kind) ?? 0) + 1);
  }

  /** Failed pages so far. */
  get errorCount(): number {
    return this.#failed;
  }

  /** The frozen summary, errors ordered from the most frequent kind. */
  summary(elapsedMs: number, interrupted: boolean): CrawlSummary {
    const errors: Record<string, number> = {};
    for (const [kind, n] of [...this.#errors].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))) {
      errors[kind] = n;
    }
    return Object.freeze({
      fetched: this.fetched,
      failed: this.#failed,
      errors: Object.freeze(errors),
      links: this.links,
      skipped: this.skipped,
      truncated: this.truncated,
      elapsedMs,
      pagesPerSecond: elapsedMs > 0 ? (this.fetched * 1000) / elapsedMs : 0,
      interrupted,
    });
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The summary as one line, the last line `aiots-crawl` logs.
 *
 * @param s A summary, as `crawl()` returns it.
 * @returns `Done: 12 pages fetched, 34 links found, 3 errors (404: 2, ECONNREFUSED: 1), in
 *   1.23 s (9.76 pages/s)` (`Interrupted:` when the crawl was cancelled).
 * @example
 * ```ts
 * import { formatSummary } from '@aiots/crawler';
 * const line = formatSummary({
 *   fetched: 12, failed: 3, errors: { '404': 2, ECONNREFUSED: 1 }, links: 34, skipped: 1,
 *   truncated: 0, elapsedMs: 1230, pagesPerSecond: 9.756, interrupted: false,
 * });
 * console.log(line);
 * // Done: 12 pages fetched, 34 links found, 3 errors (404: 2, ECONNREFUSED: 1), 1 skipped by robots.txt, in 1.23 s (9.76 pages/s)
 * ```
 */
export function formatSummary(s: CrawlSummary): string {
  const kinds = Object.entries(s.errors).map(([k, n]) => `${k}: ${n}`);
  const errors = `${s.failed} error${s.failed === 1 ? '' : 's'}${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}`;
  const parts = [
    `${s.fetched} page${s.fetched === 1 ? '' : 's'} fetched`,
    `${s.links} link${s.links === 1 ? '' : 's'} found`,
    errors,
  ];
  if (s.skipped > 0) parts.push(`${s.skipped} skipped by robots.txt`);
  if (s.truncated > 0) parts.push(`${s.truncated} cut at --max-page-bytes`);
  const seconds = (s.elapsedMs / 1000).toFixed(2);
  return `${s.interrupted ? 'Interrupted' : 'Done'}: ${parts.join(', ')}, in ${seconds} s (${s.pagesPerSecond.toFixed(2)} pages/s)`;
}
