/**
 * Entry script of a ProcessPoolExecutor child process (started with `fork`, IPC with
 * `serialization: 'advanced'`). The crash hooks report the running job before the process
 * dies; SIGKILL and out-of-memory aborts cannot be hooked, and the pool falls back to the
 * STARTED marker (see worker-runtime.js).
 *
 * The child lives only as long as its parent, and only its parent stops it:
 * - Ctrl-C in a terminal sends SIGINT to the whole foreground process group, children
 *   included, and service managers often send SIGTERM to every process of a service. The
 *   child ignores both, so the parent decides: a program that lets its running jobs finish
 *   gets their results. The parent stops its children with a message or SIGKILL.
 * - A parent that exits kills its children (an 'exit' hook in process-pool.ts). A parent
 *   killed by a signal runs no hook, and a child busy in a synchronous job cannot see the
 *   IPC channel close, so a watchdog thread checks `process.ppid` a few times a second and
 *   kills this process when the parent has changed (the child was reparented).
 */
import { Worker } from 'node:worker_threads';
import { encodeError, runtimeError } from './error-encode.js';
import { MSG_EXIT, MSG_READY, RUNTIME_KEY } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

const send = process.send?.bind(process);
if (send === undefined) throw new Error('process-worker.js must be started by ProcessPoolExecutor');

// The parent passes its pid: compared with `process.ppid` here, on the main thread before
// anything else runs, a parent that died while this process was starting is noticed too.
const parentPid = Number(process.argv[2]);
if (process.ppid !== parentPid) process.exit(0);

const WATCHDOG_MS = 200;
const watchdog = new Worker(
  `const { workerData } = require('node:worker_threads');
  setInterval(() => {
    if (process.ppid !== workerData.parentPid) process.kill(process.pid, 'SIGKILL');
  }, workerData.intervalMs);`,
  {
    eval: true,
    name: 'aiots-parent-watchdog',
    workerData: { parentPid, intervalMs: WATCHDOG_MS },
  },
);
watchdog.unref();
// A watchdog that fails to start or dies leaves the child unguarded, not broken.
watchdog.on('error', () => {});

const ignore = () => {};
process.on('SIGINT', ignore);
process.on('SIGTERM', ignore);

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
