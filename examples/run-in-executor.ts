// asyncio's run_in_executor() example: blocking I/O on the loop's default executor (a thread
// pool), then on a thread pool of our own, and CPU-bound work on a process pool.
//   node --conditions=@aiots/source run-in-executor.ts
import { ProcessPoolExecutor, ThreadPoolExecutor } from '@aiots/executors';
import { getRunningLoop, run } from '@aiots/loop';

// Jobs cross to a thread or process as source text, so they import what they need inside.

/** File operations (such as logging) can block the event loop: run them in a thread pool. */
async function blockingIo(): Promise<Uint8Array> {
  const { closeSync, openSync, readSync } = await import('node:fs');
  const fd = openSync('/dev/urandom', 'r');
  try {
    const buf = new Uint8Array(100);
    readSync(fd, buf, 0, 100, null);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** CPU-bound operations will block the event loop: in general, run them in a process pool. */
function cpuBound(): bigint {
  let sum = 0n;
  for (let i = 0n; i < 10n ** 7n; i++) sum += i * i;
  return sum;
}

await run(async () => {
  const loop = getRunningLoop();

  // 1. Run in the default loop's executor (importing @aiots/executors provides it):
  let bytes = await loop.runInExecutor(null, blockingIo);
  console.log('default thread pool', bytes.length, 'bytes');

  // 2. Run in a custom thread pool:
  {
    await using pool = new ThreadPoolExecutor();
    bytes = await loop.runInExecutor(pool, blockingIo);
    console.log('custom thread pool', bytes.length, 'bytes');
  }

  // 3. Run in a custom process pool:
  {
    await using pool = new ProcessPoolExecutor();
    const sum = await loop.runInExecutor(pool, cpuBound);
    console.log('custom process pool', String(sum));
  }
});
