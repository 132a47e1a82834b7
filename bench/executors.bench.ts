/**
 * @aiots/executors against its peers (issue 4, "Benchmarks"). Every pool is created once,
 * warmed up, and sized to two workers; all of them run the same job module
 * (executors-jobs.mjs), as their documentation shows.
 *
 * - 50,000 tiny jobs on 2 threads, `submit` + `Promise.all`, against piscina's `run`.
 * - The same on 2 child processes against tinypool's `child_process` runtime. Tinypool sends
 *   one IPC message per job each way and costs about 0.2 ms a job here, so it runs 5,000 jobs
 *   (ratios are per job).
 * - CPU-bound speed-up: 4 jobs of a ~200 ms computation on 2 workers, against the same four
 *   computations run one after another on the main thread (target: at most 0.6x of serial).
 * - A big argument: 20 jobs, each given an array of 50,000 small objects, on 2 threads,
 *   against piscina. Both clone each argument once (no target: it shows that `submit` adds
 *   no clone of its own).
 */
import { availableParallelism } from 'node:os';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '@aiots/executors';
import { run } from '@aiots/loop';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import { burn } from './executors-jobs.mjs';
import { compare } from './harness.ts';

const N = 50_000;
const N_TINYPOOL = 5_000;
const CPU_JOBS = 4;
const jobs = new URL('./executors-jobs.mjs', import.meta.url);
const inc = { module: jobs, name: 'default' } as const;
const burnJob = { module: jobs, name: 'burn' } as const;
const sizeJob = { module: jobs, name: 'size' } as const;
const BIG_JOBS = 20;
// One array per job: a batch clones an object given to several of its jobs only once.
const bigs = Array.from({ length: BIG_JOBS }, () =>
  Array.from({ length: 50_000 }, (_, i) => ({ i, name: `item ${i}`, tags: [i] })),
);

/**
 * The n for which `burn(n)` takes about `ms` of CPU on this machine. Measured in CPU time:
 * on a loaded machine, wall-clock time would include waiting for a core and give a smaller n.
 */
function calibrate(ms: number): number {
  const cpuMs = (n: number): number => {
    const c = process.cpuUsage();
    burn(n);
    const { user, system } = process.cpuUsage(c);
    return (user + system) / 1000;
  };
  let n = 1_000_000;
  while (cpuMs(n) < 20) n *= 2;
  // The optimizing compiler takes over during the first long calls: re-measure until stable.
  for (let i = 0; i < 4; i++) n = Math.round((n * ms) / cpuMs(n));
  return n;
}

const threads = new ThreadPoolExecutor({ maxWorkers: 2 });
const processes = new ProcessPoolExecutor({ maxWorkers: 2 });
const piscina = new Piscina({
  filename: jobs.href,
  minThreads: 2,
  maxThreads: 2,
  idleTimeout: 60_000,
});
const tinypool = new Tinypool({
  filename: jobs.href,
  runtime: 'child_process',
  minThreads: 2,
  maxThreads: 2,
  isolateWorkers: false,
});

function oursTiny(pool: ThreadPoolExecutor | ProcessPoolExecutor, n: number): () => Promise<void> {
  return async () => {
    const tasks = new Array(n);
    for (let i = 0; i < n; i++) tasks[i] = pool.submit(inc, i);
    await Promise.all(tasks);
  };
}

function peerTiny(pool: { run(x: unknown): Promise<unknown> }, n: number): () => Promise<void> {
  return async () => {
    const runs = new Array(n);
    for (let i = 0; i < n; i++) runs[i] = pool.run(i);
    await Promise.all(runs);
  };
}

await run(async () => {
  await compare(
    `${N} tiny module jobs on 2 threads`,
    { name: 'ThreadPoolExecutor submit + Promise.all', fn: oursTiny(threads, N) },
    [{ name: 'piscina run + Promise.all', fn: peerTiny(piscina, N) }],
    {
      ops: N,
      target: [
        { vs: 'piscina', atLeast: 1 },
        { vs: 'piscina', atLeast: 1.5 },
      ],
    },
  );

  await compare(
    `${N} tiny module jobs on 2 processes`,
    { name: 'ProcessPoolExecutor submit + Promise.all', fn: oursTiny(processes, N) },
    [
      {
        name: `tinypool child_process run + Promise.all (${N_TINYPOOL})`,
        fn: peerTiny(tinypool, N_TINYPOOL),
        ops: N_TINYPOOL,
      },
    ],
    { ops: N, rounds: 3, samples: 2, target: { vs: 'tinypool', atLeast: 1 } },
  );

  await compare(
    `${BIG_JOBS} jobs with a 50,000-object argument on 2 threads`,
    {
      name: 'ThreadPoolExecutor submit + Promise.all',
      fn: async () => {
        const tasks = [];
        for (let i = 0; i < BIG_JOBS; i++) tasks.push(threads.submit(sizeJob, bigs[i]));
        await Promise.all(tasks);
      },
    },
    [
      {
        name: 'piscina run + Promise.all',
        fn: async () =>
          void (await Promise.all(
            Array.from({ length: BIG_JOBS }, (_, i) => piscina.run(bigs[i], { name: 'size' })),
          )),
      },
    ],
    { ops: BIG_JOBS, rounds: 3 },
  );

  const n = calibrate(200);
  const serial = async (): Promise<void> => {
    for (let i = 0; i < CPU_JOBS; i++) burn(n);
  };
  const parallel = (pool: ThreadPoolExecutor | ProcessPoolExecutor) => async (): Promise<void> => {
    const tasks = [];
    for (let i = 0; i < CPU_JOBS; i++) tasks.push(pool.submit(burnJob, n));
    await Promise.all(tasks);
  };
  await compare(
    `CPU-bound: ${CPU_JOBS} jobs of ~200 ms on 2 threads (${availableParallelism()} cores)`,
    { name: 'ThreadPoolExecutor', fn: parallel(threads) },
    [
      { name: 'serial on the main thread', fn: serial },
      {
        name: 'piscina',
        fn: async () =>
          void (await Promise.all(
            Array.from({ length: CPU_JOBS }, () => piscina.run(n, { name: 'burn' })),
          )),
      },
    ],
    { rounds: 3, samples: 1, warmup: 1, target: { vs: 'serial', atMost: 0.6 } },
  );
  await compare(
    `CPU-bound: ${CPU_JOBS} jobs of ~200 ms on 2 processes`,
    { name: 'ProcessPoolExecutor', fn: parallel(processes) },
    [{ name: 'serial on the main thread', fn: serial }],
    { rounds: 3, samples: 1, warmup: 1, target: { vs: 'serial', atMost: 0.6 } },
  );
});

await threads.shutdown();
await processes.shutdown();
await piscina.destroy();
await tinypool.destroy();
