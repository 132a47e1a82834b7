/**
 * Entry script of a ThreadPoolExecutor worker thread. The crash hooks report the running job
 * before the thread dies, so the pool fails only that job.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { encodeError, runtimeError } from './error-encode.js';
import { MSG_EXIT, MSG_READY, RUNTIME_KEY } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

const port = parentPort;
if (port === null) throw new Error('thread-worker.js must be started by ThreadPoolExecutor');

const runtime = new WorkerRuntime(
  { post: (msg, transfer) => port.postMessage(msg, transfer) },
  true,
  /** @type {{ running: Int32Array }} */ (workerData).running,
);
/** @type {Record<symbol, unknown>} */ (globalThis)[RUNTIME_KEY] = runtime;

port.on('message', (/** @type {unknown[]} */ msg) => {
  if (msg[0] === MSG_EXIT) {
    runtime.exiting();
    process.exit(0);
  }
  runtime.onMessage(msg);
});
process.on('uncaughtException', (e) => {
  runtime.fatal(encodeError(e));
  process.exit(1);
});
process.on('exit', (code) => {
  runtime.fatal(runtimeError('Error', `The job called process.exit(${code})`, { exitCode: code }));
});
port.postMessage([MSG_READY]);
