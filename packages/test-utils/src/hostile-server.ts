/**
 * A hostile HTTP site for testing HTTP clients: a real `node:http` (or `node:https`) server on
 * a loopback port that misbehaves on purpose, route by route, and counts the connections and
 * requests it sees so a test can prove a client's limits from the server's side.
 *
 * Why one file: the routes share the counters and the open-socket bookkeeping that `close()`
 * needs, and each route is a few lines. Routes (query parameters in brackets):
 *
 * | route | behaviour |
 * | --- | --- |
 * | `/echo` | JSON of method, path, query, headers and the body (text) |
 * | `/status/:code` | that status, a short text body |
 * | `/slow-headers[?ms]` | headers after `ms` (default 60 000) |
 * | `/trickle[?bytes&everyMs]` | a chunked body, one byte every `everyMs` (default 1000) |
 * | `/reset-mid-body` | announces 100 000 bytes, sends 1 000, then resets the connection |
 * | `/hang` | accepts the request and never answers |
 * | `/redirect-loop` | 302 to itself, forever |
 * | `/redirect?to&status` | `status` (302) to `to` (relative or absolute) |
 * | `/redirect-chain/:n` | 302 to `/redirect-chain/n-1`, then 200 at 0 |
 * | `/flaky?key&fail&status` | `status` (500) for the first `fail` (1) requests of `key`, then 200 |
 * | `/too-many?key&retryAfter&fail` | 429 with `Retry-After: retryAfter` for the first `fail` (1) requests, then 200 |
 * | `/encoded/:coding` | `TEXT` compressed with gzip, deflate, deflate-raw, br or zstd |
 * | `/corrupt-gzip` | `Content-Encoding: gzip` over bytes that are not gzip |
 * | `/charset/:case` | `header` (latin1 in Content-Type), `meta` (windows-1252 in a meta tag), `wrong` (an unknown charset), `missing` (UTF-8, none named) |
 * | `/huge[?chunked]` | announces 5 GiB (or is chunked) and streams zeros until the client stops |
 * | `/trailers` | a chunked body with trailers |
 * | `/cookies/set?name&value&attrs` | sets a cookie; `/cookies/get` echoes the Cookie header |
 * | `/slow[?ms]` | 200 after `ms` (default 50), counting concurrent requests |
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import * as zlib from 'node:zlib';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';

/**
 * The text every `/encoded/:coding` route sends, compressed.
 *
 * @example
 * ```ts
 * import { TEXT } from '@aiots/test-utils';
 * console.log(TEXT.length); // 9000
 * ```
 */
export const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(200);

/** Counters of what the server saw. */
export interface HostileStats {
  /** Connections accepted in all. */
  readonly connections: number;
  /** Connections open now. */
  readonly openConnections: number;
  /** The most connections open at once. */
  readonly maxOpenConnections: number;
  /** Requests received in all. */
  readonly requests: number;
  /** Requests being handled now (received and not yet answered in full). */
  readonly activeRequests: number;
  /** The most requests handled at once. */
  readonly maxActiveRequests: number;
}

/** A running hostile server. */
export interface HostileServer {
  /** `http(s)://127.0.0.1:port`. */
  readonly url: string;
  readonly port: number;
  stats(): HostileStats;
  /** Resolves once the server has received `n` requests in all (counting from the start). */
  requestsReached(n: number): Promise<void>;
  /** Zeroes the counters (open connections and active requests stay counted). */
  resetStats(): void;
  /** Closes the server and every connection. */
  close(): Promise<void>;
}

/** Options of `startHostileServer`. */
export interface HostileServerOptions {
  /** Serve https with this key and certificate. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

function compress(coding: string, data: Buffer): Buffer {
  switch (coding) {
    case 'gzip':
      return gzipSync(data);
    case 'deflate':
      return deflateSync(data);
    case 'deflate-raw':
      return deflateRawSync(data);
    case 'br':
      return brotliCompressSync(data);
    case 'zstd':
      return (zlib as unknown as { zstdCompressSync(d: Buffer): Buffer }).zstdCompressSync(data);
    default:
      throw new Error(`unknown coding ${coding}`);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts a hostile HTTP site on a free loopback port (see the table above for its routes).
 *
 * @param options `tls` to serve https.
 * @returns The running server.
 * @example
 * ```ts
 * import { startHostileServer } from '@aiots/test-utils';
 * const site = await startHostileServer();
 * const res = await fetch(`${site.url}/status/418`);
 * console.log(res.status, await res.text(), site.stats().requests); // 418 status 418 1
 * await site.close();
 * ```
 */
export async function startHostileServer(
  options: HostileServerOptions = {},
): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const counts = new Map<string, number>();
  let connections = 0;
  let maxOpen = 0;
  let requests = 0;
  let active = 0;
  let maxActive = 0;
  const watchers: [number, () => void][] = [];

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const every = (ms: number, fn: () => boolean) => {
    const tick = () => {
      if (fn()) later(ms, tick);
    };
    later(ms, tick);
  };
  const bump = (key: string) => {
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return n;
  };

  async function route(req: IncomingMessage, res: ServerResponse, base: string): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const q = url.searchParams;
    const [, first = '', second = ''] = url.pathname.split('/');
    switch (first) {
      case 'echo': {
        const body = await readBody(req);
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            method: req.method,
            path: url.pathname,
            query: Object.fromEntries(q),
            headers: req.headers,
            body,
          }),
        );
        return;
      }
      case 'status':
        res.statusCode = Number(second);
        res.end(`status ${second}`);
        return;
      case 'slow-headers':
        later(Number(q.get('ms') ?? 60_000), () => res.end('finally'));
        return;
      case 'slow':
        later(Number(q.get('ms') ?? 50), () => res.end('slow'));
        return;
      case 'trickle': {
        let left = Number(q.get('bytes') ?? 1_000_000);
        res.setHeader('content-type', 'text/plain');
        res.flushHeaders();
        every(Number(q.get('everyMs') ?? 1000), () => {
          if (res.destroyed) return false;
          res.write('x');
          if (--left > 0) return true;
          res.end();
          return false;
        });
        return;
      }
      case 'reset-mid-body':
        res.setHeader('content-length', '100000');
        res.write(Buffer.alloc(1000, 'a'), () => later(10, () => req.socket.resetAndDestroy()));
        return;
      case 'hang':
        return;
      case 'redirect-loop':
        res.writeHead(302, { location: url.pathname + url.search });
        res.end();
        return;
      case 'redirect':
        res.writeHead(Number(q.get('status') ?? 302), { location: q.get('to') ?? '/echo' });
        res.end();
        return;
      case 'redirect-chain': {
        const n = Number(second);
        if (n <= 0) {
          res.end('arrived');
          return;
        }
        res.writeHead(302, { location: `/redirect-chain/${n - 1}` });
        res.end();
        return;
      }
      case 'flaky': {
        const n = bump(`flaky:${q.get('key')}`);
        if (n <= Number(q.get('fail') ?? 1)) {
          res.statusCode = Number(q.get('status') ?? 500);
          res.end(`failure ${n}`);
        } else res.end(`success after ${n - 1}`);
        return;
      }
      case 'too-many': {
        const n = bump(`too-many:${q.get('key')}`);
        if (n <= Number(q.get('fail') ?? 1)) {
          res.writeHead(429, { 'retry-after': q.get('retryAfter') ?? '0' });
          res.end('slow down');
        } else res.end(`ok after ${n - 1}`);
        return;
      }
      case 'encoded': {
        const coding = second === 'deflate-raw' ? 'deflate' : second;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': coding });
        res.end(compress(second, Buffer.from(TEXT)));
        return;
      }
      case 'corrupt-gzip':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
        res.end(Buffer.concat([gzipSync(Buffer.from(TEXT)).subarray(0, 10), Buffer.alloc(64, 7)]));
        return;
      case 'charset': {
        if (second === 'header') {
          res.setHeader('content-type', 'text/plain; charset=iso-8859-1');
          res.end(Buffer.from('caf\xe9', 'latin1'));
        } else if (second === 'meta') {
          res.setHeader('content-type', 'text/html');
          res.end(
            Buffer.concat([
              Buffer.from('<html><head><meta charset="windows-1252"><title>t</title></head><body>'),
              Buffer.from([0x93, 0x68, 0x69, 0x94, 0x20, 0x80]),
              Buffer.from('</body></html>'),
            ]),
          );
        } else if (second === 'wrong') {
          res.setHeader('content-type', 'text/plain; charset=no-such-charset');
          res.end('plain ascii, é in utf-8');
        } else {
          res.setHeader('content-type', 'text/plain');
          res.end('naïve café ✓');
        }
        return;
      }
      case 'huge': {
        const chunked = q.has('chunked');
        if (!chunked) res.setHeader('content-length', String(5 * 1024 ** 3));
        res.flushHeaders();
        const block = Buffer.alloc(64 * 1024);
        let sent = 0;
        const pump = () => {
          // Bounded: never more than 64 MiB, whatever the client does.
          while (!res.destroyed && sent < 64 * 1024 ** 2) {
            sent += block.length;
            if (!res.write(block)) {
              res.once('drain', pump);
              return;
            }
          }
          if (!res.destroyed) res.destroy();
        };
        pump();
        return;
      }
      case 'trailers':
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('part one, ');
        res.write('part two');
        res.addTrailers({ 'x-checksum': 'abc123' });
        res.end();
        return;
      case 'cookies':
        if (second === 'set') {
          const attrs = q.get('attrs');
          res.setHeader(
            'set-cookie',
            `${q.get('name')}=${q.get('value')}${attrs ? `; ${attrs}` : ''}`,
          );
          res.end('set');
        } else {
          res.end(req.headers.cookie ?? '');
        }
        return;
      default:
        res.statusCode = 404;
        res.end('not found');
    }
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    for (const w of watchers.filter(([n]) => requests >= n)) {
      watchers.splice(watchers.indexOf(w), 1);
      w[1]();
    }
    active++;
    maxActive = Math.max(maxActive, active);
    let counted = true;
    const done = () => {
      if (counted) {
        counted = false;
        active--;
      }
    };
    res.on('finish', done);
    res.on('close', done);
    const proto = options.tls ? 'https' : 'http';
    route(req, res, `${proto}://${req.headers.host ?? '127.0.0.1'}`).catch(() => res.destroy());
  };
  const server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  server.keepAliveTimeout = 30_000;
  server.on(options.tls ? 'secureConnection' : 'connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    maxOpen = Math.max(maxOpen, sockets.size);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    stats: () => ({
      connections,
      openConnections: sockets.size,
      maxOpenConnections: maxOpen,
      requests,
      activeRequests: active,
      maxActiveRequests: maxActive,
    }),
    requestsReached: (n) =>
      requests >= n
        ? Promise.resolve()
        : new Promise<void>((resolve) => watchers.push([n, resolve])),
    resetStats: () => {
      connections = 0;
      requests = 0;
      maxOpen = sockets.size;
      maxActive = active;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/**
 * A server that answers the first request of every connection with a keep-alive 200 and then
 * destroys the connection when the next request arrives on it, without answering: exactly
 * what a client sees when it reuses a keep-alive socket the server had closed. Counts the
 * requests answered and the ones dropped.
 *
 * @returns `{ url, answered, dropped, close }` (counters read live).
 * @example
 * ```ts no-run
 * const stale = await startStaleKeepAliveServer();
 * // a client that reuses its keep-alive connection gets it reset on the second request
 * await stale.close();
 * ```
 */
export async function startStaleKeepAliveServer(): Promise<{
  readonly url: string;
  answered(): number;
  dropped(): number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let answered = 0;
  let dropped = 0;
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let seen = '';
    let served = false;
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      if (served) {
        dropped++;
        socket.destroy();
        return;
      }
      served = true;
      seen = '';
      answered++;
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\nok',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    answered: () => answered,
    dropped: () => dropped,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
