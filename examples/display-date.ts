// asyncio's "display the current date with call_later()": a callback prints the date, then
// schedules itself again a second later, five times, and stops the loop. The date is read
// from the loop's clock, so on --virtual-time the seconds are virtual too.
//   node --conditions=@aiots/source display-date.ts [--virtual-time]
import { type Future, getRunningLoop, type Loop, run } from '@aiots/loop';
import { exampleClock } from './lib/clock.ts';

const wallStart = Date.now();
let loopStart = 0;

/** datetime.datetime.now(), on the loop's clock. */
function now(loop: Loop): string {
  return new Date(wallStart + (loop.time() - loopStart)).toISOString();
}

function displayDate(endTime: number, loop: Loop, stop: Future<void>): void {
  console.log(`[loop time ${((loop.time() - loopStart) / 1000).toFixed(1)} s] ${now(loop)}`);
  if (loop.time() + 1000 < endTime) {
    loop.callLater(1000, displayDate, endTime, loop, stop);
  } else {
    stop.setResult(); // loop.stop()
  }
}

await run(
  async () => {
    const loop = getRunningLoop();
    loopStart = loop.time();
    // Schedule the first call to displayDate(); run() keeps the loop going until `stopped`.
    const stopped = loop.createFuture<void>();
    const endTime = loop.time() + 5000;
    loop.callSoon(displayDate, endTime, loop, stopped);
    await stopped;
  },
  { clock: exampleClock() },
);
