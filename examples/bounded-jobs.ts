// The root README's example: bounded fan-out with a task group, results through a queue.
import { run, sleep, taskGroup } from '@aiots/loop';
import { Queue } from '@aiots/sync';

// Ten jobs, at most three at a time; one consumer adds up what they produce.
const [total, peak] = await run(async () => {
  const results = new Queue<number>();
  let sum = 0;
  let running = 0;
  let most = 0;
  await taskGroup(async (tg) => {
    tg.createTask(async () => {
      for await (const n of results) sum += n; // until the queue is shut down and drained
    });
    await taskGroup(
      async (jobs) => {
        for (let i = 1; i <= 10; i++) {
          jobs.createTask(async () => {
            most = Math.max(most, ++running);
            await sleep(5);
            running--;
            await results.put(i);
          });
        }
      },
      { limit: 3 },
    );
    results.shutdown();
  });
  return [sum, most];
});
console.log(total, peak); // 55 3
