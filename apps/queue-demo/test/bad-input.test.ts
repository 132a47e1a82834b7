// queueDemo() rejects bad options with a named error that says what it expected, before
// anything runs.
import { run, VirtualClock } from '@aiots/loop';
import { PythonRandom, type QueueDemoOptions, queueDemo } from '@aiots/queue-demo';
import { describe, expect, it } from 'vitest';

describe('queueDemo() bad options', () => {
  it.each([
    [{ nprod: '5' }, TypeError, 'expected `nprod` to be a number, got the string "5"'],
    [{ nprod: -1 }, RangeError, 'expected `nprod` to be an integer from 0 and up, got -1'],
    [{ nprod: 1.5 }, RangeError, 'expected `nprod` to be an integer from 0 and up, got 1.5'],
    [{ ncon: 0 }, RangeError, 'expected `ncon` to be an integer from 1 and up, got 0'],
    [{ ncon: Number.NaN }, RangeError, 'expected `ncon` to be an integer from 1 and up, got NaN'],
    [{ random: Math }, TypeError, 'expected `random` to be a PythonRandom, got an object'],
    [{ print: 'stdout' }, TypeError, 'expected `print` to be a function, got the string "stdout"'],
  ])('%j', async (options, kind, message) => {
    const lines: string[] = [];
    const call = run(
      () => queueDemo({ print: (l) => lines.push(l), ...(options as QueueDemoOptions) }),
      { clock: new VirtualClock() },
    );
    await expect(call).rejects.toThrow(kind);
    await expect(call).rejects.toThrow(message);
    expect(lines).toEqual([]);
  });

  it('runs with nothing given: the seed defaults (5 producers, 10 consumers, seed 444)', async () => {
    const lines: string[] = [];
    await run(() => queueDemo({ print: (l) => lines.push(l) }), { clock: new VirtualClock() });
    const withDefaults: string[] = [];
    await run(
      () =>
        queueDemo({
          nprod: 5,
          ncon: 10,
          random: new PythonRandom(444),
          print: (l) => withDefaults.push(l),
        }),
      { clock: new VirtualClock() },
    );
    const strip = (ls: string[]) => ls.map((l) => l.replace(/<[0-9a-f]{10}>/g, '<id>'));
    expect(strip(lines)).toEqual(strip(withDefaults));
    expect(lines.filter((l) => l.startsWith('Consumer 9 '))).not.toEqual([]);
  });
});
