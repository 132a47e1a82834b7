/**
 * The OUT file: truncated on open, a header for TSV, then each page's lines. Lines are
 * gathered and written synchronously once per turn of the event loop (one system call for
 * all the pages that finished in it), and at `close()`; only whole lines are ever written, so
 * whatever stops the crawl (Ctrl-C included) leaves only whole lines behind. With
 * `immediate`, each page's lines are written at once (one system call per page): once
 * `page()` returns they are in the file even if the process is then killed, as a crawl
 * shared with other processes needs before it marks the page done.
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
  #pending = '';
  #scheduled = false;
  #error: unknown;

  readonly #immediate: boolean;

  /** Opens (truncates) `path` and writes the header; `-` writes to stdout. */
  constructor(path: string, format: OutputFormat, opts: { immediate?: boolean } = {}) {
    this.#format = format;
    this.#immediate = opts.immediate === true;
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

  /** Writes one line per link of `source` (at the end of this turn of the event loop). */
  page(source: string, links: readonly string[]): void {
    if (this.#error !== undefined) throw this.#error;
    let text = '';
    if (this.#format === 'tsv') {
      for (const link of links) text += `${source}\t${link}\n`;
    } else {
      for (const link of links) {
        text += `${JSON.stringify({ source_url: source, parsed_url: link })}\n`;
      }
    }
    this.#pending += text;
    if (this.#immediate || this.#pending.length > 256 * 1024) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        try {
          this.#flush();
        } catch (e) {
          this.#error = e; // reported by the next page() or close()
        }
      });
    }
  }

  /** Writes what is pending and closes the file (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#flush();
    } finally {
      if (this.#own) closeSync(this.#fd);
    }
    if (this.#error !== undefined) throw this.#error;
  }

  #flush(): void {
    if (this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    this.#write(text);
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
