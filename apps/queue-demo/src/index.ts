/**
 * `@aiots/queue-demo`: Real Python's asyncq.py on `@aiots/loop` and `@aiots/sync`, as the
 * `aiots-queue-demo` command and as functions.
 *
 * @module
 */
export { cli } from './cli-main.ts';
export { PythonRandom } from './python-random.ts';
export { type QueueDemoOptions, queueDemo } from './queue-demo.ts';
