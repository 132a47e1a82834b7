/**
 * A site of `pages` pages for the distributed-crawl tests, on node:http (loopback, port 0),
 * shaped as bench/crawl-site.mjs: page n at /p/n links to its children 10n+1 .. 10n+10, to
 * its parent and to /p/0. Every request is counted by path and by User-Agent (each crawler
 * process of a test sends its own), and `onRequest` sees each one as it arrives.
 */
import { createServer, type Server } from 'node:http';

export interface TreeSite {
  /** `http://127.0.0.1:PORT`. */
  readonly base: string;
  /** Requests by path. */
  readonly hits: Map<string, number>;
  /** The User-Agents of the requests, by path, in arrival order. */
  readonly agents: Map<string, string[]>;
  /** Requests so far. */
  total: number;
  /** Called as each request arrives (after it is counted). */
  onRequest: ((path: string, agent: string) => void) | undefined;
  /** While set, every request but /p/0 and /robots.txt waits for this promise before it is answered. */
  hold: Promise<void> | undefined;
  /** Forgets the counts. */
  reset(): void;
  close(): Promise<void>;
}

/** The smallest depth at which the tree reaches every one of `pages` pages from /p/0. */
export function depthFor(pages: number): number {
  let depth = 0;
  for (let reach = 1, level = 1; reach < pages; depth++) {
    level *= 10;
    reach += level;
  }
  return depth;
}

function page(n: number, pages: number): string {
  const links: string[] = [];
  for (let c = 10 * n + 1; c <= 10 * n + 10 && c < pages; c++) {
    links.push(`<li><a href="/p/${c}">Page ${c}</a></li>`);
  }
  const parent = n === 0 ? 0 : Math.floor((n - 1) / 10);
  return `<!DOCTYPE html><html><head><title>Page ${n}</title></head><body>
<nav><a href="/p/0">Home</a> <a href="/p/${parent}">Up</a></nav><ul>
${links.join('\n')}
</ul></body></html>
`;
}

/** Starts the site. */
export async function startTreeSite(pages: number): Promise<TreeSite> {
  const site: TreeSite = {
    base: '',
    hits: new Map(),
    agents: new Map(),
    total: 0,
    onRequest: undefined,
    hold: undefined,
    reset() {
      site.hits.clear();
      site.agents.clear();
      site.total = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer(async (req, res) => {
    const path = req.url ?? '';
    const agent = req.headers['user-agent'] ?? '';
    site.hits.set(path, (site.hits.get(path) ?? 0) + 1);
    const seen = site.agents.get(path);
    if (seen === undefined) site.agents.set(path, [agent]);
    else seen.push(agent);
    site.total++;
    site.onRequest?.(path, agent);
    if (site.hold !== undefined && path !== '/p/0' && path !== '/robots.txt') await site.hold;
    const m = /^\/p\/(\d+)$/.exec(path);
    const n = m === null ? -1 : Number(m[1]);
    if (n < 0 || n >= pages) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    const body = Buffer.from(page(n, pages));
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length })
      .end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  (site as { base: string }).base = `http://127.0.0.1:${port}`;
  return site;
}
