/**
 * UDP on loopback: asyncio-semantics.md 4.J case 149 (datagram_echo), the awaitable
 * socket's bounded queue, cancellation and bad input.
 */
import { CancelledError, createTask, InvalidStateError } from '@aiots/loop';
import {
  createDatagramEndpoint,
  DatagramProtocol,
  type DatagramTransport,
  openDatagram,
  type SocketAddress,
} from '@aiots/streams';
import { describe, expect, test } from 'vitest';
import { b, inLoop, ioUntil, tick } from './helpers.ts';

const LOCAL = { address: '127.0.0.1', port: 0 };

class Reverse extends DatagramProtocol {
  transport?: DatagramTransport;
  lost: (Error | null)[] = [];
  override connectionMade(t: DatagramTransport) {
    this.transport = t;
  }
  override datagramReceived(data: Buffer, addr: SocketAddress) {
    this.transport?.sendto(Buffer.from(data).reverse(), addr);
  }
  override connectionLost(exc: Error | null) {
    this.lost.push(exc);
  }
}

describe('createDatagramEndpoint (149)', () => {
  test(
    'datagram_echo: a reversing server; a connected client; a wrong address is refused',
    inLoop(async () => {
      const [server, proto] = await createDatagramEndpoint(() => new Reverse(), {
        localAddr: LOCAL,
      });
      const got: string[] = [];
      const arrived = Promise.withResolvers<void>();
      class Client extends DatagramProtocol {
        override datagramReceived(data: Buffer) {
          got.push(data.toString());
          arrived.resolve();
        }
      }
      const serverAddr = server.getExtraInfo<SocketAddress>('sockname');
      const [client] = await createDatagramEndpoint(() => new Client(), { remoteAddr: serverAddr });
      expect(client.getExtraInfo('peername')).toEqual(serverAddr);
      client.sendto(b('abc'));
      await arrived.promise;
      expect(got).toEqual(['cba']);
      expect(() =>
        client.sendto(b('x'), { address: '127.0.0.1', port: serverAddr.port + 1 }),
      ).toThrow(/connected endpoint expected no address or 127\.0\.0\.1:\d+, got 127\.0\.0\.1:\d+/);
      expect(() => client.sendto(5 as unknown as string)).toThrow(TypeError);
      expect(() => server.sendto(b('x'))).toThrow(/expected an address/);
      client.close();
      server.close();
      expect(server.isClosing()).toBe(true);
      await ioUntil(() => proto.lost.length > 0);
      expect(proto.lost).toEqual([null]);
    }),
  );

  test(
    'bad options are TypeError/RangeError',
    inLoop(async () => {
      await expect(
        createDatagramEndpoint(() => new Reverse(), {
          localAddr: { address: '127.0.0.1', port: 70000 },
        }),
      ).rejects.toThrow(RangeError);
      await expect(
        createDatagramEndpoint(() => new Reverse(), { type: 'udp5' as 'udp4' }),
      ).rejects.toThrow("expected `type` to be 'udp4' or 'udp6'");
      await expect(createDatagramEndpoint(42 as never)).rejects.toThrow(TypeError);
      await expect(
        createDatagramEndpoint(() => new Reverse(), { localAddr: 'x' as never }),
      ).rejects.toThrow(TypeError);
    }),
  );

  test(
    'a taken port is EADDRINUSE unless reuseAddress',
    inLoop(async () => {
      const [a] = await createDatagramEndpoint(() => new Reverse(), { localAddr: LOCAL });
      const port = a.getExtraInfo<SocketAddress>('sockname').port;
      const e = await createDatagramEndpoint(() => new Reverse(), {
        localAddr: { address: '127.0.0.1', port },
      }).catch((x: unknown) => x);
      expect((e as { code?: string }).code).toBe('EADDRINUSE');
      a.close();
    }),
  );

  test(
    'reuseAddress lets two endpoints bind the same port',
    inLoop(async () => {
      const [a] = await createDatagramEndpoint(() => new Reverse(), {
        localAddr: LOCAL,
        reuseAddress: true,
      });
      const port = a.getExtraInfo<SocketAddress>('sockname').port;
      const [b] = await createDatagramEndpoint(() => new Reverse(), {
        localAddr: { address: '127.0.0.1', port },
        reuseAddress: true,
      });
      expect(b.getExtraInfo<SocketAddress>('sockname').port).toBe(port);
      a.close();
      b.close();
    }),
  );

  test(
    'IPv6 endpoints',
    inLoop(async () => {
      const [server] = await createDatagramEndpoint(() => new Reverse(), {
        localAddr: { address: '::1', port: 0 },
      });
      const s = await openDatagram({ remoteAddr: server.getExtraInfo<SocketAddress>('sockname') });
      s.send('xyz');
      expect((await s.recv())[0].toString()).toBe('zyx');
      expect(s.address().family).toBe('IPv6');
      s.close();
      server.close();
    }),
  );
});

describe('openDatagram', () => {
  test(
    'recv waits; a cancelled recv takes nothing',
    inLoop(async () => {
      await using server = await openDatagram({ localAddr: LOCAL });
      await using client = await openDatagram({ remoteAddr: server.address() });
      const t = createTask(() => server.recv());
      await tick();
      t.cancel();
      await expect(t).rejects.toThrow(CancelledError);
      client.send('kept');
      const [data, from] = await server.recv();
      expect(data.toString()).toBe('kept');
      expect(from.port).toBe(client.address().port);
    }),
  );

  test(
    'a recv woken and then cancelled passes its datagram to the next waiter',
    inLoop(async () => {
      await using server = await openDatagram({ localAddr: LOCAL });
      await using client = await openDatagram({ remoteAddr: server.address() });
      const first = createTask(() => server.recv());
      const second = createTask(() => server.recv());
      await tick();
      expect(server.stats().waiting).toBe(2);
      // Cancel the first right after the datagram woke it, before it runs.
      server.socket.on('message', () => first.cancel());
      client.send('only one');
      await expect(first).rejects.toThrow(CancelledError);
      expect((await second)[0].toString()).toBe('only one');
    }),
  );

  test(
    'the queue is bounded: extra datagrams are dropped and counted',
    inLoop(async () => {
      await using server = await openDatagram({ localAddr: LOCAL, queueSize: 4 });
      await using client = await openDatagram({ remoteAddr: server.address() });
      for (let i = 0; i < 10; i++) client.send(`${i}`);
      await ioUntil(() => server.stats().received === 10);
      const stats = server.stats();
      expect(stats.received).toBe(10);
      expect(stats.queued).toBe(4);
      expect(stats.dropped).toBe(6);
      const got: string[] = [];
      for (let i = 0; i < 4; i++) got.push((await server.recv())[0].toString());
      expect(got).toEqual(['0', '1', '2', '3']); // tail drop: the oldest are kept
    }),
  );

  test(
    'async iteration ends when the socket is closed; then recv and send throw',
    inLoop(async () => {
      const server = await openDatagram({ localAddr: LOCAL });
      await using client = await openDatagram({ remoteAddr: server.address() });
      const seen: string[] = [];
      const reader = createTask(async () => {
        for await (const [data] of server) seen.push(data.toString());
      });
      client.send('a');
      client.send('b');
      await ioUntil(() => seen.length === 2);
      server.close();
      await reader;
      expect(seen).toEqual(['a', 'b']);
      await expect(server.recv()).rejects.toThrow(InvalidStateError);
      expect(() => server.send('x', client.address())).toThrow(InvalidStateError);
    }),
  );

  test(
    'a signal aborts recv with its reason',
    inLoop(async () => {
      await using s = await openDatagram({ localAddr: LOCAL });
      const ac = new AbortController();
      const p = s.recv({ signal: ac.signal });
      ac.abort(new Error('give up'));
      await expect(p).rejects.toThrow('give up');
      expect(s.stats().waiting).toBe(0);
    }),
  );

  test(
    'bad input: queueSize 0, a number as data',
    inLoop(async () => {
      await expect(openDatagram({ queueSize: 0 })).rejects.toThrow(
        'openDatagram() expected `queueSize` to be an integer from 1 and up, got 0',
      );
      await using s = await openDatagram({ localAddr: LOCAL });
      expect(() => s.send(7 as unknown as string, s.address())).toThrow(TypeError);
      expect(() => s.send('x')).toThrow(/expected an address/);
    }),
  );
});
