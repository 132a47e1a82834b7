// asyncio's Event example: a task waits on an Event that a timer callback sets a second
// later (loop.call_later(1, event.set)); every waiter wakes when it is set.
//   node --conditions=@aiots/source event-trigger.ts [--virtual-time]
import { createTask, gather, getRunningLoop, run } from '@aiots/loop';
import { Event } from '@aiots/sync';
import { exampleClock } from './lib/clock.ts';

async function waiter(name: string, event: Event, start: number): Promise<void> {
  console.log(`${name}: waiting for it ...`);
  await event.wait();
  const at = ((getRunningLoop().time() - start) / 1000).toFixed(1);
  console.log(`${name}: ... got it! (at ${at} s)`);
}

await run(
  async () => {
    const loop = getRunningLoop();
    // Create an Event object.
    const event = new Event();
    // Spawn tasks to wait until the event is set.
    const start = loop.time();
    const waiters = ['first', 'second'].map((name) => createTask(() => waiter(name, event, start)));
    // Set the event one second from now, from a timer callback.
    loop.callLater(1000, () => event.set());
    // Wait until the waiter tasks are finished.
    await gather(waiters);
    console.log(`event set: ${event.isSet()}`);
  },
  { clock: exampleClock() },
);
