/**
 * @aiots/loop against its floor and its peers. Each of our cases runs inside `run()` on the
 * real clock, on a loop of its own, as users run it; the floor and the peers run outside any
 * aiots context, as their users run them.
 *
 * The floor: a design that keeps the current task in AsyncLocalStorage pays at least one
 * context per task, which is `als.run(i, asyncFn)` per call plus a `Promise.all`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createTask, gather, getRunningLoop, type Task } from '@aiots/loop';
import { Effect, Fiber } from 'effect';
import { run as effectionRun, spawn } from 'effection';
import { groupLimited, inRun, pLimited, trivial } from './fan-out.ts';
import { compare } from './harness.ts';

const N = 100_000;
const N_GATHER = 10_000;
/** Effection costs ~100 us a task: a smaller N keeps a run under a second; compare per op. */
const N_EFFECTION = 2_000;
const TIMER_DELAY_MS = 1;

// biome-ignore lint/correctness/useYield: Effection's trivial child returns at once.
function* trivialOperation(): Generator<never, number> {
  return 1;
}

const als = new AsyncLocalStorage<number>();

function alsFloor(n: number): () => Promise<void> {
  return async () => {
    const all = new Array<Promise<number>>(n);
    for (let i = 0; i < n; i++) all[i] = als.run(i, trivial);
    await Promise.all(all);
  };
}

/** The floor's sequential twin: what awaiting one call at a time costs without any loop. */
function alsAwaitEach(n: number): () => Promise<void> {
  return async () => {
    const all = new Array<Promise<number>>(n);
    for (let i = 0; i < n; i++) all[i] = als.run(i, trivial);
    for (let i = 0; i < n; i++) await all[i];
  };
}

function bareAsync(n: number): () => Promise<void> {
  return async () => {
    const all = new Array<Promise<number>>(n);
    for (let i = 0; i < n; i++) all[i] = trivial();
    await Promise.all(all);
  };
}

function createTasks(n: number): Task<number>[] {
  const tasks = new Array<Task<number>>(n);
  for (let i = 0; i < n; i++) tasks[i] = createTask(trivial);
  return tasks;
}

function createAwaitEach(n: number): () => Promise<void> {
  return async () => {
    const tasks = createTasks(n);
    for (let i = 0; i < n; i++) await tasks[i];
  };
}

function createGather(n: number): () => Promise<void> {
  return async () => {
    await gather(createTasks(n));
  };
}

function createPromiseAll(n: number): () => Promise<void> {
  return async () => {
    await Promise.all(createTasks(n));
  };
}

function effectForkJoin(n: number): () => Promise<void> {
  const child = Effect.succeed(1);
  const program = Effect.gen(function* () {
    const fibers = new Array<Fiber.Fiber<number>>(n);
    for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(child);
    for (let i = 0; i < n; i++) yield* Fiber.join(fibers[i] as Fiber.Fiber<number>);
  });
  return async () => {
    await Effect.runPromise(program);
  };
}

function effectionSpawn(n: number): () => Promise<void> {
  return async () => {
    await effectionRun(function* () {
      const tasks = [];
      for (let i = 0; i < n; i++) tasks.push(yield* spawn(trivialOperation));
      for (const t of tasks) yield* t;
    });
  };
}

function loopTimers(n: number): () => Promise<void> {
  return async () => {
    const loop = getRunningLoop();
    const done = loop.createFuture<void>();
    let left = n;
    const fire = (): void => {
      if (--left === 0) done.setResult();
    };
    for (let i = 0; i < n; i++) loop.callLater(TIMER_DELAY_MS, fire);
    await done;
  };
}

function nodeTimers(n: number): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      let left = n;
      const fire = (): void => {
        if (--left === 0) resolve();
      };
      for (let i = 0; i < n; i++) setTimeout(fire, TIMER_DELAY_MS);
    });
}

const FLOOR = 'floor: als.run + Promise.all';

await compare(
  `floor: one AsyncLocalStorage context per call (${N})`,
  { name: 'als.run(i, asyncFn) + Promise.all', fn: alsFloor(N) },
  [{ name: 'bare async call + Promise.all', fn: bareAsync(N) }],
  { ops: N },
);

await compare(
  `createTask + await each (${N})`,
  { name: 'createTask + await each', fn: inRun(createAwaitEach(N)) },
  [
    { name: FLOOR, fn: alsFloor(N) },
    { name: 'Effect forkChild + Fiber.join', fn: effectForkJoin(N) },
    { name: 'floor awaited one by one (context)', fn: alsAwaitEach(N) },
  ],
  {
    ops: N,
    target: [{ vs: 'Effect', atMost: 1 }],
  },
);

await compare(
  `createTask + await gather(tasks) (${N})`,
  { name: 'createTask + gather', fn: inRun(createGather(N)) },
  [{ name: FLOOR, fn: alsFloor(N) }],
  { ops: N, target: { vs: FLOOR, atMost: 1.5 } },
);

await compare(
  `createTask + await Promise.all(tasks) (${N})`,
  { name: 'createTask + Promise.all', fn: inRun(createPromiseAll(N)) },
  [{ name: FLOOR, fn: alsFloor(N) }],
  { ops: N, target: { vs: FLOOR, atMost: 1.5 } },
);

await compare(
  `gather of ${N_GATHER} tasks`,
  { name: 'createTask + gather', fn: inRun(createGather(N_GATHER)) },
  [{ name: FLOOR, fn: alsFloor(N_GATHER) }],
  { ops: N_GATHER, rounds: 7, target: { vs: FLOOR, atMost: 1.5 } },
);

await compare(
  `taskGroup({ limit: 100 }) over ${N} children`,
  { name: 'taskGroup limit 100', fn: inRun(groupLimited(N, 100)) },
  [{ name: 'p-limit(100) + Promise.all', fn: pLimited(N, 100) }],
  { ops: N, target: { vs: 'p-limit(100)', atLeast: 2 } },
);

await compare(
  `${N} timers of ${TIMER_DELAY_MS} ms`,
  { name: 'loop.callLater', fn: inRun(loopTimers(N)) },
  [{ name: 'setTimeout', fn: nodeTimers(N) }],
  { ops: N, target: { vs: 'setTimeout', atMost: 1 } },
);

await compare(
  `createTask + await each vs Effection spawn (${N_EFFECTION})`,
  { name: 'createTask + await each', fn: inRun(createAwaitEach(N_EFFECTION)) },
  [{ name: 'Effection spawn + yield*', fn: effectionSpawn(N_EFFECTION) }],
  { ops: N_EFFECTION, rounds: 3, samples: 2, warmup: 1 },
);
