// asyncio's ProcessPoolExecutor seed: CPU-bound work in child processes, results in order.
// The job is a module export (asyncio's "picklable task"): it crosses to the workers by URL.
import { ProcessPoolExecutor } from '@aiots/executors';
import { run } from '@aiots/loop';

const countPrimes = { module: new URL('./jobs/primes.ts', import.meta.url), name: 'countPrimes' };

await run(async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
  const limits = [10_000, 20_000, 50_000, 100_000];
  let i = 0;
  for await (const count of pool.map<number, number>(countPrimes, limits)) {
    console.log(`primes below ${limits[i++]}: ${count}`);
  }
  const stats = pool.stats();
  console.log(`${stats.completed} jobs on ${stats.maxWorkers} processes, ${stats.failed} failed`);
});
