/**
 * Load and faults, bounded in count and time: 1,000 clients × 1,000 lines through one echo
 * server, misbehaving clients next to good ones, back-pressure holding memory down while
 * 1 GiB goes through a slow reader, and 10,000 connect/close cycles leaking no descriptor.
 */
import { readdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import {
  CancelledError,
  createTask,
  type Future,
  gather,
  getRunningLoop,
  sleep,
} from '@aiots/loop';
import {
  ConnectionError,
  LimitOverrunError,
  openConnection,
  type StreamReader,
  type StreamWriter,
  startServer,
} from '@aiots/streams';
import { seededRandom } from '@aiots/test-utils';
import { describe, expect, test } from 'vitest';
import { inLoop } from './helpers.ts';

/** Printable bytes that lines are cut from (no newline in them). */
const POOL = (() => {
  const rnd = seededRandom(7);
  const b = Buffer.allocUnsafe(16 * 1024);
  for (let i = 0; i < b.length; i++) b[i] = 0x21 + Math.floor(rnd() * 94);
  return b;
})();

/** The parts of line `seq` of client `id`: a header and a slice of the pool (up to 8 KiB). */
function partsOf(id: number, seq: number, rnd: () => number): [Buffer, Buffer] {
  const len = Math.floor(rnd() * 8192);
  const off = Math.floor(rnd() * (POOL.length - len));
  return [Buffer.from(`${id}:${seq}:`), POOL.subarray(off, off + len)];
}

const NL = Buffer.from('\n');
/** Lines a load-test client sends ahead of the echoes it has read (about 256 KiB). */
const WINDOW = 64;

/** True when `got` is exactly header + body + newline (compared in place, no copy). */
function isLine(got: Buffer, [header, body]: [Buffer, Buffer]): boolean {
  const n = header.length + body.length;
  return (
    got.length === n + 1 &&
    got[n] === 10 &&
    got.subarray(0, header.length).equals(header) &&
    got.subarray(header.length, n).equals(body)
  );
}

describe('load', () => {
  test(
    '1,000 concurrent clients × 1,000 lines of up to 8 KiB: none lost, reordered or corrupted',
    inLoop(async () => {
      const clients = Number(process.env.AIOTS_LOAD_CLIENTS ?? 1000);
      const lines = Number(process.env.AIOTS_LOAD_LINES ?? 1000);
      const server = await startServer(
        async (reader, writer) => {
          for await (const line of reader) {
            writer.write(line);
            await writer.drain();
          }
          writer.close();
        },
        '127.0.0.1',
        0,
        { backlog: 2048 },
      );
      const { port } = server.address();
      let verified = 0;
      const one = async (id: number) => {
        const [reader, writer] = await openConnection('127.0.0.1', port);
        // Each client keeps at most WINDOW lines in flight, as a real echo client would. A
        // client that sends all its 4 MB at once makes the kernel grow every socket's buffers
        // to megabytes (tcp_rmem): 1,000 of them reach the host's TCP memory limit, the
        // kernel drops segments, and TCP's retransmission back-off stalls connections for
        // minutes, which is the kernel's flow control, not ours.
        let received = 0;
        let windowOpen: Future<void> | undefined;
        const send = createTask(async () => {
          const rnd = seededRandom(id);
          for (let seq = 0; seq < lines; seq++) {
            while (seq - received >= WINDOW) {
              windowOpen = getRunningLoop().createFuture<void>();
              await windowOpen;
            }
            const [header, body] = partsOf(id, seq, rnd);
            writer.write(Buffer.concat([header, body, NL]));
            await writer.drain();
          }
          writer.writeEof();
        });
        const rnd = seededRandom(id);
        for (let seq = 0; seq < lines; seq++) {
          const want = partsOf(id, seq, rnd);
          const got = await reader.readline();
          if (!isLine(got, want)) {
            throw new Error(
              `client ${id} line ${seq}: got ${got.subarray(0, 40)}..., want ${want[0]}...`,
            );
          }
          verified++;
          received++;
          const w = windowOpen;
          if (w !== undefined && !w.done()) {
            windowOpen = undefined;
            w.setResult();
          }
        }
        expect((await reader.read()).length).toBe(0);
        await send;
        writer.close();
        await writer.waitClosed();
      };
      // A hang is reported as one (no line verified for a minute), not as a slow run: on a
      // loaded two-core machine the run may take several minutes.
      const all = gather(Array.from({ length: clients }, (_, id) => createTask(() => one(id))));
      let seen = -1;
      while (!all.done()) {
        if (verified === seen) {
          throw new Error(`no progress for 60 s: ${verified} of ${clients * lines} lines verified`);
        }
        seen = verified;
        await Promise.race([
          all.then(
            () => undefined,
            () => undefined,
          ),
          sleep(60_000),
        ]);
      }
      await all;
      expect(verified).toBe(clients * lines);
      server.close();
      await server.waitClosed();
      expect(server.stats().accepted).toBe(clients);
    }),
    1_200_000,
  );
});

describe('faults', () => {
  test(
    'clients that reset mid-line, idle forever or overrun the limit do not stop the others',
    inLoop(async () => {
      const handlerErrors: unknown[] = [];
      const server = await startServer(
        async (reader, writer) => {
          try {
            for await (const line of reader) {
              writer.write(line);
              await writer.drain();
            }
          } catch (e) {
            if (!CancelledError.is(e)) handlerErrors.push(e);
          } finally {
            writer.close();
          }
        },
        '127.0.0.1',
        0,
        { limit: 4096 },
      );
      const { port } = server.address();
      const echoOnce = async (text: string) => {
        const [r, w] = await openConnection('127.0.0.1', port);
        w.write(`${text}\n`);
        const got = (await r.readline()).toString();
        w.close();
        return got;
      };
      // 20 idle clients: connected, silent.
      const idle: StreamWriter[] = [];
      for (let i = 0; i < 20; i++) idle.push((await openConnection('127.0.0.1', port))[1]);
      // 20 clients that reset in the middle of a line.
      for (let i = 0; i < 20; i++) {
        const [, w] = await openConnection('127.0.0.1', port);
        w.write('half a li');
        await w.drain();
        (w.getExtraInfo('socket') as Socket).resetAndDestroy();
      }
      // 5 clients that send a line over the limit.
      const over: StreamReader[] = [];
      for (let i = 0; i < 5; i++) {
        const [r, w] = await openConnection('127.0.0.1', port);
        w.write(Buffer.alloc(10_000, 0x61));
        w.write('\n');
        over.push(r);
      }
      // The good clients are served meanwhile.
      const good = await gather(
        Array.from({ length: 50 }, (_, i) => createTask(() => echoOnce(`good ${i}`))),
      );
      expect(good).toEqual(Array.from({ length: 50 }, (_, i) => `good ${i}\n`));
      for (const r of over) expect((await r.read()).length).toBe(0); // their handler closed them
      await server.waitStats((s) => s.handlers === idle.length && s.connections === idle.length);
      const limitErrors = handlerErrors.filter((e) => LimitOverrunError.is(e));
      const resetErrors = handlerErrors.filter((e) => ConnectionError.is(e));
      expect(limitErrors).toHaveLength(5);
      expect(limitErrors.length + resetErrors.length).toBe(handlerErrors.length);
      expect(server.stats().handlerErrors).toBe(0); // every handler handled its own error
      // The idle ones are still connected; shutting down cancels their handlers.
      expect(server.stats().connections).toBe(20);
      server.close({ cancelHandlers: true });
      await server.waitClosed();
      for (const w of idle) w.close();
    }),
    60_000,
  );

  test(
    'back-pressure: 1 GiB into a slow reader keeps RSS within 100 MiB of the start',
    inLoop(async () => {
      const total = 1 << 30;
      let peak = 0;
      let received = 0;
      const server = await startServer(
        async (reader, writer) => {
          for (let n = 0; ; n++) {
            const chunk = await reader.read(1 << 16);
            if (chunk.length === 0) break;
            received += chunk.length;
            if (n % 64 === 0) {
              peak = Math.max(peak, process.memoryUsage.rss());
              await sleep(1); // the slow part
            }
          }
          writer.close();
        },
        '127.0.0.1',
        0,
      );
      (globalThis as { gc?: () => void }).gc?.();
      const start = process.memoryUsage.rss();
      const [, writer] = await openConnection('127.0.0.1', server.address().port);
      const chunk = Buffer.alloc(1 << 16, 0x62);
      for (let sent = 0; sent < total; sent += chunk.length) {
        writer.write(chunk);
        await writer.drain();
        if ((sent & ((1 << 24) - 1)) === 0) peak = Math.max(peak, process.memoryUsage.rss());
      }
      writer.writeEof();
      await server.waitStats((s) => s.handlers === 0);
      expect(received).toBe(total);
      const grew = (peak - start) / (1 << 20);
      expect(grew, `RSS grew by ${grew.toFixed(1)} MiB`).toBeLessThan(100);
      writer.close();
      server.close();
      await server.waitClosed();
    }),
    300_000,
  );

  test(
    '10,000 connect/close cycles leak no file descriptor',
    inLoop(async () => {
      const fds = () => readdirSync('/proc/self/fd').length;
      const server = await startServer(
        async (reader, writer) => {
          await reader.read();
          writer.close();
        },
        '127.0.0.1',
        0,
      );
      const { port } = server.address();
      const cycle = async () => {
        const [reader, writer] = await openConnection('127.0.0.1', port);
        writer.close();
        await writer.waitClosed();
        expect(reader.atEof()).toBe(true);
      };
      for (let i = 0; i < 100; i++) await cycle(); // warm up (lazy handles, pools)
      await server.waitStats((s) => s.connections === 0);
      const before = fds();
      for (let i = 0; i < 10_000; i++) await cycle();
      await server.waitStats((s) => s.connections === 0);
      expect(fds()).toBe(before);
      server.close();
      await server.waitClosed();
    }),
    300_000,
  );
});
