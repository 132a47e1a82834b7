// asyncio's ThreadPoolExecutor seed: blocking calls moved off the event loop. Each job blocks
// its thread for 200 ms (as a synchronous file or database call would); four of them on two
// threads take about 400 ms instead of 800, and the loop keeps ticking meanwhile.
import { ThreadPoolExecutor } from '@aiots/executors';
import { createTask, getRunningLoop, run, sleep } from '@aiots/loop';

function blockingCall(id: number, ms: number): string {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); // block this thread
  return `call ${id} done`;
}

await run(async () => {
  const loop = getRunningLoop();
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  let ticks = 0;
  const heartbeat = createTask(async () => {
    for (;;) {
      await sleep(20);
      ticks++;
    }
  });
  const started = loop.time();
  const results = await Promise.all(
    [1, 2, 3, 4].map((id) => loop.runInExecutor(pool, blockingCall, id, 200)),
  );
  heartbeat.cancel();
  for (const r of results) console.log(r);
  console.log(`4 blocking calls on 2 threads took ${Math.round(loop.time() - started)} ms`);
  console.log(`the loop kept running meanwhile: ${ticks > 0 ? 'yes' : 'no'}`);
});
