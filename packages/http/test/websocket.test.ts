/**
 * wsConnect against a real `ws` server: echo, JSON, subprotocols, handshake headers and
 * cookies, clean and lost closes (a peer dropping mid-message), the heartbeat against a peer
 * that stops answering pings, cancellation of the handshake and of receive() with nothing
 * lost, and maxMessageBytes.
 */
import type { AddressInfo } from 'node:net';
import {
  ClientConnectionError,
  ClientSession,
  ServerTimeoutError,
  type WsMessage,
} from '@aiots/http';
import { CancelledError, checkpoint, createTask, run } from '@aiots/loop';
import { type HostileServer, startHostileServer } from '@aiots/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type WebSocket as PeerSocket, type ServerOptions, WebSocketServer } from 'ws';

let site: HostileServer;
beforeAll(async () => {
  site = await startHostileServer();
});
afterAll(() => site.close());

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A `ws` server on a free loopback port; `onConnection` gets each peer socket and request. */
async function peer(
  onConnection: (socket: PeerSocket, req: import('node:http').IncomingMessage) => void,
  opts: ServerOptions = {},
): Promise<string> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...opts });
  servers.push(wss);
  wss.on('connection', onConnection);
  await new Promise((r) => wss.once('listening', r));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

const echo = (s: PeerSocket) => s.on('message', (m, binary) => s.send(m, { binary }));

describe('messages', () => {
  test('text and binary echo; sendJson and receiveJson', async () => {
    const url = await peer(echo);
    await using session = new ClientSession();
    await using ws = await session.wsConnect(url);
    await ws.send('hello');
    expect(await ws.receive()).toEqual({ type: 'text', data: 'hello' });
    await ws.send(new Uint8Array([1, 2, 3]));
    const bin = await ws.receive();
    expect(bin.type).toBe('binary');
    expect([...(bin.data as Uint8Array)]).toEqual([1, 2, 3]);
    await ws.sendJson({ a: [1, 'x'] });
    expect(await ws.receiveJson()).toEqual({ a: [1, 'x'] });
    await ws.send(Buffer.from('{"b":2}'));
    expect(await ws.receiveJson()).toEqual({ b: 2 });
  });

  test('messages sent right after the handshake are not lost', async () => {
    const url = await peer((s) => {
      for (let i = 0; i < 5; i++) s.send(`m${i}`);
    });
    await using session = new ClientSession();
    await using ws = await session.wsConnect(url);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) got.push((await ws.receive()).data as string);
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  test('async iteration ends at a clean close; closeCode and the close message', async () => {
    const url = await peer((s) => {
      s.send('a');
      s.send('b');
      s.close(4001, 'done here');
    });
    await using session = new ClientSession();
    const ws = await session.wsConnect(url);
    const got: WsMessage[] = [];
    for await (const m of ws) got.push(m);
    expect(got.map((m) => m.data)).toEqual(['a', 'b']);
    expect(ws.closeCode).toBe(4001);
    expect(ws.closed).toBe(true);
    expect(await ws.receive()).toEqual({
      type: 'close',
      data: { code: 4001, reason: 'done here' },
    });
    await expect(ws.receiveJson()).rejects.toThrow(/the WebSocket closed \(code 4001\)/);
    await expect(ws.send('late')).rejects.toBeInstanceOf(ClientConnectionError);
  });

  test('close(code, reason) reaches the peer and waits for its close', async () => {
    let seen: (v: [number, string]) => void = () => {};
    const peerSaw = new Promise<[number, string]>((r) => {
      seen = r;
    });
    const url = await peer((s) => s.on('close', (code, reason) => seen([code, reason.toString()])));
    await using session = new ClientSession();
    const ws = await session.wsConnect(url);
    await ws.close(4321, 'bye');
    expect(ws.closeCode).toBe(4321);
    expect(await peerSaw).toEqual([4321, 'bye']);
    await ws.close();
    await expect(ws.close(1001)).rejects.toBeInstanceOf(RangeError);
    await expect(ws.close(1000, 'x'.repeat(124))).rejects.toBeInstanceOf(RangeError);
  });

  test('subprotocols, handshake headers and the session cookies', async () => {
    let headers: Record<string, unknown> = {};
    const url = await peer(
      (s, req) => {
        headers = req.headers;
        s.close();
      },
      { handleProtocols: (protocols) => (protocols.has('v2') ? 'v2' : false) },
    );
    await using session = new ClientSession({ headers: { 'x-session': 's' } });
    session.cookieJar?.setCookie('sid=42', url.replace('ws:', 'http:'));
    const ws = await session.wsConnect(url, { protocols: ['v1', 'v2'], headers: { 'x-req': 'r' } });
    expect(ws.protocol).toBe('v2');
    await ws.receive();
    expect(headers).toMatchObject({ 'x-session': 's', 'x-req': 'r', cookie: 'sid=42' });
  });
});

describe('a lost connection', () => {
  test('a peer that drops the connection mid-message: ClientConnectionError, code 1006', async () => {
    const url = await peer((s) => {
      s.send('whole');
      // A text frame announcing 1,000 bytes, of which 100 arrive before the socket dies.
      const raw = (s as unknown as { _socket: import('node:net').Socket })._socket;
      raw.write(
        Buffer.concat([Buffer.from([0x81, 126, 0x03, 0xe8]), Buffer.alloc(100, 0x61)]),
        () => raw.destroy(),
      );
    });
    await using session = new ClientSession();
    const ws = await session.wsConnect(url);
    expect(await ws.receive()).toEqual({ type: 'text', data: 'whole' });
    const e = await ws.receive().catch((x: unknown) => x);
    expect(ClientConnectionError.is(e)).toBe(true);
    expect((e as Error).message).toMatch(/lost without a close frame \(code 1006\)/);
    expect(ws.closeCode).toBe(1006);
    await expect(ws.receive()).rejects.toBe(e);
    const iterated = await (async () => {
      for await (const _ of ws) {
        /* nothing */
      }
    })().catch((x: unknown) => x);
    expect(iterated).toBe(e);
  });

  test('heartbeat: a peer that stops answering pings is found dead', async () => {
    const url = await peer(() => {}, { autoPong: false });
    await using session = new ClientSession();
    const ws = await session.wsConnect(url, { heartbeatMs: 40 });
    const e = await ws.receive().catch((x: unknown) => x);
    expect(ServerTimeoutError.is(e)).toBe(true);
    expect(e).toMatchObject({ timeout: 'heartbeat', timeoutMs: 20 });
    expect(ws.closeCode).toBe(1006);
  });

  test('heartbeat: a peer that answers stays connected across several pings', async () => {
    let pings = 0;
    let enough: () => void = () => {};
    const pinged = new Promise<void>((r) => {
      enough = r;
    });
    const url = await peer((s) => {
      echo(s);
      s.on('ping', () => {
        if (++pings === 3) enough();
      });
    });
    await using session = new ClientSession();
    await using ws = await session.wsConnect(url, { heartbeatMs: 20 });
    await pinged;
    await ws.send('still here');
    expect(await ws.receive()).toEqual({ type: 'text', data: 'still here' });
  });
});

describe('cancellation', () => {
  test('a cancelled receive() takes no message: the next one gets it', async () => {
    let peerSocket: PeerSocket | undefined;
    const url = await peer((s) => {
      peerSocket = s;
    });
    await run(async () => {
      await using session = new ClientSession();
      await using ws = await session.wsConnect(url);
      const t = createTask(() => ws.receive());
      await checkpoint();
      t.cancel();
      await expect(t).rejects.toBeInstanceOf(CancelledError);
      peerSocket?.send('kept');
      expect(await ws.receive()).toEqual({ type: 'text', data: 'kept' });
    });
  });

  test('receivers waiting together get messages in the order they asked', async () => {
    let peerSocket: PeerSocket | undefined;
    const url = await peer((s) => {
      peerSocket = s;
    });
    await run(async () => {
      await using session = new ClientSession();
      await using ws = await session.wsConnect(url);
      const a = createTask(() => ws.receive());
      const b = createTask(() => ws.receive());
      await checkpoint();
      peerSocket?.send('first');
      peerSocket?.send('second');
      expect([(await a).data, (await b).data]).toEqual(['first', 'second']);
    });
  });

  test('cancelling the handshake (a server that never answers)', async () => {
    await run(async () => {
      await using session = new ClientSession();
      const before = site.stats().requests;
      const t = createTask(() => session.wsConnect(`${site.url}/hang`));
      await site.requestsReached(before + 1);
      t.cancel();
      await expect(t).rejects.toBeInstanceOf(CancelledError);
    });
  });

  test('a signal abandons the handshake with its reason', async () => {
    await using session = new ClientSession();
    const ac = new AbortController();
    const before = site.stats().requests;
    const p = session.wsConnect(`${site.url}/hang`, { signal: ac.signal });
    await site.requestsReached(before + 1);
    ac.abort(new Error('give up'));
    await expect(p).rejects.toThrow('give up');
  });
});

describe('failures', () => {
  test('a handshake the server refuses: ClientConnectorError', async () => {
    await using session = new ClientSession();
    await expect(session.wsConnect(`${site.url}/status/404`)).rejects.toMatchObject({
      name: 'ClientConnectorError',
    });
    await expect(session.wsConnect('ws://127.0.0.1:1/')).rejects.toMatchObject({
      name: 'ClientConnectorError',
    });
  });

  test('a message over maxMessageBytes closes the connection (1009 to the peer)', async () => {
    let peerClose: (code: number) => void = () => {};
    const peerSaw = new Promise<number>((r) => {
      peerClose = r;
    });
    const url = await peer((s) => {
      s.send('small');
      s.send('x'.repeat(2000));
      s.on('close', (code) => peerClose(code));
    });
    await using session = new ClientSession();
    const ws = await session.wsConnect(url, { maxMessageBytes: 1000 });
    expect(await ws.receive()).toEqual({ type: 'text', data: 'small' });
    const e = await ws.receive().catch((x: unknown) => x);
    expect(ClientConnectionError.is(e)).toBe(true);
    expect((e as Error).message).toMatch(/over maxMessageBytes \(1000/);
    expect(await peerSaw).toBe(1009);
  });

  test('bad input', async () => {
    await using session = new ClientSession();
    await expect(session.wsConnect('not a url')).rejects.toMatchObject({ name: 'InvalidURL' });
    await expect(session.wsConnect('ftp://x/')).rejects.toMatchObject({ name: 'InvalidURL' });
    await expect(
      session.wsConnect('ws://127.0.0.1:1/', { heartbeatMs: -1 }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(
      session.wsConnect('ws://127.0.0.1:1/', { maxMessageBytes: 0 }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(
      session.wsConnect('ws://127.0.0.1:1/', { protocols: 3 as unknown as string }),
    ).rejects.toBeInstanceOf(TypeError);
  });
});
