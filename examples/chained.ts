// Real Python's chained.py: each chain awaits part1, then hands its result to part2; the
// chains run concurrently, so the program takes as long as the slowest chain. Random sleeps
// from PythonRandom seeded with 444, as random.seed(444): with --virtual-time this prints
// what CPython prints (reference/chained.py, run on virtual time).
//   node --conditions=@aiots/source chained.ts [--virtual-time] [N ...]
import { createTask, gather, getRunningLoop, run, sleep } from '@aiots/loop';
import { PythonRandom } from '@aiots/queue-demo';
import { args, exampleClock } from './lib/clock.ts';

const random = new PythonRandom(444); // random.seed(444)

async function part1(n: number): Promise<string> {
  const i = random.randint(0, 10);
  console.log(`part1(${n}) sleeping for ${i} seconds.`);
  await sleep(i * 1000);
  const result = `result${n}-1`;
  console.log(`Returning part1(${n}) == ${result}.`);
  return result;
}

async function part2(n: number, arg: string): Promise<string> {
  const i = random.randint(0, 10);
  console.log(`part2(${n}, '${arg}') sleeping for ${i} seconds.`);
  await sleep(i * 1000);
  const result = `result${n}-2 derived from ${arg}`;
  console.log(`Returning part2(${n}, '${arg}') == ${result}.`);
  return result;
}

async function chain(n: number): Promise<void> {
  const loop = getRunningLoop();
  const start = loop.time();
  const p1 = await part1(n);
  const p2 = await part2(n, p1);
  const end = (loop.time() - start) / 1000;
  console.log(`-->Chained result${n} => ${p2} (took ${end.toFixed(2)} seconds).`);
}

async function main(ns: number[]): Promise<void> {
  await gather(ns.map((n) => createTask(() => chain(n))));
}

const ns = args.length === 0 ? [1, 2, 3] : args.map(Number);
const clock = exampleClock();
const start = clock.now();
await run(() => main(ns), { clock });
const end = (clock.now() - start) / 1000;
console.log(`Program finished in ${end.toFixed(2)} seconds.`);
