// The built `aiots-echo`: the servers under concurrent TCP and UDP clients, graceful
// shutdown, the reconnecting client started before its server, and interplay with the
// asyncio documentation's own Python servers and clients, both ways.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { run, taskGroup, waitFor } from '@aiots/loop';
import { openConnection, openDatagram } from '@aiots/streams';
import { hasSocat, ptyPair } from '@aiots/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from './dist-build.ts';
import { echo, freePort, hasPython, py } from './helpers.ts';

beforeAll(
  () => ensureDist(['@aiots/loop', '@aiots/sync', '@aiots/streams', '@aiots/serial']),
  180_000,
);

const TCP = /^TCP echo server on 127\.0\.0\.1:\d+$/;
const UDP = /^UDP echo server on 127\.0\.0\.1:\d+$/;

describe('aiots-echo serve', () => {
  it('prints the real ports, and echoes 20 TCP and 20 UDP clients at once', async () => {
    const server = echo(['serve', '--tcp', '0', '--udp', '0']);
    const tcpPort = await server.port(TCP);
    const udpPort = await server.port(UDP);
    expect(tcpPort).toBeGreaterThan(0);
    expect(udpPort).toBeGreaterThan(0);

    const CLIENTS = 20;
    const LINES = 25;
    await run(async () => {
      await taskGroup(async (tg) => {
        for (let c = 0; c < CLIENTS; c++) {
          tg.createTask(async () => {
            const [reader, writer] = await openConnection('127.0.0.1', tcpPort);
            for (let i = 0; i < LINES; i++) {
              writer.write(`tcp ${c} line ${i}\n`);
              await writer.drain();
              expect((await reader.readline()).toString()).toBe(`tcp ${c} line ${i}\n`);
            }
            writer.close();
            await writer.waitClosed();
          });
          tg.createTask(async () => {
            await using socket = await openDatagram({
              remoteAddr: { address: '127.0.0.1', port: udpPort },
            });
            for (let i = 0; i < LINES; i++) {
              socket.send(`udp ${c} datagram ${i}`);
              const [data] = await waitFor(socket.recv(), 5_000);
              expect(data.toString()).toBe(`udp ${c} datagram ${i}`);
            }
          });
        }
      });
    });

    server.kill('SIGINT');
    const r = await server.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('Connection from 127.0.0.1:'))).toHaveLength(CLIENTS);
    expect(lines.filter((l) => l.startsWith('Connection closed: 127.0.0.1:'))).toHaveLength(
      CLIENTS,
    );
    expect(lines.filter((l) => /^Received: tcp \d+ line \d+$/.test(l))).toHaveLength(
      CLIENTS * LINES,
    );
    expect(
      lines.filter((l) => /^Received udp \d+ datagram \d+ from 127\.0\.0\.1:\d+$/.test(l)),
    ).toHaveLength(CLIENTS * LINES);
    expect(lines.slice(-2)).toEqual(['Shutting down', 'Echo server stopped']);
  }, 60_000);

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'on %s, tells open connections EOF, lets them finish, exits 0',
    async (sig) => {
      const server = echo(['serve', '--tcp', '0']);
      const port = await server.port(TCP);
      expect(server.lines).toHaveLength(1); // only TCP was asked for
      await run(async () => {
        const [reader, writer] = await openConnection('127.0.0.1', port);
        writer.write('before\n');
        expect((await reader.readline()).toString()).toBe('before\n');
        server.kill(sig);
        // The server half-closes: this client reads EOF, and may still send what it had.
        expect((await reader.read()).length).toBe(0);
        writer.write('last words\n');
        await writer.drain();
        writer.close();
        await writer.waitClosed();
      });
      const r = await server.done;
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toContain('Received: last words');
      expect(lines.at(-1)).toBe('Echo server stopped');
      expect(lines.at(-2)).toMatch(/^Connection closed: 127\.0\.0\.1:\d+$/);
      expect(lines.indexOf('Shutting down')).toBeLessThan(lines.indexOf('Received: last words'));
    },
    60_000,
  );

  it('cuts a connection that stays open past --grace-ms, and still exits 0', async () => {
    const server = echo(['serve', '--tcp', '0', '--grace-ms', '200']);
    const port = await server.port(TCP);
    await run(async () => {
      const [reader, writer] = await openConnection('127.0.0.1', port);
      writer.write('hello\n');
      expect((await reader.readline()).toString()).toBe('hello\n');
      server.kill('SIGTERM');
      expect((await reader.read()).length).toBe(0); // EOF; this client never closes its side
      const r = await server.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Echo server stopped');
      writer.close();
    });
  }, 60_000);

  it('serves TCP on 8888 and UDP on 9999 with none of --tcp, --udp, --serial', async () => {
    // Only when both ports are free on this machine.
    const free = await Promise.all([tcpFree(8888), udpFree(9999)]);
    if (!free.every(Boolean)) return;
    const server = echo(['serve']);
    await server.waitLine(/^UDP echo server on 127\.0\.0\.1:9999$/);
    expect(server.lines).toEqual([
      'TCP echo server on 127.0.0.1:8888',
      'UDP echo server on 127.0.0.1:9999',
    ]);
    server.kill('SIGINT');
    expect((await server.done).code).toBe(0);
  }, 60_000);
});

async function tcpFree(port: number): Promise<boolean> {
  const s = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => s.close(() => resolve()));
  return ok;
}

async function udpFree(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => resolve(true));
  });
  s.close();
  return ok;
}

describe('aiots-echo client', () => {
  it('tcp: started before its server, retries with back-off, then sends everything', async () => {
    const port = await freePort();
    const client = echo([
      'client',
      'tcp',
      '--port',
      String(port),
      '--retry-ms',
      '100',
      '-m',
      'one',
      '-m',
      'two',
    ]);
    await client.waitLine(/^Connection failed, retrying in 0\.1 seconds\.\.\.$/);
    await client.waitLine(/^Connection failed, retrying in 0\.2 seconds\.\.\.$/);
    const server = echo(['serve', '--tcp', String(port)]);
    const r = await client.done;
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(-2)).toEqual(['Received: one', 'Received: two']);
    for (const line of lines.slice(0, -2)) {
      expect(line).toMatch(
        /^Connection failed, retrying in (0\.1|0\.2|0\.4|0\.8|1\.6|3\.2|6\.4|12\.8|25\.6|30) seconds\.\.\.$/,
      );
    }
    server.kill('SIGINT');
    expect((await server.done).code).toBe(0);
  }, 60_000);

  it('tcp: gives up after --retries failed attempts (one line on stderr, exit 1)', async () => {
    const port = await freePort();
    const client = echo([
      'client',
      'tcp',
      '--port',
      String(port),
      '--retries',
      '2',
      '--retry-ms',
      '10',
      '-m',
      'x',
    ]);
    const r = await client.done;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      'Connection failed, retrying in 0.01 seconds...\nConnection failed, retrying in 0.02 seconds...\n',
    );
    expect(r.stderr).toBe(
      `EchoClientError: Could not connect to 127.0.0.1:${port} after 3 attempts\n`,
    );
  }, 60_000);

  it('tcp: sends the lines of stdin when no --message is given', async () => {
    const server = echo(['serve', '--tcp', '0']);
    const port = await server.port(TCP);
    const r = await echo(['client', 'tcp', '--port', String(port)], 'first line\nsecond line\n')
      .done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Received: first line\nReceived: second line\n');
    server.kill('SIGINT');
    await server.done;
  }, 60_000);

  it('udp: prints Sent and Received, and reports a datagram nobody answers (exit 1)', async () => {
    const server = echo(['serve', '--udp', '0']);
    const port = await server.port(UDP);
    const ok = await echo([
      'client',
      'udp',
      '--port',
      String(port),
      '--timeout-ms',
      '10000',
      '-m',
      'ping',
      '-m',
      'pong',
    ]).done;
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('Sent: ping\nReceived: ping\nSent: pong\nReceived: pong\n');
    server.kill('SIGINT');
    await server.done;
    // Now nobody listens there.
    const lost = await echo([
      'client',
      'udp',
      '--port',
      String(port),
      '-m',
      'hello?',
      '--timeout-ms',
      '200',
    ]).done;
    expect(lost.code).toBe(1);
    expect(lost.stdout).toMatch(/^Sent: hello\?\nNo reply to hello\? /);
  }, 60_000);

  it.skipIf(!hasSocat())(
    'serial: echoes through a serial line (a pty pair)',
    async () => {
      const pty = await ptyPair();
      try {
        const server = echo(['serve', '--serial', pty.a, '--baud', '115200']);
        await server.waitLine(/^Serial echo on .* at 115200 baud$/);
        const r = await echo([
          'client',
          'serial',
          '--path',
          pty.b,
          '--baud',
          '115200',
          '-m',
          'over the wire',
          '-m',
          'and back',
        ]).done;
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toBe('Received: over the wire\nReceived: and back\n');
        server.kill('SIGINT');
        const s = await server.done;
        expect(s.code, s.stderr).toBe(0);
        expect(s.stdout).toContain('Received: over the wire\n');
      } finally {
        await pty.close();
      }
    },
    60_000,
  );
});

describe.skipIf(!hasPython)('with the asyncio documentation scripts (CPython 3.13)', () => {
  it('aiots-echo client tcp talks to the Python TCP echo server', async () => {
    const server = py('tcp_echo_server.py', ['0']);
    const port = await server.port(/^Serving on \('127\.0\.0\.1', \d+\)$/);
    const r = await echo([
      'client',
      'tcp',
      '--port',
      String(port),
      '-m',
      'Hello World!',
      '-m',
      'again',
    ]).done;
    expect(r.code, r.stderr).toBe(0);
    // The Python server answers one read and closes: the client reconnects for the second.
    expect(r.stdout).toBe('Received: Hello World!\nReceived: again\n');
    await server.waitLine(/^Received 'Hello World!\\n' from \('127\.0\.0\.1', \d+\)$/);
    server.kill('SIGTERM');
    await server.done;
  }, 60_000);

  it('the Python TCP client talks to aiots-echo serve', async () => {
    const server = echo(['serve', '--tcp', '0']);
    const port = await server.port(TCP);
    const r = await py('tcp_echo_client.py', [String(port)]).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("Send: 'Hello World!'\nReceived: 'Hello World!'\nClose the connection\n");
    server.kill('SIGINT');
    const s = await server.done;
    expect(s.stdout).toContain('Received: Hello World!\n'); // logged at its EOF: it sent no newline
  }, 60_000);

  it('aiots-echo client udp talks to the Python UDP echo server', async () => {
    const server = py('udp_echo_server.py', ['0']);
    const port = await server.port(/^Serving on \('127\.0\.0\.1', \d+\)$/);
    const r = await echo([
      'client',
      'udp',
      '--port',
      String(port),
      '--timeout-ms',
      '10000',
      '-m',
      'Hello World!',
    ]).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Sent: Hello World!\nReceived: Hello World!\n');
    await server.waitLine(/^Received 'Hello World!' from \('127\.0\.0\.1', \d+\)$/);
    server.kill('SIGTERM');
    await server.done;
  }, 60_000);

  it('the Python UDP client talks to aiots-echo serve', async () => {
    const server = echo(['serve', '--udp', '0']);
    const port = await server.port(UDP);
    const r = await py('udp_echo_client.py', [String(port)]).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'Send: Hello World!\nReceived: Hello World!\nClose the socket\nConnection closed\n',
    );
    server.kill('SIGINT');
    const s = await server.done;
    expect(s.stdout).toMatch(/\nReceived Hello World! from 127\.0\.0\.1:\d+\n/);
  }, 60_000);
});
