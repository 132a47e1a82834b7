// The seed's GUI pattern: a GUI toolkit owns the main thread (its own event loop draws the
// window and handles input), so the asyncio loop runs in a second thread, the GUI hands it
// work with run_coroutine_threadsafe(), and results come back to update the window.
//
// Here the terminal stands in for the window: the main thread reads commands and prints
// what comes back, and is never blocked by the work; an aiots loop runs in a worker thread
// and runs each command as a task. Commands:
//   fetch NAME SECONDS   a slow job that reports its progress every second
//   cancel ID            cancel a running job (it stops at once, wherever it waits)
//   jobs                 list the running jobs
//   quit                 cancel what still runs, stop the loop thread and exit
//
//   node --conditions=@aiots/source loop-in-thread.ts                  (type commands)
//   node --conditions=@aiots/source loop-in-thread.ts "fetch a 2" jobs quit
// Not on a terminal and without commands, it plays a short scripted session.
import { createInterface } from 'node:readline';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createTask, RealClock, run, sleep, type Task, VirtualClock } from '@aiots/loop';
import { Queue, QueueShutDown } from '@aiots/sync';
import { args, virtualTime } from './lib/clock.ts';

/** A command from the window, and what the loop thread sends back. */
type Command = { id: number; line: string };
type Reply =
  | { id: number; kind: 'started' | 'progress' | 'done' | 'cancelled' | 'failed'; text: string }
  | { id: number; kind: 'info'; text: string }
  | { id: 0; kind: 'stopped'; text: string };

// ---- the loop thread ----------------------------------------------------------------------

async function loopThread(port: NonNullable<typeof parentPort>, virtual: boolean): Promise<void> {
  const post = (reply: Reply) => port.postMessage(reply);
  // Messages arrive in this thread's own event loop, outside any task: they go through a
  // queue (what call_soon_threadsafe is for in asyncio), and one task dispatches them.
  const inbox = new Queue<Command>();
  port.on('message', (cmd: Command) => {
    try {
      inbox.putNowait(cmd);
    } catch (e) {
      if (!QueueShutDown.is(e)) throw e; // after quit: nothing more to do
    }
  });

  // With --virtual-time the loop waits 100 ms of real idle time before jumping, so that a
  // command sent in reply to a progress report arrives before the next second goes by.
  const clock = virtual ? new VirtualClock({ autojumpThresholdMs: 100 }) : new RealClock();
  await run(
    async () => {
      const jobs = new Map<number, { what: string; task: Task<string> }>();

      async function fetchJob(id: number, name: string, seconds: number): Promise<string> {
        for (let s = 1; s <= seconds; s++) {
          await sleep(1000); // a cancellation point: cancel() wakes the job here
          post({ id, kind: 'progress', text: `${name}: ${s} of ${seconds} s` });
        }
        return `${name}: done after ${seconds} s`;
      }

      for await (const { id, line } of inbox) {
        const [verb, ...rest] = line.trim().split(/\s+/);
        if (verb === 'fetch' && rest.length === 2 && /^\d+$/.test(rest[1] ?? '')) {
          const [name = '', seconds] = rest;
          const task = createTask(() => fetchJob(id, name, Number(seconds)));
          jobs.set(id, { what: line, task });
          post({ id, kind: 'started', text: line });
          task.addDoneCallback(() => {
            jobs.delete(id);
            if (task.cancelled()) post({ id, kind: 'cancelled', text: 'cancelled' });
            else if (task.exception() !== undefined) {
              post({ id, kind: 'failed', text: String(task.exception()) });
            } else post({ id, kind: 'done', text: task.result() });
          });
        } else if (verb === 'cancel' && rest.length === 1) {
          const job = jobs.get(Number(rest[0]));
          job?.task.cancel();
          post({ id, kind: 'info', text: job ? `cancelling job ${rest[0]}` : `no job ${rest[0]}` });
        } else if (verb === 'jobs') {
          const list = [...jobs].map(([n, j]) => `${n}: ${j.what}`).join('; ');
          post({ id, kind: 'info', text: `running: ${list || 'none'}` });
        } else if (verb === 'quit') {
          post({ id, kind: 'info', text: `stopping: cancelling ${jobs.size} running job(s)` });
          for (const { task } of jobs.values()) task.cancel();
          // Each job's done-callback reports it before the loop closes.
          await Promise.allSettled([...jobs.values()].map(({ task }) => task));
          inbox.shutdown();
        } else {
          post({ id, kind: 'info', text: `unknown command: ${line} (fetch, cancel, jobs, quit)` });
        }
      }
    },
    { clock },
  );
  post({ id: 0, kind: 'stopped', text: 'the loop thread has stopped' });
  port.close();
}

// ---- the window (main thread) -------------------------------------------------------------

async function window(): Promise<void> {
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { loopThread: true, virtualTime },
  });
  const listeners = new Set<(reply: Reply) => void>();
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (reply: Reply) => {
      // "Update the window": print what came back, as it comes.
      if (reply.kind === 'info' || reply.kind === 'stopped') console.log(reply.text);
      else if (reply.kind === 'started') console.log(`[job ${reply.id}] started: ${reply.text}`);
      else if (reply.kind === 'failed') console.log(`[job ${reply.id}] failed: ${reply.text}`);
      else console.log(`[job ${reply.id}] ${reply.text}`);
      for (const listener of listeners) listener(reply);
      if (reply.kind === 'stopped') resolve();
    });
  });
  worker.on('error', (e) => {
    console.error(e);
    process.exitCode = 1;
  });

  let nextId = 1;
  /** Sends a command; resolves with the loop thread's first reply to it. */
  const send = (line: string): Promise<Reply> => {
    const id = nextId++;
    console.log(`> ${line}`);
    return new Promise((resolve) => {
      const listener = (reply: Reply) => {
        if (reply.id === id) {
          listeners.delete(listener);
          resolve(reply);
        }
      };
      listeners.add(listener);
      worker.postMessage({ id, line } satisfies Command);
    });
  };
  /** Resolves when a reply matches. */
  const when = (match: (reply: Reply) => boolean): Promise<Reply> =>
    new Promise((resolve) => {
      const listener = (reply: Reply) => {
        if (match(reply)) {
          listeners.delete(listener);
          resolve(reply);
        }
      };
      listeners.add(listener);
    });

  if (args.length > 0) {
    for (const line of args) await send(line);
    if (!args.includes('quit')) await send('quit');
  } else if (process.stdin.isTTY) {
    console.log('commands: fetch NAME SECONDS, cancel ID, jobs, quit');
    let quitting = false;
    const rl = createInterface({ input: process.stdin });
    // Every command goes at once, without waiting for the last: the window stays responsive.
    rl.on('line', (line) => {
      if (line.trim() === '' || quitting) return;
      quitting = line.trim() === 'quit';
      void send(line);
      if (quitting) rl.close();
    });
    rl.on('close', () => {
      if (!quitting) {
        quitting = true;
        void send('quit');
      }
    });
  } else {
    // A scripted session: three jobs; the slow one is cancelled once it reports progress.
    const outcomes = new Map<number, string>();
    const ended = when((r) => {
      if (r.kind === 'done' || r.kind === 'cancelled') outcomes.set(r.id, r.kind);
      return outcomes.size === 3;
    });
    // The first four commands go together, as a user typing fast would send them: they reach
    // the loop thread before any (virtual) second passes, whatever the machine's load.
    const gamma = nextId + 2;
    const gammaProgress = when((r) => r.id === gamma && r.kind === 'progress');
    void send('fetch alpha 2');
    void send('fetch beta 1');
    void send('fetch gamma 10');
    await send('jobs');
    await gammaProgress;
    await send(`cancel ${gamma}`);
    await ended;
    const names = ['alpha', 'beta', 'gamma'];
    console.log(
      `results: ${[1, 2, 3].map((n) => `${names[n - 1]}=${outcomes.get(n)}`).join(', ')}`,
    );
    await send('quit');
  }
  await stopped;
}

const data = workerData as { loopThread?: boolean; virtualTime?: boolean } | null;
if (!isMainThread && data?.loopThread) {
  await loopThread(parentPort as NonNullable<typeof parentPort>, data.virtualTime === true);
} else if (isMainThread) {
  await window();
}
