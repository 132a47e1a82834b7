// A tour of @aiots/loop: concurrent tasks, gather, a timeout that fires and a task group.
// It runs on a VirtualClock, so seconds of sleeping take no real time at all.
import {
  createTask,
  gather,
  getRunningLoop,
  run,
  sleep,
  TimeoutError,
  taskGroup,
  timeout,
  VirtualClock,
} from '@aiots/loop';

let start = 0;
const log = (line: string) =>
  console.log(`[t=${String(getRunningLoop().time() - start).padStart(5)} ms] ${line}`);

async function download(name: string, ms: number): Promise<string> {
  await sleep(ms);
  log(`downloaded ${name}`);
  return `${name} (${ms} ms)`;
}

async function main(): Promise<number> {
  start = getRunningLoop().time();
  log('gather: three downloads at once');
  const pages = await gather([
    createTask(() => download('alpha', 300), { name: 'alpha' }),
    createTask(() => download('beta', 100), { name: 'beta' }),
    createTask(() => download('gamma', 200), { name: 'gamma' }),
  ]);
  log(`gather: all done, in order: ${pages.join(', ')}`);

  log('timeout: a 10 s call under a 500 ms deadline');
  try {
    await timeout(500, () => sleep(10_000));
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    log('timeout: gave up, the slow call was cancelled');
  }

  log('taskGroup: three workers, the group waits for all of them');
  const total = await taskGroup(async (tg) => {
    const workers = [3, 1, 2].map((n) =>
      tg.createTask(async () => {
        await sleep(n * 1000);
        log(`worker ${n} finished`);
        return n;
      }),
    );
    return workers;
  });
  log(`taskGroup: sum of results = ${total.reduce((sum, task) => sum + task.result(), 0)}`);
  return getRunningLoop().time() - start;
}

const realStart = performance.now();
const virtualMs = await run(main, { clock: new VirtualClock() });
const realMs = Math.round(performance.now() - realStart);
console.log(`done: ${virtualMs} ms of virtual time in ${realMs} ms of real time`);
