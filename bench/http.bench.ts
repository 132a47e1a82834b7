/**
 * @aiots/http against its peers (issue 12, "Benchmarks"). A local node:http server runs in a
 * child process (http-server.mjs), so the server has its own event loop and core and every
 * client is measured on the same server; it answers a small JSON body on /json and 64 KiB
 * on /64k, with keep-alive.
 *
 * - 50 concurrent callers share N requests (each caller loops until none are left), reading
 *   each body whole (`json()`, or the bytes for 64 KiB): ours inside `run()` with one task
 *   per caller, against raw `undici.request` over an `Agent` with the same settings as the
 *   session's pool (100 connections per origin, 30 s connect timeout), the global `fetch`,
 *   got and axios (keep-alive agents of 100 sockets), and aiohttp's ClientSession (default
 *   connector, 100 connections) driven by http-aiohttp.py, which the bench runs and sends one
 *   command per timed run. aiohttp's CPU time is spent in Python: its CPU column is not
 *   comparable.
 * - A crawler's fan-out: 10,000 requests as `taskGroup({ limit: 50 })` children, each a task
 *   that gets and parses JSON, against `undici.request` under `p-limit(50)` + `Promise.all`.
 *
 * Every client keeps its connections between runs, as a long-lived application does.
 */
import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { Agent as HttpAgent } from 'node:http';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ClientSession } from '@aiots/http';
import { createTask, gather, run, type Task, taskGroup } from '@aiots/loop';
import axios from 'axios';
import got from 'got';
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import { compare } from './harness.ts';

const N = Number(process.env.AIOTS_BENCH_HTTP_N ?? 5_000);
const N_FANOUT = 10_000;
const CALLERS = 50;

// ---- the server, in a child process -----------------------------------------------------------

const server = spawn(
  process.execPath,
  [fileURLToPath(new URL('./http-server.mjs', import.meta.url))],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
const port = await new Promise<number>((resolve, reject) => {
  server.once('error', reject);
  createInterface({ input: server.stdout }).once('line', (line) => resolve(Number(line)));
});
const base = `http://127.0.0.1:${port}`;

// ---- the clients ------------------------------------------------------------------------------

const session = new ClientSession();
const agent = new Agent({ connections: 100, connect: { timeout: 30_000 } });
const nodeAgent = new HttpAgent({ keepAlive: true, maxSockets: 100 });
const gotClient = got.extend({ agent: { http: nodeAgent }, retry: { limit: 0 } });
const axiosClient = axios.create({ httpAgent: nodeAgent });

/** Runs `one()` N times in all from 50 concurrent callers. */
async function callers(n: number, one: () => Promise<unknown>): Promise<void> {
  let left = n;
  const caller = async () => {
    while (left > 0) {
      left--;
      await one();
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
}

/** Ours: inside run(), 50 tasks. */
function ours(n: number, path: string, read: 'json' | 'bytes'): () => Promise<void> {
  const url = base + path;
  return () =>
    run(async () => {
      let left = n;
      const caller = async () => {
        while (left > 0) {
          left--;
          const res = await session.get(url);
          if (read === 'json') await res.json();
          else await res.bytes();
        }
      };
      const tasks: Task<void>[] = [];
      for (let i = 0; i < CALLERS; i++) tasks.push(createTask(caller));
      await gather(tasks);
    });
}

function undiciCase(n: number, path: string, read: 'json' | 'bytes'): () => Promise<void> {
  const url = base + path;
  return () =>
    callers(n, async () => {
      const { body } = await request(url, { dispatcher: agent });
      if (read === 'json') await body.json();
      else await body.arrayBuffer();
    });
}

function fetchCase(n: number, path: string, read: 'json' | 'bytes'): () => Promise<void> {
  const url = base + path;
  return () =>
    callers(n, async () => {
      const res = await fetch(url);
      if (read === 'json') await res.json();
      else await res.arrayBuffer();
    });
}

function gotCase(n: number, path: string, read: 'json' | 'bytes'): () => Promise<void> {
  const url = base + path;
  return () =>
    callers(n, async () => {
      if (read === 'json') await gotClient(url).json();
      else await gotClient(url).buffer();
    });
}

function axiosCase(n: number, path: string, read: 'json' | 'bytes'): () => Promise<void> {
  const url = base + path;
  return () =>
    callers(n, async () => {
      await axiosClient.get(url, { responseType: read === 'json' ? 'json' : 'arraybuffer' });
    });
}

// ---- aiohttp, in a Python process -------------------------------------------------------------

// Skipped (with a note) where the system python3 has no aiohttp.
const hasAiohttp =
  spawnSync('/usr/bin/python3', ['-c', 'import aiohttp'], { stdio: 'ignore' }).status === 0;
let python: ChildProcessByStdio<Writable, Readable, null> | undefined;
let pythonLines: AsyncIterator<string> | undefined;
if (hasAiohttp) {
  python = spawn(
    '/usr/bin/python3',
    [fileURLToPath(new URL('./http-aiohttp.py', import.meta.url))],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  pythonLines = createInterface({ input: python.stdout })[Symbol.asyncIterator]();
} else {
  console.log('  (aiohttp is not installed for /usr/bin/python3: its comparisons are skipped)');
}

function aiohttpCase(n: number, path: string, read: 'json' | 'bytes'): () => Promise<void> {
  return async () => {
    python?.stdin.write(`${base}${path} ${n} ${read}\n`);
    const reply = await pythonLines?.next();
    if (reply?.value !== 'done')
      throw new Error(`aiohttp driver answered ${JSON.stringify(reply?.value)}`);
  };
}

// ---- the comparisons --------------------------------------------------------------------------

for (const [label, path, read] of [
  ['small JSON', '/json', 'json'],
  ['64 KiB bodies', '/64k', 'bytes'],
] as const) {
  const peers = [
    { name: 'undici.request (same Agent settings)', fn: undiciCase(N, path, read) },
    { name: 'global fetch', fn: fetchCase(N, path, read) },
    { name: 'got', fn: gotCase(N, path, read) },
    { name: 'axios', fn: axiosCase(N, path, read) },
  ];
  if (python !== undefined)
    peers.push({ name: 'aiohttp ClientSession (Python)', fn: aiohttpCase(N, path, read) });
  await compare(
    `${N} GETs of ${label}, 50 concurrent callers`,
    { name: 'ClientSession', fn: ours(N, path, read) },
    peers,
    {
      ops: N,
      target: [
        { vs: 'undici.request', atLeast: 0.9 },
        { vs: 'global fetch', atLeast: 2 },
        { vs: 'got', atLeast: 1 },
        { vs: 'axios', atLeast: 1 },
        ...(python === undefined ? [] : [{ vs: 'aiohttp', atLeast: 2 }]),
      ],
    },
  );
}

await compare(
  `fan-out of ${N_FANOUT} GETs (small JSON), 50 at a time`,
  {
    name: 'taskGroup({ limit: 50 }) + ClientSession',
    fn: () =>
      run(async () => {
        const url = `${base}/json`;
        await taskGroup(
          async (tg) => {
            for (let i = 0; i < N_FANOUT; i++) {
              tg.createTask(async () => (await session.get(url)).json());
            }
          },
          { limit: 50 },
        );
      }),
  },
  [
    {
      name: 'undici.request + p-limit(50)',
      fn: async () => {
        const url = `${base}/json`;
        const limit = pLimit(50);
        const all = new Array<Promise<unknown>>(N_FANOUT);
        for (let i = 0; i < N_FANOUT; i++) {
          all[i] = limit(async () => (await request(url, { dispatcher: agent })).body.json());
        }
        await Promise.all(all);
      },
    },
  ],
  { ops: N_FANOUT, target: { vs: 'undici.request + p-limit', atLeast: 0.9 } },
);

await session.close();
await agent.close();
nodeAgent.destroy();
python?.stdin.end();
server.stdin.end();
