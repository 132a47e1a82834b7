/**
 * The hand-off hook (`Future._enableHandoff`), which @aiots/sync builds its waits on: a
 * Future subclass learns exactly once whether its result reached the first consumer
 * ("taken") or that consumer got an error instead, so a primitive can pass on a lock,
 * permit or item that was handed over and never received.
 */
import { CancelledError, createTask, Future, getRunningLoop } from '@aiots/loop';
import { runVirtual } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';
import { rejection, runBriefly } from './helpers.ts';

/** A waiter Future that records what its hook heard. */
class Recorded extends Future<string> {
  readonly heard: boolean[] = [];
  constructor(tellTaken = true) {
    super(getRunningLoop(), 'recorded');
    this._enableHandoff(tellTaken);
  }
  override _handoff(taken: boolean): void {
    this.heard.push(taken);
  }
}

describe('Future hand-off hook', () => {
  test('awaited and set: taken, once; after the rest of the loop chunk, before the task goes on', async () => {
    await runVirtual(async () => {
      const fut = new Recorded();
      let heardWhenResumed: boolean[] | undefined;
      let heardInChunk: boolean[] | undefined;
      const waiter = createTask(async () => {
        const v = await fut;
        heardWhenResumed = [...fut.heard];
        return v;
      });
      await runBriefly();
      fut.setResult('item'); // schedules the delivery to `waiter`
      getRunningLoop().callSoon(() => {
        heardInChunk = [...fut.heard];
      });
      expect(await waiter).toBe('item');
      await runBriefly();
      expect(heardInChunk).toEqual([]);
      expect(heardWhenResumed).toEqual([true]);
      expect(fut.heard).toEqual([true]);
    });
  });

  test('set, then the awaiting task cancelled before it resumed: not taken, and the task gets CancelledError', async () => {
    await runVirtual(async () => {
      const fut = new Recorded();
      const waiter = createTask(() => fut);
      await runBriefly();
      fut.setResult('item');
      waiter.cancel();
      expect(await rejection(waiter)).toBeInstanceOf(CancelledError);
      expect(fut.heard).toEqual([false]);
    });
  });

  test('cancelled while pending (the task was cancelled): not taken', async () => {
    await runVirtual(async () => {
      const fut = new Recorded();
      const waiter = createTask(() => fut);
      await runBriefly();
      waiter.cancel();
      expect(await rejection(waiter)).toBeInstanceOf(CancelledError);
      expect(fut.cancelled()).toBe(true);
      expect(fut.heard).toEqual([false]);
    });
  });

  test('a task awaiting fut.then(cb) cancelled after the result was set: cb does not run, not taken', async () => {
    await runVirtual(async () => {
      const fut = new Recorded();
      let cbRan = false;
      const waiter = createTask(async () => {
        await fut.then(() => {
          cbRan = true;
        });
      });
      await runBriefly();
      fut.setResult('item');
      waiter.cancel();
      expect(await rejection(waiter)).toBeInstanceOf(CancelledError);
      await runBriefly();
      expect(cbRan).toBe(false);
      expect(fut.heard).toEqual([false]);
    });
  });

  test('nobody called then() when it settled: decided one loop callback later', async () => {
    await runVirtual(async () => {
      const set = new Recorded();
      set.setResult('item');
      expect(set.heard).toEqual([]);
      const cancelled = new Recorded();
      cancelled.cancel();
      await runBriefly();
      expect(set.heard).toEqual([true]);
      expect(cancelled.heard).toEqual([false]);
      // A later await still gets the result; the hook is not called again.
      expect(await set).toBe('item');
      await runBriefly();
      expect(set.heard).toEqual([true]);
    });
  });

  test('with tellTaken false only a result that was not taken is reported', async () => {
    await runVirtual(async () => {
      const taken = new Recorded(false);
      const notTaken = new Recorded(false);
      const a = createTask(() => taken);
      const b = createTask(() => notTaken);
      await runBriefly();
      taken.setResult('a');
      notTaken.setResult('b');
      b.cancel();
      expect(await a).toBe('a');
      expect(await rejection(b)).toBeInstanceOf(CancelledError);
      await runBriefly();
      expect(taken.heard).toEqual([]);
      expect(notTaken.heard).toEqual([false]);
    });
  });
});
