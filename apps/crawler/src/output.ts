/**
 * The OUT file: truncated on open, a header for TSV, then each page's lines written in one
 * synchronous write, so that whatever stops the crawl (Ctrl-C included) leaves only whole
 * lines behind.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

/** How the results are written: `tsv` (`source_url<TAB>parsed_url`) or `jsonl`. */
export type OutputFormat = 'tsv' | 'jsonl';

/** An OUT that cannot be opened: reported as a usage error. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
}

/** Writes the results of a crawl to a file, or to stdout for `-`. */
export class ResultWriter {
  readonly #fd: number;
  readonly #own: boolean;
  readonly #format: OutputFormat;
  #closed = false;

  /** Opens (truncates) `path` and writes the header; `-` writes to stdout. */
  constructor(path: string, format: OutputFormat) {
    this.#format = format;
    if (path === '-') {
      this.#fd = 1;
      this.#own = false;
    } else {
      try {
        this.#fd = openSync(path, 'w');
      } catch (e) {
        throw new OutputError(`cannot write OUT '${path}': ${(e as Error).message}`, { cause: e });
      }
      this.#own = true;
    }
    if (format === 'tsv') this.#write('source_url\tparsed_url\n');
  }

  /** Writes one line per link of `source`, all in one write. */
  page(source: string, links: readonly string[]): void {
    let text = '';
    if (this.#format === 'tsv') {
      for (const link of links) text += `${source}\t${link}\n`;
    } else {
      for (const link of links) {
        text += `${JSON.stringify({ source_url: source, parsed_url: link })}\n`;
      }
    }
    this.#write(text);
  }

  /** Closes the file (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#own) closeSync(this.#fd);
  }

  #write(text: string): void {
    const bytes = Buffer.from(text);
    let at = 0;
    while (at < bytes.byteLength) {
      try {
        at += writeSync(this.#fd, bytes, at);
      } catch (e) {
        // stdout may be a non-blocking pipe: wait for room rather than lose a line.
        if ((e as { code?: string }).code !== 'EAGAIN') throw e;
      }
    }
  }
}
