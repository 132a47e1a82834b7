/**
 * The batcher under puts and acknowledgements: one send per turn, results in order, and a
 * call aborted before its batch is sent leaves it (it is never sent).
 */
import { describe, expect, test } from 'vitest';
import { Batcher } from '../src/batcher.ts';

describe('Batcher', () => {
  test('calls of one turn go in one send; each gets its own result', async () => {
    const sent: number[][] = [];
    const b = new Batcher<number, number>(async (items) => {
      sent.push(items);
      return items.map((x) => x * 10);
    });
    const results = await Promise.all([b.add(1), b.add(2), b.add(3)]);
    expect(results).toEqual([10, 20, 30]);
    expect(sent).toEqual([[1, 2, 3]]);
    expect(await b.add(4)).toBe(40);
    expect(sent).toEqual([[1, 2, 3], [4]]);
  });

  test('a call aborted before the send rejects with the reason at once and is not sent', async () => {
    const sent: string[][] = [];
    const b = new Batcher<string, string>(async (items) => {
      sent.push(items);
      return items;
    });
    const ac = new AbortController();
    const kept = b.add('kept');
    const dropped = b.add('dropped', ac.signal);
    ac.abort(new Error('stop'));
    await expect(dropped).rejects.toThrow('stop');
    expect(await kept).toBe('kept');
    expect(sent).toEqual([['kept']]);
    const already = new AbortController();
    already.abort(new Error('early'));
    await expect(b.add('x', already.signal)).rejects.toThrow('early');
    expect(sent).toEqual([['kept']]);
  });

  test('a failed send rejects every call of its batch; big turns are split', async () => {
    const b = new Batcher<number, number>(async (items) => {
      if (items.includes(13)) throw new Error('unlucky');
      return items;
    }, 5);
    const results = await Promise.allSettled(Array.from({ length: 15 }, (_, i) => b.add(i)));
    expect(results.slice(0, 10).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(results.slice(10).every((r) => r.status === 'rejected')).toBe(true);
  });
});
