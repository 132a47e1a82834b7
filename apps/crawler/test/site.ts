/**
 * The fixture site the crawler's tests crawl, on `serve()` from @aiots/http (loopback, port
 * 0): every case of the crawler's contract has a page here. Pages are written so that a
 * reader can work out their links by hand (the tests list them literally).
 */
import { createServer } from 'node:net';
import { type HttpServer, type ServerRequest, serve } from '@aiots/http';
import { Event } from '@aiots/sync';

/** The requests of /hold, which waits until its client goes away. */
export class Holds {
  arrived = 0;
  cancelled = 0;
  /** Set once `expected` requests arrived. */
  allArrived = new Event();
  /** Set once `expected` handlers were cancelled. */
  allCancelled = new Event();
  expected = 0;

  /** Starts counting afresh for `n` requests. */
  reset(n: number): void {
    this.arrived = 0;
    this.cancelled = 0;
    this.expected = n;
    this.allArrived = new Event();
    this.allCancelled = new Event();
  }
}

export interface Site {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly base: string;
  readonly server: HttpServer;
  /** Requests seen, by path (query included). */
  readonly hits: Map<string, number>;
  /** User-Agent headers seen. */
  readonly agents: Set<string>;
  /** The most requests this server had in flight at once. */
  maxInFlight: number;
  /** Requests in flight now. */
  inFlight: number;
  /** Requests of /hold (which never answers) that arrived, and that were cancelled. */
  readonly holds: Holds;
  close(): Promise<void>;
}

const html = (body: string, status = 200): Response =>
  new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });

/** robots.txt of the main site. */
export const ROBOTS = `# the fixture site's rules
User-agent: picky-bot
Disallow: /

User-agent: *
Disallow: /private
Allow: /private/open
`;

/** A site whose pages are the crawler's cases; `refusedPort` is a port nobody listens on. */
export async function startSite(refusedPort: number): Promise<Site> {
  const hits = new Map<string, number>();
  const agents = new Set<string>();
  const holds = new Holds();
  const never = new Event();
  let base = '';
  const huge = `<html><body><a href="/huge-early">early</a>${'<p>filler filler filler</p>'.repeat(
    Math.ceil((6 * 1024 * 1024) / 27),
  )}<a href="/huge-late">late</a></body></html>`;

  const pages: Record<string, (req: ServerRequest) => Response | Promise<Response>> = {
    '/robots.txt': () => new Response(ROBOTS, { headers: { 'content-type': 'text/plain' } }),
    '/': () =>
      html(`<!DOCTYPE html>
<html><head><title>Index <a href="/in-title"></title>
<link rel="stylesheet" href="/style.css">
<script>document.write('<a href="/in-script">x</a>');</script>
<style>a[href="/in-style"] { color: red }</style>
</head><body>
<!-- <a href="/in-comment">commented out</a> -->
<p>Plain text that says href="/in-text" is not a link.</p>
<a href="/page1">one</a> <a href="/page1">one again</a>
<a href="page2.html#intro">two</a>
<a href=" /spaced
  ">spaces</a>
<a href="/q?a=1&amp;b=2&#38;c=3">entities</a>
<a href="&#x2F;hex">hex entity</a>
<a href="/caf&eacute;">named entity</a>
<area href="/area">
<a href="mailto:someone@example.com">mail</a>
<a href="javascript:void(0)">js</a>
<a href="ftp://example.com/file">ftp</a>
<a href="#top">top</a>
<a href="//${base.slice('http://'.length)}/protocol-relative">protocol-relative</a>
<a href="/missing">404</a>
<a href="/error">500</a>
<a href="/redirect-relative">relative redirect</a>
<a href="/redirect-absolute">absolute redirect</a>
<a href="/loop">redirect loop</a>
<a href="/slow">slow</a>
<a href="/file.bin">binary</a>
<a href="/notes.txt">text</a>
<a href="/private/doc">private</a>
<a href="/private/open/doc">allowed</a>
<a href="http://127.0.0.1:${refusedPort}/">refused</a>
<a href="/malformed">malformed</a>
<a href="/based/">base</a>
<a href="/huge">huge</a>
<a href="/chain/1">chain</a>
</body></html>`),
    '/page1': () =>
      html(
        '<a href="../page2.html">up</a><a href="./sub/x">sub</a><a href="?page=2">query</a><a href="">self</a>',
      ),
    '/page2.html': () => html("<A HREF='/page1'>one</A><a href=/unquoted>unquoted</a>"),
    '/landing': () => html('<a href="/">home</a>'),
    '/redirect-relative': () =>
      new Response(null, { status: 302, headers: { location: 'page2.html' } }),
    '/redirect-absolute': () =>
      new Response(null, { status: 301, headers: { location: `${base}/landing` } }),
    '/loop': () => new Response(null, { status: 302, headers: { location: '/loop' } }),
    '/error': () => html('oops', 500),
    '/slow': async () => {
      await never.wait(); // until the client gives up (the handler is then cancelled)
      return html('too late');
    },
    '/hold': async () => {
      if (++holds.arrived === holds.expected) holds.allArrived.set();
      try {
        await never.wait();
      } finally {
        if (++holds.cancelled === holds.expected) holds.allCancelled.set();
      }
      return html('never sent');
    },
    '/chain/1': () => html('<a href="/chain/2">2</a>'),
    '/chain/2': () => html('<a href="/chain/3">3</a>'),
    '/chain/3': () => html('<a href="/chain/4">4</a>'),
    '/file.bin': () =>
      new Response(new Uint8Array([0, 1, 2, ...Buffer.from('<a href="/bin-link">x</a>'), 255]), {
        headers: { 'content-type': 'application/octet-stream' },
      }),
    '/notes.txt': () =>
      new Response('see <a href="/text-link">this</a>', {
        headers: { 'content-type': 'text/plain' },
      }),
    '/private/doc': () => html('<a href="/private-link">secret</a>'),
    '/private/open/doc': () => html('<a href="/open-link">open</a>'),
    '/malformed': () =>
      html(
        `<html><body><div><p><a href="/m1">unclosed <a href='/m2'>nested</div></span>
<table><tr><td><a href=/m3>cell</td></table>
<a href="/m4"/><A HrEf="/m5">mixed case</A>
</body></html><a href="/m6">after the end</a>
<!-- an unterminated comment <a href="/m-hidden">`,
      ),
    '/based/': () =>
      html(
        `<html><head><link rel="icon" href="before-base.ico"><base href="${base}/docs/"><base href="/ignored/"></head>
<body><a href="intro">intro</a><a href="/abs">absolute</a><a href="../up">up</a></body></html>`,
      ),
    '/huge': () => html(huge),
  };

  const server = await serve(async (req) => {
    const path = req.url.pathname + req.url.search;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    agents.add(req.headers.get('user-agent') ?? '');
    site.inFlight++;
    site.maxInFlight = Math.max(site.maxInFlight, site.inFlight);
    try {
      const page = pages[req.path];
      if (page === undefined) return html('<h1>Not Found</h1>', 404);
      return await page(req);
    } finally {
      site.inFlight--;
    }
  });
  base = server.url;
  const site: Site = {
    base,
    server,
    hits,
    agents,
    maxInFlight: 0,
    inFlight: 0,
    holds,
    close: () => server.close({ graceMs: 0 }),
  };
  return site;
}

/** A site whose robots.txt answers `status` and whose `/` links to `/next` and `extra`. */
export async function startRobotsSite(status: number, extra: string[] = []): Promise<HttpServer> {
  const more = extra.map((url) => `<a href="${url}">more</a>`).join('');
  return serve(async (req) => {
    if (req.path === '/robots.txt') return new Response('User-agent: *\nAllow: /\n', { status });
    if (req.path === '/') return html(`<a href="/next">next</a>${more}`);
    return html('the end');
  });
}

/** A loopback port nobody listens on (one was free a moment ago, and is closed again). */
export async function refusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
