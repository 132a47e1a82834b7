/**
 * The crawl's log on stderr, one line each, in the seed's format
 * (`%(asctime)s %(levelname)s:%(name)s: %(message)s` with `datefmt="%H:%M:%S"`):
 * `12:34:56 INFO:aiots-crawl: Got response [200] for URL: ...`. On a terminal a progress bar
 * (cli-progress) stands in for the INFO lines, with warnings and errors printed above it.
 */
import cliProgress from 'cli-progress';

/** Where and how the crawl logs. */
export interface CrawlLogOptions {
  /** Where the lines go (default `process.stderr`). */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Only errors and the summary. */
  readonly quiet?: boolean;
  /** A progress bar instead of INFO lines; default: when `stream` is a terminal. */
  readonly progress?: boolean;
  /** The logger name in each line (default `aiots-crawl`). */
  readonly name?: string;
}

type Level = 'INFO' | 'WARNING' | 'ERROR';

const pad = (n: number): string => String(n).padStart(2, '0');

/** `HH:MM:SS`, local time, as Python's `%H:%M:%S`. */
function clock(): string {
  const d = new Date();
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The crawl's log lines and progress bar. */
export class CrawlLog {
  readonly #stream: NodeJS.WritableStream;
  readonly #quiet: boolean;
  readonly #name: string;
  #bars: cliProgress.MultiBar | undefined;
  #bar: cliProgress.SingleBar | undefined;
  #pending = '';
  #scheduled = false;

  constructor(opts: CrawlLogOptions = {}) {
    const stream = opts.stream ?? process.stderr;
    this.#stream = stream;
    this.#quiet = opts.quiet === true;
    this.#name = opts.name ?? 'aiots-crawl';
    const progress = opts.progress ?? (stream as { isTTY?: boolean }).isTTY === true;
    if (progress) {
      this.#bars = new cliProgress.MultiBar(
        {
          stream: stream as NodeJS.WriteStream,
          format:
            ' {bar} {value}/{total} pages | {links} links | {errors} errors | {rate} pages/s | {duration_formatted}',
          hideCursor: true,
          clearOnComplete: true,
          stopOnComplete: false,
          gracefulExit: false, // Ctrl-C is the crawl's to handle
          etaBuffer: 50,
          // Draw on any stream we were told to: the caller decided this is a terminal.
          noTTYOutput: true,
          notTTYSchedule: 200,
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  /** True when a progress bar is shown (INFO lines are not). */
  get hasProgress(): boolean {
    return this.#bars !== undefined;
  }

  /** An INFO line (hidden by `quiet` and while a progress bar is shown). */
  info(message: string): void {
    if (this.#quiet || this.#bars !== undefined) return;
    this.#write('INFO', message);
  }

  /** A WARNING line (hidden by `quiet`; shown above a progress bar). */
  warning(message: string): void {
    if (this.#quiet) return;
    this.#write('WARNING', message);
  }

  /** An ERROR line. */
  error(message: string): void {
    this.#write('ERROR', message);
  }

  /** The summary: an INFO line shown even when `quiet`, after the bar is gone. */
  summary(message: string): void {
    this.stopProgress();
    this.#write('INFO', message);
    this.flush();
  }

  /** Moves the bar: `done` of `total` pages known so far. */
  progress(done: number, total: number, links: number, errors: number, elapsedMs: number): void {
    const bars = this.#bars;
    if (bars === undefined) return;
    const rate = elapsedMs > 0 ? ((done * 1000) / elapsedMs).toFixed(1) : '0.0';
    if (this.#bar === undefined) {
      this.flush();
      this.#bar = bars.create(Math.max(total, 1), done, { links, errors, rate });
    } else {
      this.#bar.setTotal(Math.max(total, 1));
      this.#bar.update(done, { links, errors, rate });
    }
  }

  /** Removes the progress bar (idempotent). */
  stopProgress(): void {
    this.flush();
    // The bar prints logged lines when it redraws: draw once more so none is left behind.
    if (this.#bar !== undefined) this.#bars?.update();
    this.#bars?.stop();
    this.#bars = undefined;
    this.#bar = undefined;
  }

  #write(level: Level, message: string): void {
    const line = `${clock()} ${level}:${this.#name}: ${message}\n`;
    if (this.#bars !== undefined && this.#bar !== undefined) {
      this.#bars.log(line);
      return;
    }
    // Lines logged in one turn of the event loop go out in one write.
    this.#pending += line;
    if (this.#pending.length > 64 * 1024) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  /** Writes the lines not written yet. */
  flush(): void {
    if (this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    this.#stream.write(text);
  }
}
