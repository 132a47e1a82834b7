/**
 * @aiots/streams against raw Node sockets and CPython 3.13's asyncio, on loopback. Each
 * side runs its own echo server and its own client over one connection made before timing;
 * every timed call does the same work on it.
 *
 * - Bulk echo: 64 KiB chunks written with back-pressure (write + drain; raw: `write()`
 *   and 'drain') while the echo is read back (`read(65536)`; raw: 'data'); raw's server is
 *   `socket.pipe(socket)`. Target: at least 0.85x the raw throughput.
 * - Line round trips: a 64-byte line written, drained and read back (`readline`) by a server
 *   that does the same; raw splits 'data' at newlines by hand. Target: at most 1.5x raw.
 * - UDP echo: one datagram out, its echo back, one at a time; ours with `openDatagram` on
 *   both ends (a server task looping on `recv()`), raw with `dgram` callbacks. Target: at
 *   least 0.8x raw's rate.
 * - CPython: asyncio_echo.py runs asyncio's server and client on the same work (when a
 *   Python 3.13 is found: AIOTS_PYTHON, pyenv's 3.13.0, or python3.13 on the PATH).
 *   Targets: at least 3x its round-trip rate and 1.2x its bulk throughput.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import { homedir } from 'node:os';
import { createInterface } from 'node:readline';
import { createTask, run } from '@aiots/loop';
import { openConnection, openDatagram, startServer } from '@aiots/streams';
import { compare, type Entry } from './harness.ts';

const CHUNK = 65536;
const BULK_CHUNKS = 512; // 32 MiB per run
const LINES = 5_000;
const DATAGRAMS = 5_000;
const LINE = Buffer.from(`${'x'.repeat(63)}\n`);
const BLOCK = Buffer.alloc(CHUNK, 0x79);

// ---- ours -------------------------------------------------------------------------------

async function oursStreams() {
  const server = await startServer(
    async (reader, writer) => {
      for (;;) {
        const data = await reader.read(CHUNK);
        if (data.length === 0) break;
        writer.write(data);
        await writer.drain();
      }
      writer.close();
    },
    '127.0.0.1',
    0,
  );
  const lineServer = await startServer(
    async (reader, writer) => {
      for (;;) {
        const line = await reader.readline();
        if (line.length === 0) break;
        writer.write(line);
        await writer.drain();
      }
      writer.close();
    },
    '127.0.0.1',
    0,
  );
  const [br, bw] = await openConnection('127.0.0.1', server.address().port);
  const [lr, lw] = await openConnection('127.0.0.1', lineServer.address().port);
  return {
    bulk: async () => {
      const sender = createTask(async () => {
        for (let i = 0; i < BULK_CHUNKS; i++) {
          bw.write(BLOCK);
          await bw.drain();
        }
      });
      let got = 0;
      while (got < BULK_CHUNKS * CHUNK) got += (await br.read(CHUNK)).length;
      await sender;
    },
    lines: async () => {
      for (let i = 0; i < LINES; i++) {
        lw.write(LINE);
        await lw.drain();
        await lr.readline();
      }
    },
    async close() {
      bw.close();
      lw.close();
      server.close();
      lineServer.close();
      await server.waitClosed();
      await lineServer.waitClosed();
    },
  };
}

async function oursUdp() {
  const server = await openDatagram({ localAddr: { address: '127.0.0.1', port: 0 } });
  const echo = createTask(async () => {
    for await (const [data, from] of server) server.send(data, from);
  });
  const client = await openDatagram({ remoteAddr: server.address() });
  return {
    pingPong: async () => {
      for (let i = 0; i < DATAGRAMS; i++) {
        client.send(LINE);
        await client.recv();
      }
    },
    async close() {
      client.close();
      server.close();
      await echo;
    },
  };
}

// ---- raw Node ---------------------------------------------------------------------------

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
  });
}

async function rawSockets() {
  const bulkServer = net.createServer({ noDelay: true }, (s) => s.pipe(s));
  const lineServer = net.createServer({ noDelay: true }, (s) => {
    let pending = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      pending += d;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        s.write(pending.slice(0, nl + 1), 'latin1');
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
    });
  });
  const bulkSock = await connect(await listen(bulkServer));
  const lineSock = await connect(await listen(lineServer));
  return {
    bulk: () =>
      new Promise<void>((resolve) => {
        const total = BULK_CHUNKS * CHUNK;
        let got = 0;
        let sent = 0;
        const onData = (d: Buffer) => {
          got += d.length;
          if (got >= total) {
            bulkSock.off('data', onData);
            resolve();
          }
        };
        bulkSock.on('data', onData);
        const pump = () => {
          while (sent < BULK_CHUNKS) {
            sent++;
            if (!bulkSock.write(BLOCK)) {
              bulkSock.once('drain', pump);
              return;
            }
          }
        };
        pump();
      }),
    lines: () =>
      new Promise<void>((resolve) => {
        let left = LINES;
        let pending = 0;
        const onData = (d: Buffer) => {
          // Count whole lines; each answer sends the next line.
          for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) pending++;
          while (pending > 0) {
            pending--;
            if (--left === 0) {
              lineSock.off('data', onData);
              resolve();
              return;
            }
            lineSock.write(LINE);
          }
        };
        lineSock.on('data', onData);
        lineSock.write(LINE);
      }),
    close() {
      bulkSock.destroy();
      lineSock.destroy();
      bulkServer.close();
      lineServer.close();
    },
  };
}

async function rawUdp() {
  const server = dgram.createSocket('udp4');
  server.on('message', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.connect(server.address().port, '127.0.0.1', () => r()));
  return {
    pingPong: () =>
      new Promise<void>((resolve) => {
        let left = DATAGRAMS;
        const onMessage = () => {
          if (--left === 0) {
            client.off('message', onMessage);
            resolve();
          } else client.send(LINE);
        };
        client.on('message', onMessage);
        client.send(LINE);
      }),
    close() {
      client.close();
      server.close();
    },
  };
}

// ---- CPython asyncio --------------------------------------------------------------------

function findPython(): string | undefined {
  const candidates = [
    process.env.AIOTS_PYTHON,
    `${homedir()}/.pyenv/versions/3.13.0/bin/python3`,
    'python3.13',
  ];
  for (const c of candidates) {
    if (c === undefined) continue;
    if (c.includes('/') && !existsSync(c)) continue;
    try {
      const v = execFileSync(c, ['-c', 'import sys; print(sys.version_info[:2] >= (3, 13))']);
      if (v.toString().trim() === 'True') return c;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

async function cpython(python: string) {
  const proc: ChildProcess = spawn(
    python,
    [new URL('./asyncio_echo.py', import.meta.url).pathname],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream })[
    Symbol.asyncIterator
  ]();
  const next = async () => (await lines.next()).value as string;
  if ((await next()) !== 'ready') throw new Error('asyncio_echo.py did not start');
  // Answers with the wall and CPU seconds Python measured itself: the harness's CPU column
  // counts this process only, so Python's own CPU time is summed here and printed apart.
  let cpuSeconds = 0;
  let calls = 0;
  const ask = async (cmd: string) => {
    proc.stdin?.write(`${cmd}\n`);
    const [wall, cpu] = (await next()).split(' ').map(Number);
    cpuSeconds += cpu ?? 0;
    calls++;
    return wall ?? 0;
  };
  return {
    ask,
    /** Python's own CPU time per call since the last reset, in microseconds; then resets. */
    cpuPerCallUs() {
      const us = calls === 0 ? 0 : (cpuSeconds / calls) * 1e6;
      cpuSeconds = 0;
      calls = 0;
      return us;
    },
    close() {
      proc.stdin?.end('quit\n');
    },
  };
}

// ---- the comparisons --------------------------------------------------------------------

// The peers are set up outside any aiots context, so their callbacks do not run in ours.
const raw = await rawSockets();
const ru = await rawUdp();
const python = findPython();
const py = python === undefined ? undefined : await cpython(python);
if (py === undefined) console.log('(no CPython 3.13 found: the asyncio rows are left out)');

await run(async () => {
  const ours = await oursStreams();

  // The harness times the whole call (command, work, answer: the pipe round trip is well
  // under 1% of a run). Its CPU-time column counts this process only, so for the CPython
  // rows only wall time means anything.
  const pyEntry = (name: string, cmd: string): Entry[] =>
    py === undefined ? [] : [{ name, fn: async () => void (await py.ask(cmd)) }];

  const pyCpu = (what: string, ops: number) => {
    if (py !== undefined) {
      console.log(
        `    (CPython's own CPU time: ${(py.cpuPerCallUs() / ops).toFixed(1)} us/op ${what})`,
      );
    }
  };

  py?.cpuPerCallUs();
  await compare(
    `bulk echo, ${BULK_CHUNKS} x 64 KiB chunks (MiB)`,
    { name: 'StreamReader/StreamWriter', fn: ours.bulk },
    [
      { name: 'raw net.Socket (pipe)', fn: raw.bulk },
      ...pyEntry('CPython 3.13 asyncio streams', `bulk ${BULK_CHUNKS}`),
    ],
    {
      ops: (BULK_CHUNKS * CHUNK) / (1 << 20),
      target: [
        { vs: 'raw net.Socket', atMost: 1.17 }, // 0.85x the throughput
        ...(py ? [{ vs: 'CPython', atLeast: 1.2 }] : []),
      ],
    },
  );
  pyCpu('(per MiB)', (BULK_CHUNKS * CHUNK) / (1 << 20));

  py?.cpuPerCallUs();
  await compare(
    `line round trips, ${LINES} x 64-byte lines (readline + write + drain)`,
    { name: 'StreamReader/StreamWriter', fn: ours.lines },
    [
      { name: 'raw net.Socket', fn: raw.lines },
      ...pyEntry('CPython 3.13 asyncio streams', `lines ${LINES}`),
    ],
    {
      ops: LINES,
      target: [
        { vs: 'raw net.Socket', atMost: 1.5 },
        ...(py ? [{ vs: 'CPython', atLeast: 3 }] : []),
      ],
    },
  );
  pyCpu('(per round trip)', LINES);

  const ud = await oursUdp();
  await compare(
    `UDP echo, ${DATAGRAMS} datagrams one at a time`,
    { name: 'openDatagram recv/send', fn: ud.pingPong },
    [{ name: 'raw dgram', fn: ru.pingPong }],
    { ops: DATAGRAMS, target: { vs: 'raw dgram', atMost: 1.25 } }, // 0.8x the rate
  );

  await ours.close();
  await ud.close();
});
raw.close();
ru.close();
py?.close();
