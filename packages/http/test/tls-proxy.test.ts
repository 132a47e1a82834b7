/**
 * https against a self-signed certificate made for the test, with and without trust (also
 * for wss), and requests through an HTTP proxy (CONNECT tunnels, as undici's ProxyAgent
 * makes them).
 */
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { ClientConnectorError, ClientSession } from '@aiots/http';
import {
  type HostileServer,
  selfSignedCert,
  startHostileServer,
  type TestCertificate,
} from '@aiots/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';

let cert: TestCertificate;
let secure: HostileServer;
let plain: HostileServer;
beforeAll(async () => {
  cert = selfSignedCert();
  secure = await startHostileServer({ tls: cert });
  plain = await startHostileServer();
});
afterAll(async () => {
  await secure.close();
  await plain.close();
});

describe('https', () => {
  test('a self-signed certificate is refused by default', async () => {
    await using session = new ClientSession();
    const e = await session.get(`${secure.url}/echo`).catch((x: unknown) => x);
    expect(ClientConnectorError.is(e)).toBe(true);
    expect((e as ClientConnectorError).osCode).toMatch(/SELF_SIGNED|CERT/);
    expect((e as Error).message).toMatch(/TLS failed/);
  });

  test('trusted through tls.ca, it works', async () => {
    await using session = new ClientSession({ tls: { ca: cert.cert } });
    const res = await session.get(`${secure.url}/echo`);
    expect(((await res.json()) as { method: string }).method).toBe('GET');
  });

  test('rejectUnauthorized: false accepts it', async () => {
    await using session = new ClientSession({ tls: { rejectUnauthorized: false } });
    expect((await session.get(`${secure.url}/encoded/gzip`)).status).toBe(200);
  });

  test('wss with and without trust', async () => {
    const server = createHttpsServer({ key: cert.key, cert: cert.cert });
    const wss = new WebSocketServer({ server });
    wss.on('connection', (s) => s.on('message', (m) => s.send(m.toString())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `wss://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await using untrusting = new ClientSession();
      await expect(untrusting.wsConnect(url)).rejects.toMatchObject({
        name: 'ClientConnectorError',
      });
      await using session = new ClientSession({ tls: { ca: cert.cert } });
      await using ws = await session.wsConnect(url);
      await ws.send('secure');
      expect(await ws.receive()).toEqual({ type: 'text', data: 'secure' });
    } finally {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.close();
    }
  });
});

describe('proxy', () => {
  let proxy: Server;
  let proxyUrl: string;
  let tunnels: string[] = [];
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Plain http goes to the proxy in absolute form; https through a CONNECT tunnel.
    proxy = createHttpServer((req, res) => {
      const target = new URL(req.url ?? '');
      tunnels.push(`forward ${target.host}`);
      const up = httpRequest(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    proxy.on('connect', (req, client: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host as string, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
  });

  test('a session proxy carries every request', async () => {
    tunnels = [];
    await using session = new ClientSession({ proxy: proxyUrl });
    const res = await session.get(`${plain.url}/echo?via=proxy`);
    expect(((await res.json()) as { query: Record<string, string> }).query).toEqual({
      via: 'proxy',
    });
    expect(tunnels).toEqual([`forward 127.0.0.1:${plain.port}`]);
  });

  test('a proxy for one request only', async () => {
    tunnels = [];
    await using session = new ClientSession();
    await (await session.get(`${plain.url}/echo`)).text();
    await (await session.get(`${plain.url}/echo`, { proxy: proxyUrl })).text();
    expect(tunnels).toHaveLength(1);
  });

  test('https through the proxy, trusted with tls.ca', async () => {
    tunnels = [];
    await using session = new ClientSession({ proxy: proxyUrl, tls: { ca: cert.cert } });
    expect((await session.get(`${secure.url}/echo`)).status).toBe(200);
    expect(tunnels).toEqual([`127.0.0.1:${secure.port}`]);
  });
});
