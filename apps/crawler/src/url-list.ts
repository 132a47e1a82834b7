/**
 * The URL list of the command: one URL a line, from a file or stdin; blank lines and `#`
 * comments skipped, a line that is not an http(s) URL reported with its (1-based) number.
 */
import { open } from 'node:fs/promises';
import { createInterface, type Interface } from 'node:readline';
import { bridge } from '@aiots/loop/lowlevel';
import { parseHttpUrl } from './validate.ts';

/** A URL list that cannot be read: reported as a usage error. */
export class UrlListError extends Error {
  override readonly name = 'UrlListError';
}

/**
 * Reads the URLs of `path` (`-` for stdin), a cancellation point.
 *
 * @param onInvalid Told of each line that is not an http(s) URL: its number and text.
 * @returns The valid lines, trimmed, in order (duplicates included).
 * @throws {UrlListError} when the file cannot be opened.
 */
export async function readUrlList(
  path: string,
  onInvalid: (line: number, text: string) => void,
): Promise<string[]> {
  let lines: Interface;
  if (path === '-') {
    lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  } else {
    let file: Awaited<ReturnType<typeof open>>;
    try {
      file = await open(path, 'r');
      if ((await file.stat()).isDirectory()) {
        await file.close();
        throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
      }
    } catch (e) {
      const code = (e as { code?: string }).code;
      const why =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EISDIR'
            ? 'it is a directory'
            : code === 'EACCES'
              ? 'permission denied'
              : (e as Error).message;
      throw new UrlListError(`cannot read URLS_FILE '${path}': ${why}`, { cause: e });
    }
    lines = createInterface({
      input: file.createReadStream(),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
  }
  const urls: string[] = [];
  // readline is Node's own: bridge() ties it to this task, so a cancel stops the read.
  await bridge(async (signal) => {
    const stop = (): void => lines.close();
    signal.addEventListener('abort', stop, { once: true });
    try {
      let n = 0;
      for await (const raw of lines) {
        n++;
        const text = raw.trim();
        if (text === '' || text.startsWith('#')) continue;
        if (parseHttpUrl(text) === undefined) onInvalid(n, text);
        else urls.push(text);
      }
      signal.throwIfAborted();
    } finally {
      signal.removeEventListener('abort', stop);
      lines.close();
    }
  });
  return urls;
}
