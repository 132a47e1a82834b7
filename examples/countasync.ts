// Real Python's countasync.py: three count() coroutines sleep at the same time, so the
// program takes one second, not three (compare countsync.ts).
//   node --conditions=@aiots/source countasync.ts [--virtual-time]
import { basename } from 'node:path';
import { createTask, gather, run, sleep } from '@aiots/loop';
import { exampleClock } from './lib/clock.ts';

async function count(): Promise<void> {
  console.log('One');
  await sleep(1000);
  console.log('Two');
}

async function main(): Promise<void> {
  // asyncio.gather() wraps each coroutine in a Task; here the tasks are made explicitly.
  await gather([createTask(count), createTask(count), createTask(count)]);
}

const clock = exampleClock();
const s = clock.now();
await run(main, { clock });
const elapsed = (clock.now() - s) / 1000;
console.log(`${basename(import.meta.filename)} executed in ${elapsed.toFixed(2)} seconds.`);
