/**
 * @aiots/serial on real pseudo-terminal pairs (socat): echo at several baud rates, the
 * shared stream conformance suite, a device that vanishes mid-read, the reconnect loop,
 * and bad input.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CancelledError, createTask, run, sleep, TimeoutError, timeout } from '@aiots/loop';
import {
  createSerialConnection,
  listPorts,
  openSerialConnection,
  SerialPortError,
  serialConnections,
} from '@aiots/serial';
import {
  ConnectionError,
  IncompleteReadError,
  LimitOverrunError,
  Protocol,
  type StreamReader,
  type StreamWriter,
  type Transport,
} from '@aiots/streams';
import { type ConformanceKit, checkTwoWayStream, ptyPair } from '@aiots/test-utils';
import { describe, expect, test } from 'vitest';
import { inLoop } from './helpers.ts';

const kit: ConformanceKit = {
  run,
  createTask,
  sleep,
  isCancelled: (e) => CancelledError.is(e),
  isLimitOverrun: (e) => LimitOverrunError.is(e),
  isIncompleteRead: (e) => IncompleteReadError.is(e),
  isConnectionError: (e) => ConnectionError.is(e) || SerialPortError.is(e),
};

checkTwoWayStream(
  'serial pty',
  async () => {
    const pty = await ptyPair();
    const left = await openSerialConnection({ path: pty.a, baudRate: 115200, limit: 1024 });
    const right = await openSerialConnection({ path: pty.b, baudRate: 115200, limit: 1024 });
    return {
      left,
      right,
      resetRight: () => void pty.kill(),
      async cleanup() {
        left[1].close();
        right[1].close();
        await pty.close();
      },
    };
  },
  { kit, halfClose: false, bulkBytes: 256 * 1024 },
);

describe('echo through a pty', () => {
  for (const baudRate of [9600, 115200, 921600]) {
    test(
      `${baudRate} baud: lines there and back`,
      inLoop(async () => {
        const pty = await ptyPair();
        try {
          const [r1, w1] = await openSerialConnection({ path: pty.a, baudRate });
          const [r2, w2] = await openSerialConnection({
            path: pty.b,
            baudRate,
            parity: 'even',
            stopBits: 2,
          });
          // The far end echoes every line.
          const echo = createTask(async () => {
            for await (const line of r2) {
              w2.write(line);
              await w2.drain();
            }
          });
          for (let i = 0; i < 50; i++) {
            const line = `line ${i} at ${baudRate}\n`;
            w1.write(line);
            await w1.drain();
            expect((await r1.readline()).toString()).toBe(line);
          }
          expect(w1.getExtraInfo('path')).toBe(pty.a);
          expect(w1.canWriteEof()).toBe(false);
          w1.close();
          await w1.waitClosed();
          w2.close();
          await echo;
        } finally {
          await pty.close();
        }
      }),
    );
  }
});

describe('closing', () => {
  test(
    'close() right after a write flushes it, then closes; waitClosed returns',
    inLoop(async () => {
      const pty = await ptyPair();
      try {
        const [, w1] = await openSerialConnection({ path: pty.a, baudRate: 115200 });
        const [r2, w2] = await openSerialConnection({ path: pty.b, baudRate: 115200 });
        w1.write('last words\n');
        w1.close();
        await w1.waitClosed();
        expect((await r2.readline()).toString()).toBe('last words\n');
        w2.close();
        await w2.waitClosed();
      } finally {
        await pty.close();
      }
    }),
  );
});

/**
 * A pty whose master this test drives through a python3 helper (a real tty to serialport,
 * without socat in between: socat's blocking writes would stall one direction while the
 * other is full). The master never reads unless told to, so the port's output fills.
 */
async function heldPty(): Promise<{
  path: string;
  command(line: string): Promise<string>;
  close(): void;
}> {
  const script = [
    'import os, sys, tty, fcntl, termios, struct',
    'm, s = os.openpty()',
    'tty.setraw(s)',
    'print(os.ttyname(s), flush=True)',
    'for line in sys.stdin:',
    '    cmd, arg = line.split()',
    "    if cmd == 'write':",
    '        os.write(m, bytes.fromhex(arg))',
    "        print('ok', flush=True)",
    "    elif cmd == 'queued':",
    "        print(struct.unpack('i', fcntl.ioctl(m, termios.FIONREAD, b'0000'))[0], flush=True)",
    "    elif cmd == 'read':",
    '        want, got = int(arg), 0',
    '        while got < want:',
    '            got += len(os.read(m, 65536))',
    '        print(got, flush=True)',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done === true) throw new Error('the pty helper exited');
    return r.value;
  };
  const path = await next();
  return {
    path,
    async command(line) {
      child.stdin.write(`${line}\n`);
      return next();
    },
    close() {
      child.stdin.end();
    },
  };
}

describe('full duplex under backpressure', () => {
  test(
    'a read waiting while a write waits for a full line still gets its data',
    inLoop(async () => {
      const dev = await heldPty();
      try {
        const [reader, writer] = await openSerialConnection({ path: dev.path, baudRate: 115200 });
        const line = createTask(() => reader.readline());
        // The far end reads nothing, so the write fills the line and waits for it to become
        // writable, while the read waits for data.
        const bulk = Buffer.alloc(1 << 20, 0x61);
        writer.write(bulk);
        let queued = '';
        for (let i = 0; i < 200; i++) {
          const now = await dev.command('queued x');
          if (now !== '0' && now === queued) break;
          queued = now;
          await sleep(20);
        }
        expect(line.done()).toBe(false);
        await dev.command(`write ${Buffer.from('hello\n').toString('hex')}`);
        // serialport's poller watched only the write's event once the write waited: the
        // line never came while the far end held back (a deadlock once both ends write).
        expect((await timeout(10_000, () => line)).toString()).toBe('hello\n');
        expect(await dev.command(`read ${bulk.length}`)).toBe(String(bulk.length));
        await writer.drain();
        writer.close();
        await writer.waitClosed();
      } finally {
        dev.close();
      }
    }),
  );
});

describe('a device that vanishes', () => {
  test(
    'a waiting read fails with SerialPortError (disconnected), never a hang',
    inLoop(async () => {
      const pty = await ptyPair();
      try {
        const [reader, writer] = await openSerialConnection({ path: pty.a, baudRate: 9600 });
        const t = createTask(() => reader.readline());
        await sleep(10);
        await pty.kill();
        const e = await t.catch((x: unknown) => x);
        expect(SerialPortError.is(e)).toBe(true);
        expect((e as SerialPortError).disconnected).toBe(true);
        expect((e as SerialPortError).path).toBe(pty.a);
        await expect(writer.drain()).rejects.toThrow(SerialPortError);
        await expect(writer.waitClosed()).rejects.toThrow(SerialPortError);
      } finally {
        await pty.close();
      }
    }),
  );

  test(
    'serialConnections reconnects when the device comes back; no byte after it is lost',
    inLoop(async () => {
      const pty = await ptyPair();
      try {
        const received: string[] = [];
        const connections: number[] = [];
        // The device side opens first each time: opening a port flushes what is queued for
        // it, so a greeting sent before the device is open would be lost.
        let [dr, dw] = await openSerialConnection({ path: pty.b, baudRate: 115200 });
        const loop = createTask(async () => {
          let n = 0;
          for await (const [reader, writer] of serialConnections({
            path: pty.a,
            baudRate: 115200,
            retryMs: 5,
            maxRetryMs: 40,
          })) {
            connections.push(++n);
            writer.write(`hello ${n}\n`);
            try {
              for await (const line of reader) {
                const text = line.toString().trim();
                received.push(text);
                if (text === 'stop') return;
              }
            } catch (e) {
              if (!SerialPortError.is(e)) throw e;
            }
          }
        });
        // The device: read the greeting, send two lines, then vanish.
        expect((await dr.readline()).toString()).toBe('hello 1\n');
        dw.write('one\ntwo\n');
        await dw.drain();
        await waitFor(() => received.length === 2);
        await pty.kill();
        await sleep(30); // absent for a while: the loop backs off
        await pty.restart({ holdA: true });
        [dr, dw] = await openSerialConnection({ path: pty.b, baudRate: 115200 });
        pty.releaseA();
        expect((await dr.readline()).toString()).toBe('hello 2\n');
        const lines = Array.from({ length: 200 }, (_, i) => `after ${i}`);
        dw.write(`${lines.join('\n')}\nstop\n`);
        await dw.drain();
        await loop;
        expect(connections).toEqual([1, 2]);
        expect(received).toEqual(['one', 'two', ...lines, 'stop']);
        dw.close();
      } finally {
        await pty.close();
      }
    }),
  );

  test(
    'leaving the loop closes the port before the code after it runs',
    inLoop(async () => {
      const pty = await ptyPair();
      try {
        let writer: StreamWriter | undefined;
        for await (const [, w] of serialConnections({ path: pty.a, baudRate: 9600 })) {
          writer = w;
          break;
        }
        expect(writer?.isClosing()).toBe(true);
        // The port is free again: a new exclusive open succeeds.
        const [, w2] = await openSerialConnection({ path: pty.a, baudRate: 9600 });
        w2.close();
        await w2.waitClosed();
      } finally {
        await pty.close();
      }
    }),
  );

  test(
    'while the device is absent, the loop retries until cancelled',
    inLoop(async () => {
      const path = join(tmpdir(), `aiots-absent-${process.pid}`);
      const e = await timeout(60, async () => {
        for await (const _conn of serialConnections({
          path,
          baudRate: 9600,
          retryMs: 5,
          maxRetryMs: 10,
        })) {
          throw new Error('no device should appear');
        }
      }).catch((x: unknown) => x);
      expect(TimeoutError.is(e)).toBe(true);
    }),
  );
});

describe('protocols, listing and bad input', () => {
  test(
    'createSerialConnection with a Protocol',
    inLoop(async () => {
      const pty = await ptyPair();
      try {
        const got = Promise.withResolvers<string>();
        const lost = Promise.withResolvers<Error | null>();
        class Collect extends Protocol {
          override dataReceived(data: Buffer) {
            got.resolve(data.toString());
          }
          override connectionLost(exc: Error | null) {
            lost.resolve(exc);
          }
        }
        const [transport] = await createSerialConnection(() => new Collect(), {
          path: pty.a,
          baudRate: 9600,
        });
        const [, w] = await openSerialConnection({ path: pty.b, baudRate: 9600 });
        w.write('ping');
        expect(await got.promise).toBe('ping');
        await pty.kill();
        const exc = await lost.promise;
        expect(SerialPortError.is(exc)).toBe(true);
        expect(transport.isClosing()).toBe(true);
      } finally {
        await pty.close();
      }
    }),
  );

  test(
    'listPorts returns an array of { path, ... }',
    inLoop(async () => {
      const ports = await listPorts();
      expect(Array.isArray(ports)).toBe(true);
      for (const p of ports) expect(typeof p.path).toBe('string');
    }),
  );

  test(
    'a missing path, a file that is not a tty, a baud rate of 0',
    inLoop(async () => {
      const e1 = await openSerialConnection({
        path: '/dev/no-such-tty-here',
        baudRate: 9600,
      }).catch((x: unknown) => x);
      expect(SerialPortError.is(e1)).toBe(true);
      expect((e1 as Error).message).toMatch(/no such device/);
      const file = join(tmpdir(), `aiots-not-a-tty-${process.pid}`);
      writeFileSync(file, 'plain file');
      const e2 = await openSerialConnection({ path: file, baudRate: 9600 }).catch(
        (x: unknown) => x,
      );
      expect(SerialPortError.is(e2)).toBe(true);
      expect((e2 as Error).message).toMatch(/not a serial device/);
      rmSync(file);
      await expect(openSerialConnection({ path: '/dev/ttyS0', baudRate: 0 })).rejects.toThrow(
        'openSerialConnection() expected `baudRate` to be an integer from 1 and up, got 0',
      );
      await expect(
        openSerialConnection({ path: '/dev/ttyS0', baudRate: '9600' as never }),
      ).rejects.toThrow(TypeError);
      await expect(
        openSerialConnection({ path: '/dev/ttyS0', baudRate: 9600, dataBits: 9 as never }),
      ).rejects.toThrow(RangeError);
      await expect(
        openSerialConnection({ path: '/dev/ttyS0', baudRate: 9600, parity: 'odd-ish' as never }),
      ).rejects.toThrow(RangeError);
      await expect(openSerialConnection(undefined as never)).rejects.toThrow(TypeError);
      const it = serialConnections({ path: '/x', baudRate: 9600, retryMs: -1 });
      await expect(it.next()).rejects.toThrow(RangeError);
    }),
  );

  test(
    'a second exclusive open of the same port is a SerialPortError',
    inLoop(async () => {
      const pty = await ptyPair();
      try {
        const [, w] = await openSerialConnection({ path: pty.a, baudRate: 9600 });
        const e = await openSerialConnection({ path: pty.a, baudRate: 9600 }).catch(
          (x: unknown) => x,
        );
        expect(SerialPortError.is(e)).toBe(true);
        w.close();
      } finally {
        await pty.close();
      }
    }),
  );
});

/** Yields to I/O until `pred()` holds (bounded). */
async function waitFor(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !pred(); i++) await new Promise((r) => setImmediate(r));
  if (!pred()) throw new Error('condition never held');
}

export type { StreamReader, Transport };
