// The root README's example: ten jobs bounded by a Semaphore inside a task group.
import { run, sleep, taskGroup } from '@aiots/loop';
import { Semaphore } from '@aiots/sync';

// Ten jobs, at most three at a time; the group waits for all of them.
const done = await run(async () => {
  const sem = new Semaphore(3);
  let finished = 0;
  await taskGroup(async (tg) => {
    for (let i = 0; i < 10; i++) {
      tg.createTask(async () => {
        await using _permit = await sem.hold();
        await sleep(5);
        finished++;
      });
    }
  });
  return finished;
});
console.log(done); // 10
