import { RemoteError, ThreadPoolExecutor, transfer } from '@aiots/executors';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { QuotaError } from './fixtures/jobs.ts';
import { job, jobsModule, pools } from './helpers.ts';

describe.each(pools)('%s round trips', (_name, Pool) => {
  let pool: InstanceType<typeof Pool>;
  beforeAll(() => {
    pool = new Pool({ maxWorkers: 2 });
  });
  afterAll(() => pool.shutdown());

  test("a job's task names the job it waits on (formatTaskTree shows it)", async () => {
    const t = pool.submit(job<[number], number>('sleepMs'), 5);
    expect(t.waitingOn()).toEqual(['executor job sleepMs (jobs.ts)']);
    expect(await t).toBe(5);
  });

  test('big arguments: each job gets its own, in order, batched or not', async () => {
    const big = (k: number) => Array.from({ length: 60_000 }, (_, i) => ({ i, k }));
    const sum = (items: { i: number; k: number }[], extra: Uint8Array | number) =>
      items.length * 1000 +
      (items[0] as { k: number }).k +
      (typeof extra === 'number' ? 0 : extra.length);
    // The first round teaches the pool these jobs are slow to send; later rounds go in
    // several messages. A moved buffer and an argument that cannot be sent ride along.
    for (let round = 0; round < 3; round++) {
      const tasks: PromiseLike<unknown>[] = [];
      for (let k = 0; k < 6; k++) {
        const extra = k === 2 ? transfer(new Uint8Array(5)) : k;
        tasks.push(pool.submit(sum, big(k), extra as Uint8Array | number));
      }
      tasks.push(
        pool.submit(sum, big(9), (() => 0) as never).then(
          () => 'sent',
          (e: unknown) => (e as Error).name,
        ),
      );
      expect(await Promise.all(tasks)).toEqual([
        60_000_000,
        60_000_001,
        60_000_007,
        60_000_003,
        60_000_004,
        60_000_005,
        'DataCloneError',
      ]);
    }
  }, 60_000);

  test('values of every cloneable kind come back as they were', async () => {
    const value = {
      n: 1.5,
      s: 'text',
      big: 10n,
      date: new Date(0),
      map: new Map([[1, { a: 'b' }]]),
      set: new Set(['x']),
      bytes: new Uint8Array([1, 2, 3]),
      nested: [{ deep: [1, null, undefined] }],
      re: /x+/g,
    };
    expect(await pool.submit((v: typeof value) => v, value)).toEqual(value);
    expect(
      await pool.submit((a: number, b: string, c: boolean) => [a, b, c], 1, 'two', true),
    ).toEqual([1, 'two', true]);
  });

  test('a module job runs a named export of a .ts module, and its default export', async () => {
    expect(await pool.submit(job<[number, number], number>('add'), 2, 3)).toBe(5);
    expect(await pool.submit({ module: jobsModule }, 41)).toBe(42);
    expect(await pool.submit({ module: jobsModule.pathname, name: 'add' }, 1, 1)).toBe(2);
    expect(
      await pool.submit(
        { module: 'data:text/javascript,export const twice = (x) => x * 2;', name: 'twice' },
        4,
      ),
    ).toBe(8);
  });

  test('async job functions run, and may import built-in modules', async () => {
    // Made from text because vitest rewrites import() in test files (the closure check
    // rightly rejects its __vite_ssr_dynamic_import__).
    // biome-ignore lint/security/noGlobalEval: the test needs a function vitest did not transform.
    // biome-ignore lint/complexity/noCommaOperator: indirect eval, in the global scope.
    const digest = (0, eval)(`(async (s) => {
      const { createHash } = await import('node:crypto');
      await new Promise((resolve) => setTimeout(resolve, 1));
      return createHash('sha256').update(s).digest('hex').slice(0, 8);
    })`) as (s: string) => Promise<string>;
    expect(await pool.submit(digest, 'hello')).toBe('2cf24dba');
  });

  test('a built-in error keeps its class, message, stack, cause and own properties', async () => {
    const err = await pool
      .submit(() => {
        const e = new RangeError('too big', { cause: new Error('inner') }) as RangeError & {
          code?: string;
          limit?: number;
        };
        e.code = 'E_BIG';
        e.limit = 3;
        throw e;
      })
      .then(
        () => undefined,
        (e: unknown) => e as RangeError & { code: string; limit: number; cause: Error },
      );
    expect(err).toBeInstanceOf(RangeError);
    expect(err?.message).toBe('too big');
    expect(err?.stack).toContain('RangeError: too big');
    expect(err?.cause).toBeInstanceOf(Error);
    expect(err?.cause.message).toBe('inner');
    expect(err?.code).toBe('E_BIG');
    expect(err?.limit).toBe(3);
  });

  test('a custom error class becomes a RemoteError that keeps name, message, stack, cause and properties', async () => {
    const err = (await pool
      .submit(job<[number], never>('overQuota'), 5)
      .catch((e: unknown) => e)) as RemoteError & {
      limit: number;
    };
    expect(RemoteError.is(err)).toBe(true);
    expect(err.name).toBe('QuotaError');
    expect(err.remoteClass).toBe('QuotaError');
    expect(err.message).toBe('over quota');
    expect(err.limit).toBe(5);
    expect(err.stack).toContain('fixtures/jobs.ts');
    expect(err.cause).toBeInstanceOf(TypeError);
    expect((err.cause as Error).message).toBe('inner cause');
  });

  test('a value thrown that is not an Error comes back as is', async () => {
    await expect(
      pool.submit(() => {
        throw { code: 42 };
      }),
    ).rejects.toEqual({ code: 42 });
    await expect(pool.submit(() => Promise.reject('just a string'))).rejects.toBe('just a string');
  });

  test('a transferred argument leaves the sender buffer detached at once', async () => {
    const bytes = new Uint8Array(1024).fill(3);
    const task = pool.submit((b: Uint8Array) => b.reduce((s, x) => s + x, 0), transfer(bytes));
    expect(bytes.byteLength).toBe(0);
    expect(bytes.buffer.detached).toBe(true);
    expect(await task).toBe(3072);
    const buf = new ArrayBuffer(16);
    await pool.submit((b: ArrayBuffer) => b.byteLength, transfer(buf));
    expect(buf.detached).toBe(true);
  });

  test('a job can return a transferred buffer', async () => {
    const buf = await pool.submit(job<[number], ArrayBuffer>('makeBuffer'), 8);
    expect(buf).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(buf)]).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
  });
});

test('errorClasses rebuilds a custom class as itself', async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1, errorClasses: [QuotaError] });
  const err = await pool.submit(job<[number], never>('overQuota'), 2).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(QuotaError);
  expect((err as QuotaError).limit).toBe(2);
  expect((err as QuotaError).message).toBe('over quota');
  expect((err as QuotaError).cause).toBeInstanceOf(TypeError);
});
