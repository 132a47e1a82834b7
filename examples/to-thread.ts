// asyncio's to_thread() example: a blocking call (time.sleep standing in for any blocking
// I/O) runs on the loop's default thread pool while the loop sleeps as well, so the two
// take one second together, not two. The thread reports when it started and finished.
//   node --conditions=@aiots/source to-thread.ts
import { toThread } from '@aiots/executors';
import { gather, run, sleep } from '@aiots/loop';

// A job crosses to the thread as source text: it gets what it needs as arguments.
function blockingIo(startedAt: number): string[] {
  const at = () => `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
  const log = [`start blocking_io at ${at()}`];
  // Note that the sleep can be replaced with any blocking I/O, such as file operations.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  log.push(`blocking_io complete at ${at()}`);
  return log;
}

await run(async () => {
  const startedAt = Date.now();
  const at = () => `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
  console.log(`started main at ${at()}`);
  const [log] = await gather([toThread(blockingIo, startedAt), sleep(1000)]);
  for (const line of log) console.log(line);
  console.log(`finished main at ${at()}`);
});
