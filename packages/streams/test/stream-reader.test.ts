/**
 * StreamReader: the CPython cases of asyncio-semantics.md section 4.J (138–142), from
 * test_streams.py, fed by hand (no transport), plus cancellation and signals.
 */
import { CancelledError, createTask, InvalidStateError } from '@aiots/loop';
import { IncompleteReadError, LimitOverrunError, StreamReader } from '@aiots/streams';
import { describe, expect, test } from 'vitest';
import { b, inLoop, tick } from './helpers.ts';

const DATA = b('line1\nline2\nline3\n');

function fed(...chunks: string[]): StreamReader {
  const r = new StreamReader();
  for (const c of chunks) r.feedData(b(c));
  return r;
}

describe('read (138)', () => {
  test(
    'test_read_zero: read(0) gives an empty buffer and leaves the data',
    inLoop(async () => {
      const r = fed('line1\nline2\nline3\n');
      expect((await r.read(0)).length).toBe(0);
      expect(r.stats().buffered).toBe(DATA.length);
    }),
  );

  test(
    'test_read: read(30) waits for the data, then returns all of it',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(30));
      await tick();
      expect(t.done()).toBe(false);
      r.feedData(DATA);
      expect((await t).toString()).toBe(DATA.toString());
      expect(r.stats().buffered).toBe(0);
    }),
  );

  test(
    'test_read_line_breaks: read(5) takes one chunk and leaves the next',
    inLoop(async () => {
      const r = fed('line1', 'line2');
      expect((await r.read(5)).toString()).toBe('line1');
      expect(r.stats().buffered).toBe(5);
      expect((await r.read(5)).toString()).toBe('line2');
    }),
  );

  test(
    'test_read_eof: read(1024) at EOF gives an empty buffer',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(1024));
      await tick();
      r.feedEof();
      expect((await t).length).toBe(0);
    }),
  );

  test(
    'test_read_until_eof: read(-1) reads to EOF',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(-1));
      r.feedData(b('chunk1\n'));
      r.feedData(b('chunk2'));
      await tick();
      expect(t.done()).toBe(false);
      r.feedEof();
      expect((await t).toString()).toBe('chunk1\nchunk2');
    }),
  );

  test(
    'test_read_limit: read(5) with limit 3 still gives 5 bytes',
    inLoop(async () => {
      const r = new StreamReader({ limit: 3 });
      r.feedData(b('chunk'));
      expect((await r.read(5)).toString()).toBe('chunk');
    }),
  );

  test(
    'read(n) across chunks returns only the first chunk’s bytes when fewer are asked',
    inLoop(async () => {
      const r = fed('ab', 'cd', 'ef');
      expect((await r.read(3)).toString()).toBe('abc');
      expect((await r.read(10)).toString()).toBe('def');
    }),
  );

  test(
    'read() with a non-integer n is a TypeError or RangeError',
    inLoop(async () => {
      const r = new StreamReader();
      await expect(r.read('3' as unknown as number)).rejects.toThrow(TypeError);
      await expect(r.read(1.5)).rejects.toThrow(RangeError);
    }),
  );
});

describe('readline (139)', () => {
  test(
    'test_readline: chunks are joined into one line',
    inLoop(async () => {
      const r = fed('chunk1 ');
      const t = createTask(() => r.readline());
      await tick();
      r.feedData(b('chunk2 '));
      r.feedData(b('chunk3 '));
      await tick();
      r.feedData(b('\n chunk4'));
      expect((await t).toString()).toBe('chunk1 chunk2 chunk3 \n');
      expect(r.stats().buffered).toBe(' chunk4'.length);
    }),
  );

  test(
    'test_readline_limit_with_existing_data: limit 3',
    inLoop(async () => {
      const r = new StreamReader({ limit: 3 });
      r.feedData(b('li'));
      r.feedData(b('ne1\nline2\n'));
      await expect(r.readline()).rejects.toThrow(LimitOverrunError);
      // The oversized line is dropped; the next one stays.
      expect((await r.read(6)).toString()).toBe('line2\n');

      const r2 = new StreamReader({ limit: 3 });
      r2.feedData(b('li'));
      r2.feedData(b('ne1'));
      r2.feedData(b('li'));
      await expect(r2.readline()).rejects.toThrow(LimitOverrunError);
      expect(r2.stats().buffered).toBe(0);
    }),
  );

  test(
    'test_readline_limit: limit 7 is strict on the line without its newline',
    inLoop(async () => {
      const r = new StreamReader({ limit: 7 });
      r.feedData(b('1234567\n'));
      expect((await r.readline()).toString()).toBe('1234567\n');
      r.feedData(b('12345678\n'));
      await expect(r.readline()).rejects.toThrow(LimitOverrunError);
      expect(r.stats().buffered).toBe(0);

      r.feedData(b('12345678'));
      await expect(r.readline()).rejects.toThrow(LimitOverrunError);
      expect(r.stats().buffered).toBe(0);
    }),
  );

  test(
    'test_readline_eof: the rest without a newline, then an empty buffer',
    inLoop(async () => {
      const r = fed('some data');
      r.feedEof();
      expect((await r.readline()).toString()).toBe('some data');
      expect((await r.readline()).length).toBe(0);
    }),
  );

  test(
    'test_readline_empty_eof: EOF alone gives an empty buffer',
    inLoop(async () => {
      const r = new StreamReader();
      r.feedEof();
      expect((await r.readline()).length).toBe(0);
    }),
  );

  test(
    'limit 4: the separator is found but the chunk is longer; the rest stays',
    inLoop(async () => {
      const r = new StreamReader({ limit: 4 });
      r.feedData(b('abcdefgh\nxy\n'));
      const e = await r.readline().catch((x: unknown) => x);
      expect(LimitOverrunError.is(e)).toBe(true);
      expect((e as LimitOverrunError).message).toBe(
        'Separator is found, but chunk is longer than limit',
      );
      expect((e as LimitOverrunError).consumed).toBe(8);
      expect((await r.readline()).toString()).toBe('xy\n');
    }),
  );

  test(
    'test_readline_read_byte_count: lines then the rest',
    inLoop(async () => {
      const r = fed('line1\nline2\nline3\n');
      expect((await r.readline()).toString()).toBe('line1\n');
      expect((await r.read(7)).toString()).toBe('line2\nl');
      expect((await r.readline()).toString()).toBe('ine3\n');
    }),
  );

  test(
    'a long line arriving one byte at a time is found (no rescans lost)',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      const line = 'x'.repeat(5000);
      for (const ch of line) r.feedData(b(ch));
      r.feedData(b('\n'));
      expect((await t).toString()).toBe(`${line}\n`);
    }),
  );
});

describe('readuntil (140)', () => {
  test(
    'test_readuntil_multi_chunks_1: a separator split across chunks',
    inLoop(async () => {
      const r = new StreamReader();
      r.feedData(b('QWEaa'));
      r.feedData(b('XYaa'));
      r.feedData(b('a'));
      expect((await r.readuntil('aaa')).toString()).toBe('QWEaaXYaaa');
      expect(r.stats().buffered).toBe(0);

      r.feedData(b('XXX'));
      r.feedData(b('YYY'));
      r.feedData(b('ZZZ'));
      const t = createTask(() => r.readuntil('ZZZ'));
      expect((await t).toString()).toBe('XXXYYYZZZ');

      r.feedData(b('aaa'));
      r.feedData(b('aaa'));
      expect((await r.readuntil('aaa')).toString()).toBe('aaa');
      expect((await r.readuntil('aaa')).toString()).toBe('aaa');
    }),
  );

  test(
    'a multi-byte separator straddling three chunks',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readuntil('<END>'));
      for (const piece of ['data<', 'E', 'N', 'D>tail']) {
        await tick(1);
        r.feedData(b(piece));
      }
      expect((await t).toString()).toBe('data<END>');
      expect((await r.read(10)).toString()).toBe('tail');
    }),
  );

  test(
    'test_readuntil_eof: IncompleteReadError with the whole buffer, which is cleared',
    inLoop(async () => {
      const r = new StreamReader();
      r.feedData(b('some dataAA'));
      r.feedEof();
      const e = await r.readuntil('AAA').catch((x: unknown) => x);
      expect(IncompleteReadError.is(e)).toBe(true);
      const ire = e as IncompleteReadError;
      expect(ire.partial.toString()).toBe('some dataAA');
      expect(ire.expected).toBeNull();
      expect(ire.message).toMatch(/undefined expected bytes/);
      expect(r.stats().buffered).toBe(0);
    }),
  );

  test(
    'test_readuntil_limit_found_sep: not found, then found past the limit; buffer kept',
    inLoop(async () => {
      const r = new StreamReader({ limit: 3 });
      r.feedData(b('some dataAA'));
      const e1 = await r.readuntil('AAA').catch((x: unknown) => x);
      expect(LimitOverrunError.is(e1)).toBe(true);
      expect((e1 as Error).message).toMatch(/not found/);
      expect(r.stats().buffered).toBe(11);
      r.feedData(b('A'));
      const e2 = await r.readuntil('AAA').catch((x: unknown) => x);
      expect((e2 as Error).message).toMatch(/is found/);
      expect(r.stats().buffered).toBe(12);
    }),
  );

  test(
    'test_readuntil_separator: a list of separators',
    inLoop(async () => {
      const r = new StreamReader();
      r.feedData(b('line 1\nline 2\r'));
      expect((await r.readuntil(['\r', '\n'])).toString()).toBe('line 1\n');
      expect((await r.readuntil(['\r', '\n'])).toString()).toBe('line 2\r');
    }),
  );

  test(
    'test_readuntil_multi_separator: the earliest end wins',
    inLoop(async () => {
      const r = new StreamReader();
      r.feedData(b('ABCDEFG'));
      expect((await r.readuntil(['DEF', 'BCDE'])).toString()).toBe('ABCDE');
      expect((await r.read(10)).toString()).toBe('FG');
    }),
  );

  test(
    'bytes separators (Uint8Array) work like strings',
    inLoop(async () => {
      const r = new StreamReader();
      r.feedData(new Uint8Array([1, 2, 0, 0, 3]));
      expect([...(await r.readuntil(new Uint8Array([0, 0])))]).toEqual([1, 2, 0, 0]);
    }),
  );

  test(
    'an empty separator or list is a RangeError; a number is a TypeError',
    inLoop(async () => {
      const r = new StreamReader();
      await expect(r.readuntil('')).rejects.toThrow(RangeError);
      await expect(r.readuntil([])).rejects.toThrow(/at least one separator/);
      await expect(r.readuntil(7 as unknown as string)).rejects.toThrow(TypeError);
    }),
  );
});

describe('readexactly (141)', () => {
  test(
    'test_readexactly: 36 bytes from three chunks of 18, 18 kept',
    inLoop(async () => {
      const r = new StreamReader();
      const n = 36;
      const t = createTask(() => r.readexactly(n));
      r.feedData(DATA);
      r.feedData(DATA);
      r.feedData(DATA);
      const got = await t;
      expect(got.toString()).toBe(DATA.toString() + DATA.toString());
      expect(r.stats().buffered).toBe(DATA.length);
    }),
  );

  test(
    'test_readexactly_eof: partial and expected, buffer emptied',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readexactly(36));
      r.feedData(DATA);
      await tick();
      r.feedEof();
      const e = await t.catch((x: unknown) => x);
      expect(IncompleteReadError.is(e)).toBe(true);
      const ire = e as IncompleteReadError;
      expect(ire.partial.toString()).toBe(DATA.toString());
      expect(ire.expected).toBe(36);
      expect(ire.message).toBe('18 bytes read on a total of 36 expected bytes');
      expect(r.stats().buffered).toBe(0);
    }),
  );

  test(
    'readexactly(-1) is a RangeError; readexactly(0) gives an empty buffer',
    inLoop(async () => {
      const r = fed('x');
      await expect(r.readexactly(-1)).rejects.toThrow(
        'readexactly() expected `n` to be an integer from 0 and up, got -1',
      );
      expect((await r.readexactly(0)).length).toBe(0);
    }),
  );

  test(
    'at EOF, readexactly(1) gives partial b"" and expected 1',
    inLoop(async () => {
      const r = new StreamReader();
      r.feedEof();
      const e = (await r.readexactly(1).catch((x: unknown) => x)) as IncompleteReadError;
      expect(e.partial.length).toBe(0);
      expect(e.expected).toBe(1);
    }),
  );

  test(
    'readexactly(n) with n far above the limit resumes a paused transport',
    inLoop(async () => {
      const r = new StreamReader({ limit: 4 });
      let paused = 0;
      let resumed = 0;
      r.setTransport({
        pauseReading: () => paused++,
        resumeReading: () => resumed++,
      } as never);
      const t = createTask(() => r.readexactly(100));
      await tick();
      r.feedData(Buffer.alloc(50)); // over 2 × limit: paused
      expect(paused).toBe(1);
      await tick();
      // The waiting read resumed it, or it would never get the rest.
      expect(resumed).toBe(1);
      r.feedData(Buffer.alloc(50));
      expect((await t).length).toBe(100);
    }),
  );
});

describe('exceptions and concurrency (142)', () => {
  test(
    'test_read_exception: reads raise the stored exception',
    inLoop(async () => {
      const r = fed('line\n');
      r.setException(new RangeError('stored'));
      await expect(r.read(2)).rejects.toThrow('stored');
      await expect(r.readline()).rejects.toThrow('stored');
      await expect(r.readexactly(2)).rejects.toThrow('stored');
      await expect(r.readuntil('x')).rejects.toThrow('stored');
    }),
  );

  test(
    'test_exception_waiter: a waiting readline fails with the exception',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      await tick();
      r.setException(new RangeError('late'));
      await expect(t).rejects.toThrow('late');
    }),
  );

  test(
    'test_exception_cancel: a cancelled waiter is left alone by setException',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      await tick();
      t.cancel();
      await tick();
      r.setException(new RangeError('after'));
      await expect(t).rejects.toThrow(CancelledError);
      expect(r.stats().waiting).toBe(false);
    }),
  );

  test('test_invalid_limit: limit 0 and -1 are RangeErrors, a string a TypeError', () => {
    expect(() => new StreamReader({ limit: 0 })).toThrow(
      'StreamReader() expected `limit` to be an integer from 1 and up, got 0',
    );
    expect(() => new StreamReader({ limit: -1 })).toThrow(RangeError);
    expect(() => new StreamReader({ limit: '5' as unknown as number })).toThrow(TypeError);
  });

  test(
    'a second concurrent waiting read is an InvalidStateError',
    inLoop(async () => {
      const r = new StreamReader();
      const first = createTask(() => r.read());
      await tick();
      const e = await r.read(5).catch((x: unknown) => x);
      expect(InvalidStateError.is(e)).toBe(true);
      expect((e as Error).message).toBe(
        'read() called while another task is already waiting for incoming data',
      );
      r.feedEof();
      expect((await first).length).toBe(0);
    }),
  );

  test('feedData after feedEof is an InvalidStateError', () => {
    const r = new StreamReader();
    r.feedEof();
    expect(() => r.feedData(b('x'))).toThrow(InvalidStateError);
  });
});

describe('cancellation and signals lose nothing', () => {
  test(
    'a cancelled readline takes no byte; the next readline gets the line',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      await tick();
      r.feedData(b('par'));
      await tick();
      t.cancel();
      r.feedData(b('tial\n'));
      await expect(t).rejects.toThrow(CancelledError);
      expect((await r.readline()).toString()).toBe('partial\n');
    }),
  );

  test(
    'a read cancelled after its wakeup was sent still leaves the data',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readexactly(4));
      await tick();
      r.feedData(b('abcd')); // wakes the waiter ...
      t.cancel(); // ... which is cancelled before it runs
      await expect(t).rejects.toThrow(CancelledError);
      expect((await r.readexactly(4)).toString()).toBe('abcd');
    }),
  );

  test(
    'a readline handed its line and cancelled before resuming gives the line back',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      await tick();
      r.feedData(b('first\nsecond\n')); // 'first\n' is handed to t ...
      t.cancel(); // ... which is cancelled before it runs
      await expect(t).rejects.toThrow(CancelledError);
      expect((await r.readline()).toString()).toBe('first\n');
      expect((await r.readline()).toString()).toBe('second\n');
    }),
  );

  test(
    'a read(n) handed its bytes and cancelled before resuming gives them back, in order',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.read(3));
      await tick();
      r.feedData(b('abcdef'));
      t.cancel();
      await expect(t).rejects.toThrow(CancelledError);
      r.feedData(b('gh'));
      expect((await r.read(100)).toString()).toBe('abcdefgh');
    }),
  );

  test(
    'the partial line at EOF handed to a cancelled readline comes back too',
    inLoop(async () => {
      const r = new StreamReader();
      const t = createTask(() => r.readline());
      await tick();
      r.feedData(b('tail'));
      r.feedEof();
      t.cancel();
      await expect(t).rejects.toThrow(CancelledError);
      expect((await r.readline()).toString()).toBe('tail');
      expect(r.atEof()).toBe(true);
    }),
  );

  test(
    'an aborted signal rejects with its reason and takes nothing',
    inLoop(async () => {
      const r = new StreamReader();
      const ac = new AbortController();
      const p = r.readline({ signal: ac.signal });
      await tick();
      r.feedData(b('half'));
      ac.abort(new Error('enough'));
      await expect(p).rejects.toThrow('enough');
      r.feedData(b('\n'));
      expect((await r.readline()).toString()).toBe('half\n');
      await expect(r.read(1, { signal: AbortSignal.abort(new Error('pre')) })).rejects.toThrow(
        'pre',
      );
      expect(r.stats().buffered).toBe(0);
    }),
  );

  test(
    'a bad signal is a TypeError',
    inLoop(async () => {
      const r = new StreamReader();
      await expect(r.readline({ signal: 'no' as unknown as AbortSignal })).rejects.toThrow(
        TypeError,
      );
    }),
  );
});

describe('iteration, flow control and introspection', () => {
  test(
    'for await yields lines until EOF',
    inLoop(async () => {
      const r = fed('a\nb\nc');
      r.feedEof();
      const lines: string[] = [];
      for await (const line of r) lines.push(line.toString());
      expect(lines).toEqual(['a\n', 'b\n', 'c']);
    }),
  );

  test(
    'the transport is paused above 2 × limit and resumed at or below the limit',
    inLoop(async () => {
      const r = new StreamReader({ limit: 10 });
      const calls: string[] = [];
      r.setTransport({
        pauseReading: () => calls.push('pause'),
        resumeReading: () => calls.push('resume'),
      } as never);
      r.feedData(Buffer.alloc(20));
      expect(calls).toEqual([]);
      r.feedData(Buffer.alloc(1));
      expect(calls).toEqual(['pause']);
      expect(r.stats().paused).toBe(true);
      await r.read(5); // 16 left: still above the limit
      expect(calls).toEqual(['pause']);
      await r.read(6); // 10 left
      expect(calls).toEqual(['pause', 'resume']);
    }),
  );

  test('setTransport twice is an InvalidStateError', () => {
    const r = new StreamReader();
    r.setTransport({} as never);
    expect(() => r.setTransport({} as never)).toThrow('Transport already set');
  });

  test('toString and stats describe the state', () => {
    const r = new StreamReader({ limit: 5 });
    r.feedData(b('abc'));
    r.feedEof();
    expect(String(r)).toBe('<StreamReader 3 bytes eof limit=5>');
    expect(r.stats()).toEqual({ buffered: 3, limit: 5, eof: true, paused: false, waiting: false });
    expect(Object.isFrozen(r.stats())).toBe(true);
  });
});
