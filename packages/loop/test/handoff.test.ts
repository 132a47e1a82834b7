/**
 * The hand-off hook (`HandOffFuture` of `@aiots/loop/lowlevel`), which @aiots/sync builds its waits on: a
 * Future subclass learns exactly once whether its result reached the first consumer
 * ("taken") or that consumer got an error instead, so a primitive can pass on a lock,
 * permit or item that was handed over and never received.
 */
import { CancelledError, createTask, getRunningLoop, Loop, VirtualClock } from '@aiots/loop';
import { HandOffFuture } from '@aiots/loop/lowlevel';
import { runVirtual } from '@aiots/loop/testing';
import { describe, expect, test } from 'vitest';
import { rejection, runBriefly } from './helpers.ts';

/** A waiter Future that records what its hook heard. */
class Recorded extends HandOffFuture<string> {
  readonly heard: boolean[] = [];
  constructor(tellTaken = true, loop: Loop = getRunningLoop()) {
    super((_f, taken) => this.heard.push(taken), {
      loop,
      label: 'recorded',
      reportTaken: tellTaken,
    });
  }
}

describe('Future hand-off hook', () => {
  test('awaited and set: taken, once, just before the task goes on and before the callbacks queued after', async () => {
    await runVirtual(async () => {
      const fut = new Recorded();
      let heardWhenResumed: boolean[] | undefined;
      let heardInLaterCallback: boolean[] | undefined;
      const waiter = createTask(async () => {
        const v = await fut;
        heardWhenResumed = [...fut.heard];
        return v;
      });
      await runBriefly();
      fut.setResult('item'); // schedules the delivery to `waiter`
      const heardAtSet = [...fut.heard];
      // Queued after the delivery: as in asyncio, the woken task's step (which does the
      // primitive's bookkeeping in asyncio's acquire()/get()) runs before it.
      getRunningLoop().callSoon(() => {
        heardInLaterCallback = [...fut.heard];
      });
      expect(await waiter).toBe('item');
      await runBriefly();
      expect(heardAtSet).toEqual([]);
      expect(heardWhenResumed).toEqual([true]);
      expect(heardInLaterCallback).toEqual([true]);
      expect(fut.heard).toEqual([true]);
    });
  });

  test('then(cb) outside any task: taken after the rest of the loop chunk', async () => {
    // No task step to wait for: the callbacks queued after the delivery run in the same chunk
    // and still see the result on its way (no barging past it), and the hook hears "taken"
    // before `cb`'s promise resolves.
    const loop = new Loop({ clock: new VirtualClock() });
    const fut = new Recorded(true, loop);
    let heardInLaterCallback: boolean[] | undefined;
    const got = new Promise<string>((resolve) => {
      fut.then(resolve);
    });
    fut.setResult('item');
    loop.callSoon(() => {
      heardInLaterCallback = [...fut.heard];
    });
    expect(await got).toBe('item');
    expect(heardInLaterCallback).toEqual([]);
    expect(fut.heard).toEqual([true]);
    loop.close();
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
