// Real Python's countsync.py: the same three counts as countasync.ts, but each one blocks
// the whole program while it sleeps, so they run one after the other: three seconds.
//   node countsync.ts
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';

/** time.sleep(): blocks the thread (and anything else that would run on it). */
function blockingSleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function count(): void {
  console.log('One');
  blockingSleep(1000);
  console.log('Two');
}

function main(): void {
  for (let i = 0; i < 3; i++) count();
}

const s = performance.now();
main();
const elapsed = (performance.now() - s) / 1000;
console.log(`${basename(import.meta.filename)} executed in ${elapsed.toFixed(2)} seconds.`);
