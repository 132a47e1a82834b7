/**
 * The shared stream conformance suite (@aiots/test-utils, trio's check_two_way_stream
 * style) on every transport of this package: TCP, TLS, Unix sockets, subprocess pipes.
 */
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, createTask, run, sleep } from '@aiots/loop';
import {
  ConnectionError,
  createSubprocessExec,
  IncompleteReadError,
  LimitOverrunError,
  openConnection,
  openUnixConnection,
  type Server,
  type StreamReader,
  type StreamWriter,
  startServer,
  startUnixServer,
} from '@aiots/streams';
import {
  type ConformanceKit,
  checkOneWayStream,
  checkTwoWayStream,
  selfSignedCert,
  type TwoWayPair,
} from '@aiots/test-utils';

const kit: ConformanceKit = {
  run,
  createTask,
  sleep,
  isCancelled: (e) => CancelledError.is(e),
  isLimitOverrun: (e) => LimitOverrunError.is(e),
  isIncompleteRead: (e) => IncompleteReadError.is(e),
  isConnectionError: (e) => ConnectionError.is(e),
};

const LIMIT = 1024;

type Endpoint = [StreamReader, StreamWriter];

/** Serves one connection and hands over its streams; `connect` opens the client side. */
async function pairOver(
  serve: (handler: (r: StreamReader, w: StreamWriter) => void) => Promise<Server>,
  connect: (server: Server) => Promise<Endpoint>,
  reset: (w: StreamWriter) => void,
): Promise<TwoWayPair> {
  const accepted = Promise.withResolvers<Endpoint>();
  const server = await serve((r, w) => accepted.resolve([r, w]));
  const left = await connect(server);
  const right = await accepted.promise;
  return {
    left,
    right,
    resetRight: () => reset(right[1]),
    async cleanup() {
      left[1].close();
      right[1].close();
      server.close({ cancelHandlers: true });
      server.abortClients();
      await server.waitClosed();
    },
  };
}

const socketOf = (w: StreamWriter) => w.getExtraInfo('socket') as Socket;

checkTwoWayStream(
  'TCP',
  () =>
    pairOver(
      (h) => startServer(h, '127.0.0.1', 0, { limit: LIMIT }),
      (s) => openConnection('127.0.0.1', s.address().port, { limit: LIMIT }),
      (w) => socketOf(w).resetAndDestroy(),
    ),
  { kit, halfClose: true },
);

const cert = selfSignedCert();

checkTwoWayStream(
  'TLS',
  () =>
    pairOver(
      (h) => startServer(h, '127.0.0.1', 0, { limit: LIMIT, tls: cert }),
      (s) =>
        openConnection('127.0.0.1', s.address().port, {
          limit: LIMIT,
          tls: { ca: cert.cert },
          serverHostname: 'localhost',
        }),
      (w) => socketOf(w).destroy(),
    ),
  { kit, halfClose: false },
);

let unixN = 0;
checkTwoWayStream(
  'Unix socket',
  () => {
    const path = join(tmpdir(), `aiots-conf-${process.pid}-${unixN++}.sock`);
    return pairOver(
      (h) => startUnixServer(h, path, { limit: LIMIT }),
      () => openUnixConnection(path, { limit: LIMIT }),
      (w) => socketOf(w).destroy(),
    );
  },
  { kit, halfClose: true },
);

checkOneWayStream(
  'subprocess pipes (through cat)',
  async () => {
    const proc = await createSubprocessExec('cat', [], {
      stdin: 'pipe',
      stdout: 'pipe',
      limit: LIMIT,
    });
    return {
      writer: proc.stdin as StreamWriter,
      reader: proc.stdout as StreamReader,
      async cleanup() {
        await proc[Symbol.asyncDispose]();
      },
    };
  },
  { kit, halfClose: true },
);
