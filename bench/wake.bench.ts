/**
 * The I/O wake path: a task parked on a Future that a Node callback settles (data arrived
 * on a socket), against the same ping-pong driven by raw callbacks and by a native promise.
 * Streams, UDP and HTTP resume tasks exactly this way, so this is their floor.
 *
 * A 64-byte ping-pong over loopback TCP with an echo server in the same process: one round
 * trip is one write, one 'data' callback on the server, one write back, one 'data'
 * callback on the client, and (except for raw callbacks) one wakeup of the waiting code.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type Future, getRunningLoop, run } from '@aiots/loop';
import { compare } from './harness.ts';

const N = 20_000;
const PING = Buffer.alloc(64, 7);

async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { server, port: address.port };
}

async function client(port: number): Promise<Socket> {
  const sock = connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  return sock;
}

/** Counts 64-byte replies in `d` (TCP may coalesce or split them). */
function replies(state: { bytes: number }, d: Buffer): number {
  state.bytes += d.length;
  const n = Math.floor(state.bytes / 64);
  state.bytes -= n * 64;
  return n;
}

const { server, port } = await echoServer();
const sockets = await Promise.all([client(port), client(port), client(port)]);
const [rawSock, nativeSock, futureSock] = sockets as [Socket, Socket, Socket];

function rawCallbacks(): Promise<void> {
  return new Promise((resolve) => {
    let left = N;
    const state = { bytes: 0 };
    const onData = (d: Buffer): void => {
      left -= replies(state, d);
      if (left > 0) rawSock.write(PING);
      else {
        rawSock.off('data', onData);
        resolve();
      }
    };
    rawSock.on('data', onData);
    rawSock.write(PING);
  });
}

async function nativePromise(): Promise<void> {
  let wake: ((n: number) => void) | undefined;
  const state = { bytes: 0 };
  const onData = (d: Buffer): void => {
    const n = replies(state, d);
    if (n > 0 && wake !== undefined) {
      const w = wake;
      wake = undefined;
      w(n);
    }
  };
  nativeSock.on('data', onData);
  for (let left = N; left > 0; ) {
    const got = new Promise<number>((resolve) => {
      wake = resolve;
    });
    nativeSock.write(PING);
    left -= await got;
  }
  nativeSock.off('data', onData);
}

function aiotsFuture(): Promise<void> {
  return run(async () => {
    const loop = getRunningLoop();
    let wake: Future<number> | undefined;
    const state = { bytes: 0 };
    const onData = (d: Buffer): void => {
      const n = replies(state, d);
      if (n > 0 && wake !== undefined) {
        const w = wake;
        wake = undefined;
        w.setResult(n);
      }
    };
    futureSock.on('data', onData);
    for (let left = N; left > 0; ) {
      const got = loop.createFuture<number>();
      wake = got;
      futureSock.write(PING);
      left -= await got;
    }
    futureSock.off('data', onData);
  });
}

await compare(
  `I/O wake: 64-byte TCP ping-pong, a task woken by a Future set from the socket's callback (${N})`,
  { name: 'task awaits a Future set in the data callback', fn: aiotsFuture },
  [
    { name: 'native promise resolved in the data callback', fn: nativePromise },
    { name: 'raw callbacks', fn: rawCallbacks },
  ],
  { ops: N, target: [{ vs: 'native promise', atMost: 1.15 }] },
);

for (const s of sockets) s.destroy();
server.close();
