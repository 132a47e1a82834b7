// Job module shared by @aiots/executors, piscina and tinypool in executors.bench.ts: plain
// JavaScript, so every pool loads exactly the same code.

/** The tiny job: all cost is the pool's. */
export default function inc(x) {
  return x + 1;
}

/** A CPU-bound job: `n` rounds of integer mixing (about 200 ms for the calibrated n). */
export function burn(n) {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) {
    h ^= i;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The job of the big-argument case: all cost is moving the argument. */
export function size(items) {
  return items.length;
}
