/**
 * One conformance suite for every byte stream (TCP, TLS, Unix sockets, subprocess pipes,
 * serial lines), in the style of trio's `check_one_way_stream`/`check_two_way_stream`:
 * each transport's test file supplies a factory for a connected pair and gets the same
 * checks. This package cannot depend on `@aiots/loop` or `@aiots/streams` (they use it for
 * their doc checks), so the loop functions and error predicates come in through a `kit`.
 */
import { describe, expect, test } from 'vitest';

/** What the suite needs of a `StreamReader`. */
export interface ConformanceReader {
  read(n?: number, opts?: { signal?: AbortSignal }): Promise<Uint8Array>;
  readline(opts?: { signal?: AbortSignal }): Promise<Uint8Array>;
  readexactly(n: number, opts?: { signal?: AbortSignal }): Promise<Uint8Array>;
  readuntil(sep?: string | Uint8Array, opts?: { signal?: AbortSignal }): Promise<Uint8Array>;
  atEof(): boolean;
}

/** What the suite needs of a `StreamWriter`. */
export interface ConformanceWriter {
  write(data: Uint8Array | string): void;
  drain(opts?: { signal?: AbortSignal }): Promise<void>;
  writeEof(): void;
  canWriteEof(): boolean;
  close(): void;
  isClosing(): boolean;
  waitClosed(): Promise<void>;
  readonly transport: { getWriteBufferSize(): number };
}

/** A task as the suite uses it. */
export interface ConformanceTask<T> extends PromiseLike<T> {
  cancel(msg?: unknown): boolean;
  done(): boolean;
}

/** The loop functions and error checks the suite runs with (from `@aiots/loop` and the package under test). */
export interface ConformanceKit {
  /** `run` from `@aiots/loop`. */
  run<T>(main: () => Promise<T>): Promise<T>;
  /** `createTask` from `@aiots/loop`. */
  createTask<T>(fn: () => Promise<T>): ConformanceTask<T>;
  /** `sleep` from `@aiots/loop`. */
  sleep(ms: number): Promise<void>;
  /** `CancelledError.is`. */
  isCancelled(e: unknown): boolean;
  /** `LimitOverrunError.is`. */
  isLimitOverrun(e: unknown): boolean;
  /** `IncompleteReadError.is`. */
  isIncompleteRead(e: unknown): boolean;
  /** `ConnectionError.is` (any named connection error). */
  isConnectionError(e: unknown): boolean;
}

/** A one-way stream: bytes written to `writer` come out of `reader`. */
export interface OneWayPair {
  writer: ConformanceWriter;
  reader: ConformanceReader;
  /** Ends everything the pair holds (sockets, processes, servers). */
  cleanup(): Promise<void>;
}

/** A two-way stream: two connected endpoints. */
export interface TwoWayPair {
  left: [ConformanceReader, ConformanceWriter];
  right: [ConformanceReader, ConformanceWriter];
  /** Makes the right side's connection fail abruptly (a TCP reset, a killed peer). */
  resetRight?: () => void;
  /** Ends everything the pair holds. */
  cleanup(): Promise<void>;
}

/** Options shared by both suites. */
export interface ConformanceOptions {
  /** The kit: loop functions and error predicates. */
  kit: ConformanceKit;
  /** Bytes per direction in the random-chunk test (default 1 MiB). */
  bulkBytes?: number;
  /** Seed of the random chunk sizes (default 0x5eed). */
  seed?: number;
  /** Per-test time limit in ms (default 20 000). */
  timeoutMs?: number;
  /** True when the writer can half-close (`writeEof`) and the reader then sees EOF. */
  halfClose?: boolean;
}

/**
 * A small seeded PRNG (mulberry32): the same chunk sizes on every run.
 *
 * @param seed Any integer.
 * @returns A function giving numbers in [0, 1).
 * @example
 * ```ts
 * import { seededRandom } from '@aiots/test-utils';
 * const a = seededRandom(1);
 * const b = seededRandom(1);
 * console.log(a() === b()); // true
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pattern(n: number, salt: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + salt * 7 + (i >>> 8)) & 0xff;
  return b;
}

async function sendRandomChunks(
  w: ConformanceWriter,
  data: Buffer,
  rnd: () => number,
): Promise<void> {
  let at = 0;
  while (at < data.length) {
    const n = Math.min(data.length - at, 1 + Math.floor(rnd() * 65536));
    w.write(data.subarray(at, at + n));
    at += n;
    if (rnd() < 0.5) await w.drain();
  }
  await w.drain();
}

async function receiveRandomReads(
  r: ConformanceReader,
  total: number,
  rnd: () => number,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < total) {
    const want = Math.min(total - got, 1 + Math.floor(rnd() * 70000));
    const chunk = Buffer.from(rnd() < 0.5 ? await r.readexactly(want) : await r.read(want));
    expect(chunk.length).toBeGreaterThan(0);
    parts.push(chunk);
    got += chunk.length;
  }
  return Buffer.concat(parts);
}

/**
 * Registers the one-way checks for streams made by `makePair`: ordered delivery of random
 * chunk sizes, `readexactly` across chunk boundaries, `readuntil` with a separator split
 * across chunks, limit overruns and recovery (the pair's reader must have a limit of
 * 1024), cancellation of a waiting read with no byte lost, many concurrent `drain()` waiters
 * all released, writes after close rejected with a named error, and half-close when the
 * writer supports it.
 *
 * @param name The transport's name, for the test titles.
 * @param makePair Makes a fresh pair whose reader has a limit of 1024 bytes.
 * @param options The kit and sizes.
 * @example
 * ```ts no-run
 * checkOneWayStream('subprocess pipes', makeCatPair, { kit });
 * ```
 */
export function checkOneWayStream(
  name: string,
  makePair: () => Promise<OneWayPair>,
  options: ConformanceOptions,
): void {
  const { kit } = options;
  const timeout = options.timeoutMs ?? 20_000;
  const bulk = options.bulkBytes ?? 1 << 20;
  const seed = options.seed ?? 0x5eed;
  const withPair = (body: (p: OneWayPair) => Promise<void>) => () =>
    kit.run(async () => {
      const p = await makePair();
      try {
        await body(p);
      } finally {
        await p.cleanup();
      }
    });

  describe(`${name}: one-way stream conformance`, () => {
    test(
      'ordered delivery of random chunk sizes (seeded)',
      withPair(async ({ writer, reader }) => {
        const data = pattern(bulk, 1);
        const send = kit.createTask(() => sendRandomChunks(writer, data, seededRandom(seed)));
        const got = await receiveRandomReads(reader, data.length, seededRandom(seed + 1));
        await send;
        expect(got.equals(data)).toBe(true);
      }),
      timeout,
    );

    test(
      'readexactly across chunk boundaries',
      withPair(async ({ writer, reader }) => {
        const t = kit.createTask(() => reader.readexactly(12));
        for (const piece of ['abcd', 'efgh', 'ijkl']) {
          writer.write(piece);
          await writer.drain();
          await kit.sleep(1);
        }
        expect(Buffer.from(await t).toString()).toBe('abcdefghijkl');
      }),
      timeout,
    );

    test(
      'readuntil with a separator split across chunks',
      withPair(async ({ writer, reader }) => {
        const t = kit.createTask(() => reader.readuntil('<SEP>'));
        for (const piece of ['head<S', 'E', 'P>tail\n']) {
          writer.write(piece);
          await writer.drain();
          await kit.sleep(1);
        }
        expect(Buffer.from(await t).toString()).toBe('head<SEP>');
        expect(Buffer.from(await reader.readline()).toString()).toBe('tail\n');
      }),
      timeout,
    );

    test(
      'a line over the limit raises LimitOverrunError; the lines after it read fine',
      withPair(async ({ writer, reader }) => {
        writer.write(Buffer.alloc(3000, 0x78));
        writer.write('\nafter\n');
        await writer.drain();
        const e = await reader.readline().catch((x: unknown) => x);
        expect(kit.isLimitOverrun(e)).toBe(true);
        // asyncio's rule: when the overrun was seen before the newline arrived, the buffer
        // is cleared and the rest of the long line still comes, as a line of its own or
        // further overruns. The next real line is intact.
        for (let i = 0; i < 10; i++) {
          const line = await reader.readline().then(
            (l) => Buffer.from(l).toString(),
            (x: unknown) => {
              expect(kit.isLimitOverrun(x)).toBe(true);
              return 'overrun';
            },
          );
          if (line === 'after\n') return;
          expect(line === 'overrun' || /^x*\n$/.test(line)).toBe(true);
        }
        throw new Error('the line after the overrun never came');
      }),
      timeout,
    );

    test(
      'a cancelled waiting read loses no byte',
      withPair(async ({ writer, reader }) => {
        const t = kit.createTask(() => reader.readexactly(10));
        writer.write('01234');
        await writer.drain();
        await kit.sleep(5);
        t.cancel();
        const e = await Promise.resolve(t).then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(kit.isCancelled(e)).toBe(true);
        writer.write('56789');
        await writer.drain();
        expect(Buffer.from(await reader.readexactly(10)).toString()).toBe('0123456789');
      }),
      timeout,
    );

    test(
      'a read aborted by its signal loses no byte',
      withPair(async ({ writer, reader }) => {
        const ac = new AbortController();
        const p = reader.readline({ signal: ac.signal });
        writer.write('par');
        await writer.drain();
        await kit.sleep(5);
        ac.abort(new Error('give up'));
        await expect(p).rejects.toThrow('give up');
        writer.write('tial\n');
        await writer.drain();
        expect(Buffer.from(await reader.readline()).toString()).toBe('partial\n');
      }),
      timeout,
    );

    test(
      'many concurrent drain() waiters are all released',
      withPair(async ({ writer, reader }) => {
        let sent = 0;
        // Write until every buffer below ours is full and ours stays well above the high
        // watermark (the reader is idle, so nothing drains it).
        for (let i = 0; i < 1024 && writer.transport.getWriteBufferSize() <= 4 * 65536; i++) {
          writer.write(Buffer.alloc(64 * 1024, 0x61));
          sent += 64 * 1024;
          await kit.sleep(1);
        }
        expect(writer.transport.getWriteBufferSize()).toBeGreaterThan(4 * 65536);
        const drains = Array.from({ length: 20 }, () => kit.createTask(() => writer.drain()));
        await kit.sleep(1);
        expect(drains.some((d) => d.done())).toBe(false);
        const drained = kit.createTask(async () => {
          let got = 0;
          while (got < sent) got += (await reader.read(1 << 16)).length;
          return got;
        });
        await Promise.all(drains);
        expect(await drained).toBe(sent);
      }),
      timeout,
    );

    test(
      'a write after close is rejected by drain() with a named error',
      withPair(async ({ writer }) => {
        writer.close();
        expect(writer.isClosing()).toBe(true);
        writer.write('late');
        const e = await writer.drain().catch((x: unknown) => x);
        expect(kit.isConnectionError(e)).toBe(true);
      }),
      timeout,
    );

    if (options.halfClose) {
      test(
        'half-close: the reader gets everything, then EOF',
        withPair(async ({ writer, reader }) => {
          expect(writer.canWriteEof()).toBe(true);
          writer.write('last words');
          writer.writeEof();
          expect(Buffer.from(await reader.read()).toString()).toBe('last words');
          expect(reader.atEof()).toBe(true);
          expect((await reader.read(10)).length).toBe(0);
        }),
        timeout,
      );
    }
  });
}

/**
 * Registers the two-way checks for endpoint pairs made by `makePair`: the one-way checks
 * in each direction, both directions at once, half-close with a reply, a peer reset while a
 * read waits (a named error, never a hang), and a close while a read waits (EOF).
 *
 * @param name The transport's name, for the test titles.
 * @param makePair Makes a fresh pair whose readers have a limit of 1024 bytes.
 * @param options The kit and sizes; `halfClose` when `writeEof` is supported.
 * @example
 * ```ts no-run
 * checkTwoWayStream('TCP', makeTcpPair, { kit, halfClose: true });
 * ```
 */
export function checkTwoWayStream(
  name: string,
  makePair: () => Promise<TwoWayPair>,
  options: ConformanceOptions,
): void {
  const { kit } = options;
  const timeout = options.timeoutMs ?? 20_000;
  const bulk = options.bulkBytes ?? 1 << 20;
  const seed = options.seed ?? 0x5eed;
  const oneWay = (flip: boolean) => async (): Promise<OneWayPair> => {
    const p = await makePair();
    const [from, to] = flip ? [p.right, p.left] : [p.left, p.right];
    return { writer: from[1], reader: to[0], cleanup: p.cleanup };
  };
  checkOneWayStream(`${name} (left to right)`, oneWay(false), options);
  checkOneWayStream(`${name} (right to left)`, oneWay(true), { ...options, seed: seed + 100 });

  const withPair = (body: (p: TwoWayPair) => Promise<void>) => () =>
    kit.run(async () => {
      const p = await makePair();
      try {
        await body(p);
      } finally {
        await p.cleanup();
      }
    });

  describe(`${name}: two-way stream conformance`, () => {
    test(
      'both directions at once, random chunk sizes',
      withPair(async ({ left, right }) => {
        const a = pattern(bulk, 2);
        const b = pattern(bulk, 3);
        const tasks = [
          kit.createTask(() => sendRandomChunks(left[1], a, seededRandom(seed + 2))),
          kit.createTask(() => sendRandomChunks(right[1], b, seededRandom(seed + 3))),
        ];
        const [gotA, gotB] = await Promise.all([
          kit.createTask(() => receiveRandomReads(right[0], a.length, seededRandom(seed + 4))),
          kit.createTask(() => receiveRandomReads(left[0], b.length, seededRandom(seed + 5))),
        ]);
        await Promise.all(tasks);
        expect(gotA?.equals(a)).toBe(true);
        expect(gotB?.equals(b)).toBe(true);
      }),
      timeout,
    );

    if (options.halfClose) {
      test(
        'half-close: the other side still replies after EOF',
        withPair(async ({ left, right }) => {
          left[1].write('question');
          left[1].writeEof();
          expect(Buffer.from(await right[0].read()).toString()).toBe('question');
          right[1].write('answer');
          await right[1].drain();
          right[1].close();
          expect(Buffer.from(await left[0].read()).toString()).toBe('answer');
        }),
        timeout,
      );
    }

    test(
      'a close while a read waits ends the read with EOF',
      withPair(async ({ right }) => {
        const t = kit.createTask(() => right[0].readline());
        await kit.sleep(5);
        right[1].close();
        expect((await t).length).toBe(0);
      }),
      timeout,
    );

    test(
      'a peer reset while a read waits fails the read with a named error or EOF, never a hang',
      withPair(async ({ left, resetRight }) => {
        const t = kit.createTask(() => left[0].readexactly(100));
        await kit.sleep(5);
        if (resetRight === undefined) throw new Error('the pair has no resetRight()');
        resetRight();
        const e = await Promise.resolve(t).then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(kit.isConnectionError(e) || kit.isIncompleteRead(e)).toBe(true);
      }),
      timeout,
    );
  });
}
