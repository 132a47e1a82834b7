// The demo on virtual time prints the schedule CPython 3.13 prints for asyncq.py with the
// same seed and counts (reference/asyncq_virtual.py made the fixtures), line for line:
// sleeps, which consumer gets which item, latencies and the total time. Only the item ids,
// random bytes, differ.
import { run, VirtualClock } from '@aiots/loop';
import { PythonRandom, queueDemo } from '@aiots/queue-demo';
import { describe, expect, it } from 'vitest';
import { fixtures, normalizeIds } from './helpers.ts';

const all = fixtures();

describe('queueDemo on a VirtualClock against CPython', () => {
  it('has the fixtures', () => {
    expect(all.map((f) => f.file)).toContain('asyncq-seed444-p5-c10.txt');
    expect(all.length).toBeGreaterThanOrEqual(10);
  });

  it.each(all.map((f) => [f.file, f] as const))('%s', async (_, fixture) => {
    const lines: string[] = [];
    const clock = new VirtualClock();
    await run(
      () =>
        queueDemo({
          nprod: fixture.nprod,
          ncon: fixture.ncon,
          random: new PythonRandom(BigInt(fixture.seed)),
          print: (line) => lines.push(line),
        }),
      { clock },
    );
    lines.push(`Program completed in ${(clock.now() / 1000).toFixed(5)} seconds.`);
    expect(normalizeIds(lines)).toEqual(normalizeIds(fixture.lines));
  });
});
