/**
 * TCP streams end to end on loopback: the CPython cases of asyncio-semantics.md 4.J
 * (143–147) and the server's lifecycle.
 */
import * as net from 'node:net';
import { CancelledError, createTask, sleep, TimeoutError, waitFor } from '@aiots/loop';
import {
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  createConnection,
  HostNotFoundError,
  LimitOverrunError,
  openConnection,
  Protocol,
  type StreamReader,
  type StreamWriter,
  startServer,
} from '@aiots/streams';
import { describe, expect, test } from 'vitest';
import { b, captureExceptions, inLoop, tick } from './helpers.ts';

async function echoServer() {
  return startServer(
    async (reader, writer) => {
      for await (const line of reader) {
        writer.write(line);
        await writer.drain();
      }
      writer.close();
      await writer.waitClosed();
    },
    '127.0.0.1',
    0,
  );
}

describe('echo (143)', () => {
  test(
    'test_start_server: a line goes there and back; the handler reports nothing',
    inLoop(async () => {
      const seen = captureExceptions();
      const server = await echoServer();
      const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
      writer.write(b('hello world!\n'));
      await writer.drain();
      expect((await reader.readline()).toString()).toBe('hello world!\n');
      expect(writer.getExtraInfo('nope', 'dflt')).toBe('dflt');
      writer.writeEof();
      expect((await reader.read()).length).toBe(0); // the server closed after our EOF
      writer.close();
      await writer.waitClosed();
      server.close();
      await server.waitClosed();
      expect(seen).toEqual([]);
    }),
  );

  test(
    'a plain (non-async) handler works too',
    inLoop(async () => {
      const server = await startServer(
        (_r, w) => {
          w.write('sync handler');
          w.close();
        },
        '127.0.0.1',
        0,
      );
      const [reader] = await openConnection('127.0.0.1', server.address().port);
      expect((await reader.read()).toString()).toBe('sync handler');
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'extra info: peername and sockname are { address, port, family }',
    inLoop(async () => {
      const server = await startServer(
        async (_r, w) => {
          const peer = w.getExtraInfo('peername');
          w.write(`${peer?.address} ${peer?.family}\n`);
          w.close();
        },
        '127.0.0.1',
        0,
      );
      const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
      const sock = writer.getExtraInfo('sockname');
      expect((await reader.readline()).toString()).toBe('127.0.0.1 IPv4\n');
      expect(writer.getExtraInfo('peername')).toEqual({
        address: '127.0.0.1',
        port: server.address().port,
        family: 'IPv4',
      });
      expect(sock?.port).toBeGreaterThan(0);
      expect(writer.getExtraInfo('socket')).toBeInstanceOf(net.Socket);
      expect(writer.getExtraInfo('peercert', null)).toBeNull();
      writer.close();
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'IPv6 loopback',
    inLoop(async () => {
      const server = await echoServer();
      server.close();
      const v6 = await startServer(
        async (r, w) => {
          w.write(await r.readline());
          w.close();
        },
        '::1',
        0,
      );
      const [reader, writer] = await openConnection('::1', v6.address().port);
      expect(writer.getExtraInfo('peername')?.family).toBe('IPv6');
      writer.write('six\n');
      expect((await reader.readline()).toString()).toBe('six\n');
      writer.close();
      v6.close();
      await v6.waitClosed();
      await server.waitClosed();
    }),
  );
});

describe('drain and back-pressure (144, 145)', () => {
  test(
    'drain blocks while the peer does not read, and completes once it does',
    inLoop(async () => {
      let release!: () => void;
      const go = new Promise<void>((r) => {
        release = r;
      });
      let received = 0;
      const server = await startServer(
        async (reader, writer) => {
          await go;
          for (;;) {
            const chunk = await reader.read(1 << 16);
            if (chunk.length === 0) break;
            received += chunk.length;
          }
          writer.close();
        },
        '127.0.0.1',
        0,
      );
      const [, writer] = await openConnection('127.0.0.1', server.address().port);
      const chunk = Buffer.alloc(64 * 1024, 1);
      let timedOut = false;
      let sent = 0;
      for (let i = 0; i < 2000 && !timedOut; i++) {
        writer.write(chunk);
        sent += chunk.length;
        try {
          await waitFor(writer.drain(), 200);
        } catch (e) {
          if (!TimeoutError.is(e)) throw e;
          timedOut = true;
        }
      }
      expect(timedOut).toBe(true);
      expect(writer.transport.getWriteBufferSize()).toBeGreaterThan(65536);
      release();
      await writer.drain();
      expect(writer.transport.getWriteBufferSize()).toBeLessThanOrEqual(16384);
      writer.writeEof();
      await server.waitStats((s) => s.handlers === 0);
      expect(received).toBe(sent);
      writer.close();
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'test_multiple_drain: many concurrent drain() waiters are all released',
    inLoop(async () => {
      let release!: () => void;
      const go = new Promise<void>((r) => {
        release = r;
      });
      const server = await startServer(
        async (reader, writer) => {
          await go;
          while ((await reader.read(1 << 16)).length > 0) {}
          writer.close();
        },
        '127.0.0.1',
        0,
      );
      const [, writer] = await openConnection('127.0.0.1', server.address().port);
      // Fill the kernel buffers until a write leaves data in ours above the watermark.
      while (writer.transport.getWriteBufferSize() <= 65536) {
        writer.write(Buffer.alloc(1 << 20));
        await tick(1);
      }
      const drains = Array.from({ length: 10 }, () => createTask(() => writer.drain()));
      await tick();
      expect(drains.every((t) => !t.done())).toBe(true);
      release();
      await Promise.all(drains);
      expect(drains.every((t) => t.done() && !t.cancelled())).toBe(true);
      writer.close();
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'test_drain_raises: writing to a peer that closed ends in a connection error, not a hang',
    inLoop(async () => {
      const server = await startServer(
        async (_r, w) => {
          w.transport.abort();
        },
        '127.0.0.1',
        0,
      );
      const [, writer] = await openConnection('127.0.0.1', server.address().port);
      const e = await (async () => {
        for (let i = 0; i < 10_000; i++) {
          writer.write(Buffer.alloc(4096));
          await writer.drain();
          await sleep(1);
        }
      })().catch((x: unknown) => x);
      expect(ConnectionError.is(e)).toBe(true);
      writer.close();
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'write() after close() rejects the next drain() with ConnectionResetError',
    inLoop(async () => {
      const server = await echoServer();
      const [, writer] = await openConnection('127.0.0.1', server.address().port);
      writer.close();
      writer.write(b('late'));
      await expect(writer.drain()).rejects.toThrow(ConnectionResetError);
      await writer.waitClosed();
      await expect(writer.drain()).rejects.toThrow(ConnectionResetError);
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'a cancelled drain leaves the data queued; the next drain waits for it',
    inLoop(async () => {
      let release!: () => void;
      const go = new Promise<void>((r) => {
        release = r;
      });
      let received = 0;
      const server = await startServer(
        async (reader, writer) => {
          await go;
          for (;;) {
            const c = await reader.read(1 << 16);
            if (c.length === 0) break;
            received += c.length;
          }
          writer.close();
        },
        '127.0.0.1',
        0,
      );
      const [, writer] = await openConnection('127.0.0.1', server.address().port);
      let sent = 0;
      while (writer.transport.getWriteBufferSize() <= 65536) {
        writer.write(Buffer.alloc(1 << 20));
        sent += 1 << 20;
        await tick(1);
      }
      const d = createTask(() => writer.drain());
      await tick();
      d.cancel();
      await expect(d).rejects.toThrow(CancelledError);
      release();
      await writer.drain();
      writer.writeEof();
      await server.waitStats((s) => s.handlers === 0);
      expect(received).toBe(sent);
      writer.close();
      server.close();
    }),
  );

  test(
    'write of a number is a TypeError at once',
    inLoop(async () => {
      const server = await echoServer();
      const [, writer] = await openConnection('127.0.0.1', server.address().port);
      expect(() => writer.write(42 as unknown as string)).toThrow(
        'write() expected a Uint8Array, Buffer or string, got number 42',
      );
      expect(() => writer.writelines(5 as unknown as string[])).toThrow(TypeError);
      writer.close();
      server.close();
      await server.waitClosed();
    }),
  );
});

describe('transport write limits', () => {
  test(
    'setWriteBufferLimits: pause above high, resume at low; bad limits are RangeErrors',
    inLoop(async () => {
      let release!: () => void;
      const go = new Promise<void>((r) => {
        release = r;
      });
      const server = await startServer(
        async (reader, writer) => {
          await go;
          while ((await reader.read(1 << 16)).length > 0) {}
          writer.close();
        },
        '127.0.0.1',
        0,
      );
      const calls: string[] = [];
      const resumed = Promise.withResolvers<void>();
      class Watch extends Protocol {
        override pauseWriting() {
          calls.push('pause');
        }
        override resumeWriting() {
          calls.push('resume');
          resumed.resolve();
        }
      }
      const [t] = await createConnection(() => new Watch(), '127.0.0.1', server.address().port);
      expect(t.getWriteBufferLimits()).toEqual([16384, 65536]);
      t.setWriteBufferLimits(4096);
      expect(t.getWriteBufferLimits()).toEqual([1024, 4096]);
      t.setWriteBufferLimits(undefined, 100);
      expect(t.getWriteBufferLimits()).toEqual([100, 400]);
      expect(() => t.setWriteBufferLimits(10, 20)).toThrow(RangeError);
      expect(() => t.setWriteBufferLimits(-1)).toThrow(RangeError);
      // Fill the kernel buffers so ours holds more than 400 bytes.
      for (let i = 0; i < 256 && t.getWriteBufferSize() <= 400; i++) {
        t.write(Buffer.alloc(1 << 20));
        await tick(1);
      }
      expect(calls).toEqual(['pause']);
      release();
      await resumed.promise;
      expect(calls).toEqual(['pause', 'resume']);
      expect(t.getWriteBufferSize()).toBeLessThanOrEqual(100);
      t.close();
      server.close();
      await server.waitClosed();
    }),
  );
});

describe('close semantics (146)', () => {
  test(
    'isClosing before and after close(); waitClosed returns; the reader is at EOF',
    inLoop(async () => {
      const server = await echoServer();
      const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
      expect(writer.isClosing()).toBe(false);
      writer.close();
      expect(writer.isClosing()).toBe(true);
      await writer.waitClosed();
      expect(reader.atEof()).toBe(true);
      expect((await reader.read()).length).toBe(0);
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'close while a read waits: the read sees EOF',
    inLoop(async () => {
      const server = await echoServer();
      const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
      const t = createTask(() => reader.readline());
      await tick();
      writer.close();
      expect((await t).length).toBe(0);
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'await using closes the writer',
    inLoop(async () => {
      const server = await echoServer();
      let reader: StreamReader;
      let w: StreamWriter;
      {
        const [r, writer] = await openConnection('127.0.0.1', server.address().port);
        await using _w = writer;
        reader = r;
        w = writer;
      }
      expect(w.isClosing()).toBe(true);
      expect(reader.atEof()).toBe(true);
      server.close();
      await server.waitClosed();
    }),
  );
});

describe('peer reset', () => {
  test(
    'a reset mid-read fails the waiting read with ConnectionResetError',
    inLoop(async () => {
      const server = await startServer(
        async (reader, writer) => {
          await reader.readline();
          (writer.getExtraInfo('socket') as net.Socket).resetAndDestroy();
        },
        '127.0.0.1',
        0,
      );
      const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
      writer.write('go\n');
      const e = await reader.readline().catch((x: unknown) => x);
      expect(ConnectionResetError.is(e)).toBe(true);
      expect((e as ConnectionResetError).syscallCode).toBe('ECONNRESET');
      expect((e as Error).cause).toBeDefined();
      await expect(writer.drain()).rejects.toThrow(ConnectionResetError);
      await expect(writer.waitClosed()).rejects.toThrow(ConnectionResetError);
      server.close();
      await server.waitClosed();
    }),
  );
});

describe('server handlers (147)', () => {
  test(
    'test_unhandled_exception: reported once, the connection closed, serving goes on',
    inLoop(async () => {
      const seen = captureExceptions();
      const server = await startServer(
        async (reader, writer) => {
          const line = (await reader.readline()).toString();
          if (line === 'boom\n') throw new Error('handler failed');
          writer.write(line);
          writer.close();
        },
        '127.0.0.1',
        0,
      );
      const [r1, w1] = await openConnection('127.0.0.1', server.address().port);
      w1.write('boom\n');
      expect((await r1.read()).length).toBe(0);
      await server.waitStats((s) => s.handlerErrors === 1);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.message).toMatch(/^Unhandled exception in client_connected_cb/);
      expect((seen[0]?.exception as Error | undefined)?.message).toBe('handler failed');
      const [r2, w2] = await openConnection('127.0.0.1', server.address().port);
      w2.write('fine\n');
      expect((await r2.readline()).toString()).toBe('fine\n');
      w1.close();
      w2.close();
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'test_unhandled_cancel: a handler that closes and is cancelled reports nothing',
    inLoop(async () => {
      const seen = captureExceptions();
      const server = await startServer(
        async (_reader, writer) => {
          writer.close();
          throw new CancelledError();
        },
        '127.0.0.1',
        0,
      );
      const [reader] = await openConnection('127.0.0.1', server.address().port);
      expect((await reader.read()).length).toBe(0);
      server.close();
      await server.waitClosed();
      expect(seen).toEqual([]);
    }),
  );

  test(
    'a client over the limit gets LimitOverrunError in its handler; others are served',
    inLoop(async () => {
      const errors: unknown[] = [];
      const server = await startServer(
        async (reader, writer) => {
          try {
            for await (const line of reader) writer.write(line);
          } catch (e) {
            errors.push(e);
          }
          writer.close();
        },
        '127.0.0.1',
        0,
        { limit: 1024 },
      );
      const [rBig, wBig] = await openConnection('127.0.0.1', server.address().port);
      const [rOk, wOk] = await openConnection('127.0.0.1', server.address().port);
      wBig.write(Buffer.alloc(5000, 0x61));
      wBig.write('\n');
      expect((await rBig.read()).length).toBe(0);
      expect(errors).toHaveLength(1);
      expect(LimitOverrunError.is(errors[0])).toBe(true);
      wOk.write('small\n');
      expect((await rOk.readline()).toString()).toBe('small\n');
      wOk.close();
      wBig.close();
      server.close();
      await server.waitClosed();
    }),
  );
});

describe('server lifecycle', () => {
  test(
    'close() leaves connections; waitClosed waits for their handlers',
    inLoop(async () => {
      const server = await echoServer();
      const [reader, writer] = await openConnection('127.0.0.1', server.address().port);
      await server.waitStats((s) => s.handlers === 1);
      const { port } = server.address();
      server.close();
      expect(server.isServing()).toBe(false);
      await expect(openConnection('127.0.0.1', port)).rejects.toThrow(ConnectionRefusedError);
      const closed = createTask(() => server.waitClosed());
      await tick();
      expect(closed.done()).toBe(false);
      writer.write('still here\n');
      expect((await reader.readline()).toString()).toBe('still here\n');
      writer.close();
      await closed;
      expect(server.stats().connections).toBe(0);
    }),
  );

  test(
    'close({ cancelHandlers: true }) cancels running handlers',
    inLoop(async () => {
      const cancelled: boolean[] = [];
      const server = await startServer(
        async (reader) => {
          try {
            await reader.read();
          } catch (e) {
            cancelled.push(CancelledError.is(e));
            throw e;
          }
        },
        '127.0.0.1',
        0,
      );
      const [reader] = await openConnection('127.0.0.1', server.address().port);
      await server.waitStats((s) => s.handlers === 1);
      server.close({ cancelHandlers: true });
      await server.waitClosed();
      expect(cancelled).toEqual([true]);
      expect((await reader.read()).length).toBe(0); // the cancelled handler's connection closed
    }),
  );

  test(
    'closeClients and abortClients end the connections',
    inLoop(async () => {
      const server = await startServer(
        async (reader) => {
          await reader.read();
        },
        '127.0.0.1',
        0,
      );
      const [r1] = await openConnection('127.0.0.1', server.address().port);
      await server.waitStats((s) => s.connections === 1);
      server.closeClients();
      expect((await r1.read()).length).toBe(0);
      const [r2] = await openConnection('127.0.0.1', server.address().port);
      await server.waitStats((s) => s.connections === 1);
      server.abortClients();
      const got = await r2.read().catch((e: unknown) => e);
      // A FIN or a reset, depending on what was in flight: either ends the read at once.
      expect(got instanceof Buffer ? got.length === 0 : ConnectionError.is(got)).toBe(true);
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'serveForever: returns when closed; a cancel closes the server',
    inLoop(async () => {
      const server = await echoServer();
      const t = createTask(() => server.serveForever());
      await tick();
      await expect(server.serveForever()).rejects.toThrow(/already being awaited/);
      t.cancel();
      await expect(t).rejects.toThrow(CancelledError);
      expect(server.isServing()).toBe(false);
      await server.waitClosed();
      await expect(server.serveForever()).rejects.toThrow(/closed/);

      const s2 = await echoServer();
      const t2 = createTask(() => s2.serveForever());
      await tick();
      s2.close();
      await t2;
      expect(t2.cancelled()).toBe(false);
    }),
  );

  test(
    'startServing: false defers listening',
    inLoop(async () => {
      const server = await startServer(async () => {}, '127.0.0.1', 0, { startServing: false });
      expect(server.isServing()).toBe(false);
      expect(() => server.address()).toThrow(/not listening/);
      await server.startServing();
      expect(server.address().port).toBeGreaterThan(0);
      await server.startServing(); // idempotent
      server.close();
      await expect(server.startServing()).rejects.toThrow(/closed/);
    }),
  );

  test(
    'a host name serves every address it resolves to, on one port',
    inLoop(async () => {
      const server = await startServer(
        async (_r, w) => {
          w.write('hi');
          w.close();
        },
        'localhost',
        0,
      );
      const addrs = server.addresses();
      expect(addrs.length).toBeGreaterThanOrEqual(1);
      expect(new Set(addrs.map((a) => a.port)).size).toBe(1);
      for (const a of addrs) {
        const [reader] = await openConnection(a.address, a.port);
        expect((await reader.read()).toString()).toBe('hi');
      }
      expect(server.sockets.length).toBe(addrs.length);
      await server[Symbol.asyncDispose]();
      expect(server.sockets).toEqual([]);
    }),
  );

  test(
    'await using a server cancels idle handlers and closes their connections',
    inLoop(async () => {
      let reader: StreamReader;
      {
        await using server = await startServer(
          async (r) => {
            await r.read();
          },
          '127.0.0.1',
          0,
        );
        [reader] = await openConnection('127.0.0.1', server.address().port);
        await server.waitStats((s) => s.handlers === 1);
      }
      expect((await reader.read()).length).toBe(0);
    }),
  );

  test(
    'a port in use is Node’s EADDRINUSE error',
    inLoop(async () => {
      const server = await echoServer();
      const e = await startServer(async () => {}, '127.0.0.1', server.address().port).catch(
        (x: unknown) => x,
      );
      expect((e as { code?: string }).code).toBe('EADDRINUSE');
      server.close();
    }),
  );
});

describe('connect', () => {
  test(
    'nothing listening: ConnectionRefusedError with the system error as cause',
    inLoop(async () => {
      const probe = net.createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const port = (probe.address() as net.AddressInfo).port;
      await new Promise<void>((r) => probe.close(() => r()));
      const e = await openConnection('127.0.0.1', port).catch((x: unknown) => x);
      expect(ConnectionRefusedError.is(e)).toBe(true);
      expect((e as ConnectionRefusedError).code).toBe('AIOTS_CONNECTION_REFUSED');
      expect(((e as Error).cause as { code: string }).code).toBe('ECONNREFUSED');
    }),
  );

  test(
    'happyEyeballsDelayMs: localhost reaches a server on 127.0.0.1 only',
    inLoop(async () => {
      const server = await startServer(
        async (_r, w) => {
          w.write('v4');
          w.close();
        },
        '127.0.0.1',
        0,
      );
      const [reader] = await openConnection('localhost', server.address().port, {
        happyEyeballsDelayMs: 10,
        timeoutMs: 5_000,
      });
      expect((await reader.read()).toString()).toBe('v4');
      await expect(
        openConnection('127.0.0.1', 1, { happyEyeballsDelayMs: 'x' as unknown as number }),
      ).rejects.toThrow(TypeError);
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'a host that does not resolve: HostNotFoundError',
    inLoop(async () => {
      const e = await openConnection('no-such-host.invalid', 80).catch((x: unknown) => x);
      expect(HostNotFoundError.is(e)).toBe(true);
    }),
  );

  test(
    'bad arguments are TypeError/RangeError saying what came',
    inLoop(async () => {
      await expect(openConnection('127.0.0.1', 70000)).rejects.toThrow(
        'openConnection() expected `port` to be an integer from 0 to 65535, got 70000',
      );
      await expect(openConnection('127.0.0.1', '80' as unknown as number)).rejects.toThrow(
        TypeError,
      );
      await expect(openConnection('', 80)).rejects.toThrow(RangeError);
      await expect(openConnection(5 as unknown as string, 80)).rejects.toThrow(TypeError);
      await expect(openConnection('127.0.0.1', 80, { limit: -1 })).rejects.toThrow(
        'openConnection() expected `limit` to be an integer from 1 and up, got -1',
      );
      await expect(openConnection('127.0.0.1', 80, { timeoutMs: -5 })).rejects.toThrow(RangeError);
      await expect(startServer('x' as never, '127.0.0.1', 0)).rejects.toThrow(TypeError);
      await expect(startServer(async () => {}, '127.0.0.1', -1)).rejects.toThrow(RangeError);
    }),
  );

  test(
    'connect timeout: TimeoutError, and the socket is gone',
    inLoop(async () => {
      // TCP connects, but this server never answers the TLS handshake: the connect hangs.
      const gone = Promise.withResolvers<void>();
      const silent = net.createServer((socket) => {
        socket.resume();
        socket.on('error', () => {});
        socket.on('close', () => gone.resolve());
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const port = (silent.address() as net.AddressInfo).port;
      const e = await openConnection('127.0.0.1', port, { tls: true, timeoutMs: 50 }).catch(
        (x: unknown) => x,
      );
      expect(TimeoutError.is(e)).toBe(true);
      expect((e as Error).message).toMatch(/timed out after 50 ms/);
      await gone.promise; // the client's socket was destroyed: the server sees it go
      silent.close();
    }),
  );

  test(
    'cancelling a connect ends the task cancelled',
    inLoop(async () => {
      const server = await echoServer();
      const t = createTask(() => openConnection('127.0.0.1', server.address().port));
      t.cancel();
      await expect(t).rejects.toThrow(CancelledError);
      const ac = new AbortController();
      ac.abort(new Error('stop'));
      await expect(
        openConnection('127.0.0.1', server.address().port, { signal: ac.signal }),
      ).rejects.toThrow('stop');
      server.close();
      await server.waitClosed();
    }),
  );
});
