/**
 * Entry script of a ProcessPoolExecutor child process (started with `fork`, IPC with
 * `serialization: 'advanced'`). The crash hooks report the running job before the process
 * dies; SIGKILL and out-of-memory aborts cannot be hooked, and the pool falls back to the
 * STARTED marker (see worker-runtime.js).
 */
import { encodeError, runtimeError } from './error-encode.js';
import { MSG_EXIT, MSG_READY, RUNTIME_KEY } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

const send = process.send?.bind(process);
if (send === undefined) throw new Error('process-worker.js must be started by ProcessPoolExecutor');

const runtime = new WorkerRuntime({ post: (msg) => void send(msg) }, false);
/** @type {Record<symbol, unknown>} */ (globalThis)[RUNTIME_KEY] = runtime;

process.on('message', (/** @type {unknown[]} */ msg) => {
  if (msg[0] === MSG_EXIT) {
    runtime.exiting();
    process.exit(0);
  }
  runtime.onMessage(msg);
});
// The pool went away (it exited or closed the channel): nothing left to work for.
process.on('disconnect', () => {
  runtime.exiting();
  process.exit(0);
});
process.on('uncaughtException', (e) => {
  runtime.fatal(encodeError(e));
  process.exit(1);
});
process.on('exit', (code) => {
  runtime.fatal(runtimeError('Error', `The job called process.exit(${code})`, { exitCode: code }));
});
send([MSG_READY]);
