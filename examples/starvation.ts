// Event-loop starvation and its two fixes. A heartbeat task wants to tick every 10 ms while
// another task does 300 ms of CPU work:
// 1. done in one synchronous stretch, the work starves the loop: no tick until it ends;
// 2. with `await checkpoint()` every few thousand iterations, other tasks run in between;
// 3. with toThread(), the work runs on a worker thread and the loop stays free.
//   node --conditions=@aiots/source starvation.ts
import { toThread } from '@aiots/executors';
import { checkpoint, createTask, run, sleep } from '@aiots/loop';

const WORK_MS = 300;

/** Spins the CPU for `ms` milliseconds; with `every`, calls `pause` every `every` iterations. */
async function work(ms: number, every = 0, pause?: () => Promise<void>): Promise<number> {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    n++;
    if (every > 0 && n % every === 0) await pause?.();
  }
  return n;
}

/** Runs `job` while a heartbeat task ticks every 10 ms; returns the ticks during the job. */
async function withHeartbeat(job: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  const heartbeat = createTask(async () => {
    for (;;) {
      await sleep(10);
      ticks++;
    }
  });
  await sleep(0); // let the heartbeat start
  const before = ticks;
  await job();
  const during = ticks - before;
  heartbeat.cancel();
  return during;
}

await run(async () => {
  console.log(`a heartbeat every 10 ms, and ${WORK_MS} ms of CPU work done three ways:`);

  const blocked = await withHeartbeat(() => work(WORK_MS));
  console.log(`1. in one stretch: ${blocked} heartbeats during the work (the loop was starved)`);

  const yielded = await withHeartbeat(() => work(WORK_MS, 5_000, checkpoint));
  console.log(
    `2. with checkpoint(): heartbeats during the work: ${yielded > 0 ? 'yes' : 'no'} (${yielded})`,
  );

  // A thread job is sent as source text: it gets what it needs as arguments.
  const spin = (ms: number) => {
    const end = performance.now() + ms;
    let n = 0;
    while (performance.now() < end) n++;
    return n;
  };
  const threaded = await withHeartbeat(() => toThread(spin, WORK_MS));
  console.log(
    `3. with toThread(): heartbeats during the work: ${threaded > 0 ? 'yes' : 'no'} (${threaded})`,
  );
});
