/**
 * The inbox's hand-off, without Redis: an entry handed to a getter whose task is cancelled
 * before it resumes (the window where `get()`'s result is set and the task is cancelled:
 * CPython gh-90155 for asyncio.Queue) goes to the next getter, or to the front of the buffer
 * for the next `take()`, at once. Never lost, never given twice.
 */
import { CancelledError, createTask, gather, sleep, type Task } from '@aiots/loop';
import { describe, expect, test } from 'vitest';
import { Inbox, Signal } from '../src/inbox.ts';

async function parked(inbox: Inbox<string>, n: number): Promise<Task<string | Signal>[]> {
  const tasks = Array.from({ length: n }, () => createTask(() => inbox.wait()));
  while (inbox.waiting < n) await sleep(0);
  return tasks;
}

describe('Inbox hand-off', () => {
  test('an entry handed to a getter cancelled before it resumed goes to the next getter', async () => {
    const inbox = new Inbox<string>('test');
    const [a, b] = (await parked(inbox, 2)) as [Task<string | Signal>, Task<string | Signal>];
    inbox.push('e1'); // handed to a: its result is set...
    a.cancel(); // ...and a is cancelled before it resumes
    const [ra, rb] = await gather([a, b], { returnExceptions: true });
    expect(CancelledError.is(ra)).toBe(true);
    expect(a.cancelled()).toBe(true);
    expect(rb).toBe('e1');
    expect(inbox.buffered).toBe(0);
  });

  test('with no other getter, the entry goes back to the front of the buffer', async () => {
    const inbox = new Inbox<string>('test');
    const [a] = (await parked(inbox, 1)) as [Task<string | Signal>];
    inbox.push('first'); // handed to a
    inbox.push('second'); // nobody waits: buffered
    a.cancel();
    await gather([a], { returnExceptions: true });
    expect(inbox.buffered).toBe(2);
    expect(inbox.take()).toBe('first'); // the returned entry is still the oldest
    expect(inbox.take()).toBe('second');
  });

  test('a getter cancelled while parked takes nothing; the next push goes to the live one', async () => {
    const inbox = new Inbox<string>('test');
    const [a, b] = (await parked(inbox, 2)) as [Task<string | Signal>, Task<string | Signal>];
    a.cancel();
    await gather([a], { returnExceptions: true });
    expect(inbox.waiting).toBe(1);
    inbox.push('e');
    expect(await b).toBe('e');
  });

  test('a signal wakes every getter; one handed to a cancelled getter is dropped', async () => {
    const inbox = new Inbox<string>('test');
    const tasks = await parked(inbox, 3);
    expect(inbox.wakeAll(new Signal('shutdown'))).toBe(3);
    (tasks[0] as Task<unknown>).cancel();
    const results = await gather(tasks, { returnExceptions: true });
    expect(CancelledError.is(results[0])).toBe(true);
    expect((results[1] as Signal).kind).toBe('shutdown');
    expect((results[2] as Signal).kind).toBe('shutdown');
    expect(inbox.buffered).toBe(0);
  });

  test('random cancels: every pushed entry reaches exactly one getter or the buffer', async () => {
    let seed = 444;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 50; round++) {
      const inbox = new Inbox<string>('test');
      const tasks = await parked(inbox, 5);
      const pushed: string[] = [];
      for (let i = 0; i < 5; i++) {
        if (random() < 0.5) {
          const e = `r${round}-${i}`;
          pushed.push(e);
          inbox.push(e);
        }
        const victim = tasks[Math.floor(random() * tasks.length)] as Task<unknown>;
        if (random() < 0.5) victim.cancel();
      }
      // Whatever is still parked gets the rest.
      const late = `r${round}-late`;
      pushed.push(late);
      inbox.push(late);
      while (inbox.waiting > 0) inbox.wakeAll(new Signal('end'));
      const results = await gather(tasks, { returnExceptions: true });
      const got = results.filter((r): r is string => typeof r === 'string');
      for (let e = inbox.take(); e !== undefined; e = inbox.take()) got.push(e);
      expect(got.sort()).toEqual(pushed.sort());
    }
  });
});
