// MemoryFrontier and MemorySeenSet: FIFO order, the end of a crawl seen by every waiter,
// and an entry handed to a task cancelled before it resumed going to the next task.
import { MemoryFrontier, MemorySeenSet } from '@aiots/crawler';
import { CancelledError, checkpoint, createTask, InvalidStateError, run } from '@aiots/loop';
import { describe, expect, it } from 'vitest';

describe('MemoryFrontier', () => {
  it('hands entries out first in, first out', async () => {
    await run(async () => {
      const f = new MemoryFrontier();
      for (const e of ['a', 'b', 'c']) await f.claim(e);
      expect([await f.next(), await f.next(), await f.next()]).toEqual(['a', 'b', 'c']);
      expect(f.held).toBe(3);
    });
  });

  it('makes next() wait while an entry is held, and wakes it with what the holder found', async () => {
    await run(async () => {
      const f = new MemoryFrontier();
      await f.claim('page');
      const page = await f.next();
      const waiter = createTask(() => f.next());
      await checkpoint();
      expect(waiter.done()).toBe(false); // the held page may still add links
      await f.claim('link');
      expect(await waiter).toBe('link');
      await f.done(page as string);
      expect(await f.finished()).toBe(false);
      await f.done('link');
      expect(await f.finished()).toBe(true);
      expect(await f.next()).toBeUndefined();
    });
  });

  it('ends every waiter with undefined once the last held entry is done', async () => {
    await run(async () => {
      const f = new MemoryFrontier();
      await f.claim('only');
      await f.next();
      const waiters = [1, 2, 3].map(() => createTask(() => f.next()));
      await checkpoint();
      await f.done('only');
      expect(await Promise.all(waiters)).toEqual([undefined, undefined, undefined]);
    });
  });

  it('gives an entry handed to a cancelled waiter to the next one (nothing lost)', async () => {
    await run(async () => {
      const f = new MemoryFrontier();
      await f.claim('held');
      await f.next();
      const a = createTask(() => f.next());
      const b = createTask(() => f.next());
      await checkpoint();
      const claimed = f.claim('x'); // handed to a (claim's body runs at once)...
      a.cancel(); // ...which is cancelled before it resumes
      await claimed;
      expect(await b).toBe('x');
      await expect(a).rejects.toThrow(CancelledError);
      expect(f.held).toBe(2);
      expect(f.queued).toBe(0);
    });
  });

  it('counts what was claimed, and refuses done() with nothing held', async () => {
    await run(async () => {
      const f = new MemoryFrontier();
      await expect(f.done('x')).rejects.toThrow(InvalidStateError);
      await f.claim('a');
      expect(f.claimed).toBe(1);
      await expect(f.claim(1 as unknown as string)).rejects.toThrow(TypeError);
    });
  });
});

describe('MemorySeenSet', () => {
  it('adds each member once', async () => {
    const s = new MemorySeenSet();
    expect(await s.add('a')).toBe(true);
    expect(await s.add('a')).toBe(false);
    expect(await s.has('a')).toBe(true);
    expect(await s.has('b')).toBe(false);
    expect(await s.size()).toBe(1);
  });
});
