// asyncio.wait() with two coroutines: a fast one and a slow one. wait() returns the tasks
// that are done and those still pending, without raising or cancelling anything: first as
// soon as one is done, then with a timeout that the slow one outlasts, then for all.
//   node --conditions=@aiots/source wait-two.ts [--virtual-time]
import {
  ALL_COMPLETED,
  createTask,
  FIRST_COMPLETED,
  getRunningLoop,
  run,
  sleep,
  type Task,
  wait,
} from '@aiots/loop';
import { exampleClock } from './lib/clock.ts';

async function fast(): Promise<string> {
  await sleep(1000);
  return 'fast result';
}

async function slow(): Promise<string> {
  await sleep(3000);
  return 'slow result';
}

await run(
  async () => {
    const loop = getRunningLoop();
    const start = loop.time();
    const at = () => `[${((loop.time() - start) / 1000).toFixed(1)} s]`;
    const tasks: Task<string>[] = [
      createTask(fast, { name: 'fast' }),
      createTask(slow, { name: 'slow' }),
    ];
    const names = (set: Set<Task<unknown>>) =>
      tasks
        .filter((t) => set.has(t))
        .map((t) => t.getName())
        .join(', ') || 'none';

    let { done, pending } = await wait(tasks, { returnWhen: FIRST_COMPLETED });
    console.log(`${at()} FIRST_COMPLETED: done ${names(done)}; pending ${names(pending)}`);

    ({ done, pending } = await wait(pending, { timeoutMs: 1000 }));
    console.log(`${at()} after a 1 s timeout: done ${names(done)}; pending ${names(pending)}`);

    ({ done, pending } = await wait(tasks, { returnWhen: ALL_COMPLETED }));
    console.log(`${at()} ALL_COMPLETED: done ${names(done)}; pending ${names(pending)}`);
    for (const t of tasks) console.log(`${t.getName()}: ${t.result()}`);
  },
  { clock: exampleClock() },
);
