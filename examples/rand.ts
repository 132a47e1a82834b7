// Real Python's rand.py: three coroutines each draw random numbers until one is above their
// threshold, sleeping between tries; each prints in its own color. PythonRandom seeded with
// 444 draws what Python's random module draws after random.seed(444), so with
// --virtual-time this prints what CPython prints (reference/rand.py, run on virtual time).
//   node --conditions=@aiots/source rand.ts [--virtual-time]
import { createTask, gather, run, sleep } from '@aiots/loop';
import { PythonRandom } from '@aiots/queue-demo';
import { exampleClock } from './lib/clock.ts';

const random = new PythonRandom(444); // random.seed(444)

// ANSI colors
const c = [
  '\x1b[0m', // End of color
  '\x1b[36m', // Cyan
  '\x1b[91m', // Red
  '\x1b[35m', // Magenta
];

async function makerandom(idx: number, threshold = 6): Promise<number> {
  console.log(`${c[idx + 1]}Initiated makerandom(${idx}).`);
  let i = random.randint(0, 10);
  while (i <= threshold) {
    console.log(`${c[idx + 1]}makerandom(${idx}) == ${i} too low; retrying.`);
    await sleep((idx + 1) * 1000);
    i = random.randint(0, 10);
  }
  console.log(`${c[idx + 1]}---> Finished: makerandom(${idx}) == ${i}${c[0]}`);
  return i;
}

async function main(): Promise<number[]> {
  return gather([0, 1, 2].map((i) => createTask(() => makerandom(i, 10 - i - 1))));
}

const [r1, r2, r3] = await run(main, { clock: exampleClock() });
console.log();
console.log(`r1: ${r1}, r2: ${r2}, r3: ${r3}`);
