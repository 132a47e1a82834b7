/**
 * Real Python's asyncq.py, ported line for line: producers put random items on a Queue after
 * random sleeps, consumers take them after random sleeps of their own, and the program ends
 * when every item has been processed (`join()`), cancelling the consumers, which loop forever.
 *
 * The random numbers are drawn in the seed's order from a CPython-compatible generator, so
 * on a virtual clock the schedule is exactly what CPython prints for the same seed.
 */
import { randomBytes } from 'node:crypto';
import { createTask, gather, getRunningLoop, sleep } from '@aiots/loop';
import { Queue } from '@aiots/sync';
import { describe } from './describe.ts';
import { PythonRandom } from './python-random.ts';

/** Options of `queueDemo`. */
export interface QueueDemoOptions {
  /** Number of producers (default 5, as the seed's `-p`). */
  nprod?: number;
  /** Number of consumers (default 10, as the seed's `-c`). */
  ncon?: number;
  /** Where the sleeps and item counts come from (default: `new PythonRandom(444)`). */
  random?: PythonRandom;
  /** Receives each line of output (default: `console.log`). */
  print?: (line: string) => void;
}

function checkCount(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`queueDemo() expected \`${name}\` to be a number, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `queueDemo() expected \`${name}\` to be an integer from ${min} and up, got ${value}`,
    );
  }
  return value;
}

/**
 * Runs the seed's producers and consumers (its `main(nprod, ncon)`) in the current loop and
 * returns when every item put has been got and marked done; the consumers are then
 * cancelled. Prints `Producer 0 sleeping for 3 seconds.`, `Producer 0 added <377b1e8f82> to
 * queue.`, `Consumer 1 got element <377b1e8f82> in 0.00013 seconds.` and so on; the
 * caller prints the `Program completed in X seconds.` line. Sleeps are whole seconds of the
 * loop's clock: run it on a `VirtualClock` to have them take no real time.
 *
 * Cancelling the calling task cancels the producers and consumers.
 *
 * @param options Producer and consumer counts, the random generator, the output.
 * @returns When every item is processed.
 * @throws {TypeError} when a count is not a number, `random` not a PythonRandom or `print`
 *   not a function. {RangeError} when a count is not an integer, `nprod` is below 0 or
 *   `ncon` below 1 (items would never be taken).
 * @example
 * ```ts
 * import { run, VirtualClock } from '@aiots/loop';
 * import { PythonRandom, queueDemo } from '@aiots/queue-demo';
 * const lines: string[] = [];
 * await run(() => queueDemo({ nprod: 2, ncon: 3, random: new PythonRandom(444), print: (l) => lines.push(l) }), {
 *   clock: new VirtualClock(),
 * });
 * console.log(lines[0]); // Producer 0 sleeping for 4 seconds.
 * console.log(lines.filter((l) => l.includes(' got element ')).length); // 4
 * ```
 */
export async function queueDemo(options: QueueDemoOptions = {}): Promise<void> {
  const nprod = checkCount(options.nprod ?? 5, 'nprod', 0);
  const ncon = checkCount(options.ncon ?? 10, 'ncon', 1);
  const random = options.random ?? new PythonRandom(444);
  if (!(random instanceof PythonRandom)) {
    throw new TypeError(
      `queueDemo() expected \`random\` to be a PythonRandom, got ${describe(random)}`,
    );
  }
  const print = options.print ?? ((line: string) => console.log(line));
  if (typeof print !== 'function') {
    throw new TypeError(`queueDemo() expected \`print\` to be a function, got ${describe(print)}`);
  }
  const loop = getRunningLoop();

  // In asyncq.py this is a coroutine too; `await makeitem()` there never suspends.
  const makeitem = (size = 5): string => randomBytes(size).toString('hex');

  async function randsleep(caller?: string): Promise<void> {
    const i = random.randint(0, 10);
    if (caller) print(`${caller} sleeping for ${i} seconds.`);
    await sleep(i * 1000);
  }

  async function produce(name: number, q: Queue<[string, number]>): Promise<void> {
    const n = random.randint(0, 10);
    for (let k = 0; k < n; k++) {
      await randsleep(`Producer ${name}`);
      const i = makeitem();
      const t = loop.time();
      // The queue is unbounded, so a put never waits: `await q.put()` in asyncq.py never
      // suspends either. (An `await` of the settled promise would still let the next task's
      // step run first, and the item could reach a different consumer than in CPython.)
      q.putNowait([i, t]);
      print(`Producer ${name} added <${i}> to queue.`);
    }
  }

  async function consume(name: number, q: Queue<[string, number]>): Promise<never> {
    for (;;) {
      await randsleep(`Consumer ${name}`);
      const [i, t] = await q.get();
      const now = loop.time();
      print(`Consumer ${name} got element <${i}> in ${((now - t) / 1000).toFixed(5)} seconds.`);
      q.taskDone();
    }
  }

  const q = new Queue<[string, number]>();
  const producers = Array.from({ length: nprod }, (_, n) => createTask(() => produce(n, q)));
  const consumers = Array.from({ length: ncon }, (_, n) => createTask(() => consume(n, q)));
  try {
    // `await asyncio.gather()` of nothing does not suspend (the consumers never start);
    // awaiting aiots's already-done gather would let them start and print.
    if (producers.length > 0) await gather(producers);
    await q.join(); // Implicitly awaits consumers, too
  } finally {
    for (const c of consumers) c.cancel();
    for (const p of producers) p.cancel();
  }
}
