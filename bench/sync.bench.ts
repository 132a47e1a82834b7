/**
 * @aiots/sync against its peers. Each of our cases runs inside `run()` on the real clock, as
 * users run it; the peers (and the floor) run outside any aiots context, as their own
 * documentation shows.
 *
 * - Lock, uncontended: `await lock.acquire(); lock.release()` in a loop, against async-mutex's
 *   `const release = await mutex.acquire(); release()`.
 * - Lock, contended: 100 tasks each taking the lock 1,000 times with nothing inside, so every
 *   acquire after the first queues and every release hands the lock over.
 * - 100,000 trivial jobs, each a task, bounded by `Semaphore(100)` inside a task group, against
 *   p-limit(100); the loop's `taskGroup({ limit: 100 })` is the task-free path. A floor row
 *   parks a bare async function per job, in its own context, on a minimal semaphore.
 * - Queue: 10 producers and 10 consumers moving 1,000,000 items through an unbounded queue,
 *   against Effect's `Queue` (fibers) and `@esfx/async-queue`. Producers await every put
 *   where the library's put returns something to await (ours, Effect); esfx's put is
 *   synchronous, so its producers are plain loops. esfx keeps its backlog in an array it
 *   `shift()`s, which turns quadratic past a few tens of thousands of queued items (100,000
 *   items take seconds), so it moves 10,000 items a run and is compared per item, at the size
 *   that suits it best.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { createTask, gather, type Task, taskGroup } from '@aiots/loop';
import { Lock, Queue, Semaphore } from '@aiots/sync';
import { AsyncQueue } from '@esfx/async-queue';
import { Mutex } from 'async-mutex';
import { Effect, Queue as EffectQueue, Fiber } from 'effect';
import { groupLimited, inRun, pLimited, trivial } from './fan-out.ts';
import { compare } from './harness.ts';

const N_UNCONTENDED = 200_000;
const WORKERS = 100;
const PER_WORKER = 1_000;
const N_JOBS = 100_000;
const PRODUCERS = 10;
const CONSUMERS = 10;
const N_ITEMS = 1_000_000;
const N_ITEMS_ESFX = 10_000;

// ---- Lock, uncontended ----------------------------------------------------------------------

function lockUncontended(n: number): () => Promise<void> {
  return async () => {
    const lock = new Lock();
    for (let i = 0; i < n; i++) {
      await lock.acquire();
      lock.release();
    }
  };
}

function mutexUncontended(n: number): () => Promise<void> {
  return async () => {
    const mutex = new Mutex();
    for (let i = 0; i < n; i++) {
      const release = await mutex.acquire();
      release();
    }
  };
}

// ---- Lock, contended by 100 tasks -----------------------------------------------------------

function lockContended(workers: number, each: number): () => Promise<void> {
  return async () => {
    const lock = new Lock();
    let counter = 0;
    const worker = async () => {
      for (let i = 0; i < each; i++) {
        await lock.acquire();
        counter++;
        lock.release();
      }
    };
    const tasks = new Array<Task<void>>(workers);
    for (let w = 0; w < workers; w++) tasks[w] = createTask(worker);
    await gather(tasks);
    if (counter !== workers * each) throw new Error(`lost updates: ${counter}`);
  };
}

function mutexContended(workers: number, each: number): () => Promise<void> {
  return async () => {
    const mutex = new Mutex();
    let counter = 0;
    const worker = async () => {
      for (let i = 0; i < each; i++) {
        const release = await mutex.acquire();
        counter++;
        release();
      }
    };
    const all = new Array<Promise<void>>(workers);
    for (let w = 0; w < workers; w++) all[w] = worker();
    await Promise.all(all);
    if (counter !== workers * each) throw new Error(`lost updates: ${counter}`);
  };
}

// ---- 100k jobs bounded to 100 at a time -------------------------------------------------------

function semaphoreJobs(n: number, limit: number): () => Promise<void> {
  return async () => {
    const sem = new Semaphore(limit);
    const job = async () => {
      await sem.acquire();
      try {
        await trivial();
      } finally {
        sem.release();
      }
    };
    await taskGroup(async (tg) => {
      for (let i = 0; i < n; i++) tg.createTask(job);
    });
  };
}

/**
 * What any design with a task each parked on a semaphore pays at least: an async function per
 * job in its own AsyncLocalStorage context, parked on a bare promise-returning semaphore (no
 * cancellation, no fairness bookkeeping, no Task). It shows where the p-limit target sits.
 */
class BareSemaphore {
  #free: number;
  readonly #waiters: Array<(() => void) | undefined> = [];
  #head = 0;
  constructor(permits: number) {
    this.#free = permits;
  }
  acquire(): Promise<void> | undefined {
    if (this.#free > 0 && this.#head === this.#waiters.length) {
      this.#free--;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
    });
  }
  release(): void {
    if (this.#head < this.#waiters.length) {
      const wake = this.#waiters[this.#head] as () => void;
      this.#waiters[this.#head++] = undefined;
      wake();
    } else this.#free++;
  }
}

const jobContext = new AsyncLocalStorage<number>();

function bareSemaphoreFloor(n: number, limit: number): () => Promise<void> {
  return async () => {
    const sem = new BareSemaphore(limit);
    const job = async () => {
      await sem.acquire();
      try {
        await trivial();
      } finally {
        sem.release();
      }
    };
    const all = new Array<Promise<void>>(n);
    for (let i = 0; i < n; i++) all[i] = jobContext.run(i, job);
    await Promise.all(all);
  };
}

// ---- Queue: 10 producers, 10 consumers, 1M items ----------------------------------------------

function ourQueue(items: number, producers: number, consumers: number): () => Promise<void> {
  return async () => {
    const q = new Queue<number>();
    let sum = 0;
    const perProducer = items / producers;
    const perConsumer = items / consumers;
    const produce = async () => {
      for (let i = 0; i < perProducer; i++) await q.put(i);
    };
    const consume = async () => {
      for (let i = 0; i < perConsumer; i++) {
        const item = await q.get();
        sum += item;
      }
    };
    const tasks: Task<void>[] = [];
    for (let c = 0; c < consumers; c++) tasks.push(createTask(consume));
    for (let p = 0; p < producers; p++) tasks.push(createTask(produce));
    await gather(tasks);
    if (sum !== (producers * perProducer * (perProducer - 1)) / 2) throw new Error('lost items');
  };
}

function effectQueue(items: number, producers: number, consumers: number): () => Promise<void> {
  const perProducer = items / producers;
  const perConsumer = items / consumers;
  const program = Effect.gen(function* () {
    const q = yield* EffectQueue.unbounded<number>();
    let sum = 0;
    const produce = Effect.gen(function* () {
      for (let i = 0; i < perProducer; i++) yield* EffectQueue.offer(q, i);
    });
    const consume = Effect.gen(function* () {
      for (let i = 0; i < perConsumer; i++) {
        const item = yield* EffectQueue.take(q);
        sum += item;
      }
    });
    const fibers: Fiber.Fiber<void>[] = [];
    for (let c = 0; c < consumers; c++) fibers.push(yield* Effect.forkChild(consume));
    for (let p = 0; p < producers; p++) fibers.push(yield* Effect.forkChild(produce));
    for (const f of fibers) yield* Fiber.join(f);
    if (sum !== (producers * perProducer * (perProducer - 1)) / 2) throw new Error('lost items');
  });
  return async () => {
    await Effect.runPromise(program);
  };
}

function esfxQueue(items: number, producers: number, consumers: number): () => Promise<void> {
  return async () => {
    const q = new AsyncQueue<number>();
    let sum = 0;
    const perProducer = items / producers;
    const perConsumer = items / consumers;
    const produce = async () => {
      for (let i = 0; i < perProducer; i++) q.put(i);
    };
    const consume = async () => {
      for (let i = 0; i < perConsumer; i++) {
        const item = await q.get();
        sum += item;
      }
    };
    const all: Promise<void>[] = [];
    for (let c = 0; c < consumers; c++) all.push(consume());
    for (let p = 0; p < producers; p++) all.push(produce());
    await Promise.all(all);
    if (sum !== (producers * perProducer * (perProducer - 1)) / 2) throw new Error('lost items');
  };
}

await compare(
  `Lock: uncontended acquire + release (${N_UNCONTENDED})`,
  { name: 'Lock acquire/release', fn: inRun(lockUncontended(N_UNCONTENDED)) },
  [{ name: 'async-mutex Mutex', fn: mutexUncontended(N_UNCONTENDED) }],
  { ops: N_UNCONTENDED, target: { vs: 'async-mutex', atLeast: 5 } },
);

await compare(
  `Lock: contended by ${WORKERS} tasks (${WORKERS * PER_WORKER} acquisitions)`,
  { name: `Lock, ${WORKERS} tasks`, fn: inRun(lockContended(WORKERS, PER_WORKER)) },
  [{ name: 'async-mutex Mutex, 100 async fns', fn: mutexContended(WORKERS, PER_WORKER) }],
  { ops: WORKERS * PER_WORKER, target: { vs: 'async-mutex', atLeast: 2 } },
);

await compare(
  `${N_JOBS} trivial jobs, 100 at a time`,
  { name: 'task each + Semaphore(100) in a taskGroup', fn: inRun(semaphoreJobs(N_JOBS, 100)) },
  [
    { name: 'p-limit(100) + Promise.all', fn: pLimited(N_JOBS, 100) },
    { name: 'taskGroup({ limit: 100 }) (no target)', fn: inRun(groupLimited(N_JOBS, 100)) },
    {
      name: 'floor: async fn each in als.run on a bare semaphore (no target)',
      fn: bareSemaphoreFloor(N_JOBS, 100),
    },
  ],
  { ops: N_JOBS, target: { vs: 'p-limit', atMost: 1.5 } },
);

await compare(
  `Queue: ${PRODUCERS} producers / ${CONSUMERS} consumers, ${N_ITEMS} items`,
  { name: 'Queue put/get', fn: inRun(ourQueue(N_ITEMS, PRODUCERS, CONSUMERS)) },
  [
    { name: 'Effect Queue.unbounded', fn: effectQueue(N_ITEMS, PRODUCERS, CONSUMERS) },
    {
      name: `@esfx/async-queue (${N_ITEMS_ESFX} items a run)`,
      fn: esfxQueue(N_ITEMS_ESFX, PRODUCERS, CONSUMERS),
      ops: N_ITEMS_ESFX,
    },
  ],
  {
    ops: N_ITEMS,
    rounds: 3,
    samples: 2,
    target: [
      { vs: 'Effect', atLeast: 1 },
      { vs: '@esfx', atLeast: 1 },
    ],
  },
);
