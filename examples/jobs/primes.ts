// A job module for examples/process-pool.ts: a module job may import anything, and crosses to
// the worker process by its URL, the way a picklable top-level function does in Python.

/** How many primes are below `limit`. */
export function countPrimes(limit: number): number {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
