import type { MessagePort } from 'node:worker_threads';
import {
  ClosureError,
  DataCloneError,
  ExecutorShutdownError,
  JobExportError,
  JobModuleError,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  transfer,
} from '@aiots/executors';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { job, jobsModule, pools } from './helpers.ts';

describe.each(pools)('%s bad input', (_name, Pool) => {
  let pool: InstanceType<typeof Pool>;
  beforeAll(() => {
    pool = new Pool({ maxWorkers: 1 });
  });
  afterAll(() => pool.shutdown());

  test('options of the wrong type are a TypeError, out of range a RangeError', () => {
    expect(() => new Pool({ maxWorkers: 0 })).toThrow(
      new RangeError('Expected `maxWorkers` to be an integer from 1 to 1024, got 0'),
    );
    expect(() => new Pool({ maxWorkers: 1.5 })).toThrow(RangeError);
    expect(() => new Pool({ maxWorkers: 1e6 })).toThrow(
      new RangeError('Expected `maxWorkers` to be an integer from 1 to 1024, got 1000000'),
    );
    expect(() => new Pool({ maxWorkers: '2' as never })).toThrow(
      new TypeError('Expected `maxWorkers` to be an integer from 1 to 1024, got string "2"'),
    );
    expect(() => new Pool({ cancelGraceMs: -1 })).toThrow(
      new RangeError('Expected `cancelGraceMs` to be an integer from 0 to 2147483647, got -1'),
    );
    expect(() => new Pool({ idleTimeoutMs: Number.NaN } as never)).toThrow(RangeError);
    // Node's timers cannot wait longer: a bigger timeout would fire at once.
    expect(() => new Pool({ idleTimeoutMs: 2 ** 31 } as never)).toThrow(
      /`idleTimeoutMs` to be an integer from 0 to 2147483647 or Infinity, got 2147483648/,
    );
    expect(() => new Pool({ errorClasses: [42] as never })).toThrow(
      new TypeError(
        'Expected `errorClasses` to be an array of Error classes, got number 42 at index 0',
      ),
    );
    expect(() => new Pool(null as never)).toThrow(TypeError);
    expect(() => new Pool({ maxWorkers: 1024 } as never)).not.toThrow();
  });

  test('an unknown option is a TypeError that names the known ones', () => {
    const kind = Pool.name;
    const err = (() => {
      try {
        new Pool({ maxWorker: 2 } as never);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(TypeError);
    expect(
      err?.message.startsWith(
        `Unknown option \`maxWorker\` in ${kind} options (did you mean \`maxWorkers\`?); expected only \`maxWorkers\`, \`idleTimeoutMs\`, \`cancelGraceMs\`, \`errorClasses\`, `,
      ),
    ).toBe(true);
    expect(() => new Pool({ zzz: 1 } as never)).toThrow(
      /^Unknown option `zzz` in \w+ options; expected only/,
    );
  });

  test('shutdown() and map() reject unknown and malformed options too', async () => {
    const p = new Pool({ maxWorkers: 1 });
    await expect(p.shutdown({ cancel_futures: true } as never)).rejects.toThrow(
      /Unknown option `cancel_futures` in shutdown\(\) options \(did you mean `cancelFutures`\?\)/,
    );
    await expect(p.shutdown({ wait: 'yes' } as never)).rejects.toThrow(
      new TypeError('Expected `wait` to be a boolean, got string "yes"'),
    );
    expect(() => p.map((x: number) => x, [1], { chunkSize: 2 } as never)).toThrow(
      /Unknown option `chunkSize` in \w+\.map\(\) options \(did you mean `chunksize`\?\)/,
    );
    await p.shutdown();
  });

  test('submit after shutdown throws ExecutorShutdownError', async () => {
    const p = new Pool({ maxWorkers: 1 });
    await p.shutdown();
    expect(() => p.submit(() => 1)).toThrow(ExecutorShutdownError);
    expect(() => p.map((x: number) => x, [1])).toThrow(/was called after shutdown\(\)/);
  });

  test('a job that is neither a function nor { module, name } is a TypeError', () => {
    expect(() => pool.submit(42 as never)).toThrow(
      /expected a job: a self-contained function or \{ module, name \}, got number 42/,
    );
    expect(() => pool.submit({ module: './jobs.ts' })).toThrow(
      /expected `module` to be a URL or an absolute path, got string "\.\/jobs\.ts"/,
    );
    expect(() => pool.submit(Math.max)).toThrow(/built-in or bound function max/);
    expect(() => transfer({ a: 1 })).toThrow(/expects an ArrayBuffer, a typed array or a DataView/);
  });

  test('a module that does not exist fails at submit with JobModuleError', () => {
    const missing = new URL('./fixtures/missing.ts', import.meta.url);
    expect(() => pool.submit({ module: missing, name: 'x' })).toThrow(JobModuleError);
    try {
      pool.submit({ module: missing, name: 'x' });
    } catch (e) {
      expect((e as JobModuleError).module).toBe(missing.href);
      expect((e as Error).message).toMatch(
        /Cannot find the job module .*missing\.ts: expected an existing file/,
      );
    }
  });

  test('a module that fails to load fails the job with JobModuleError and its cause', async () => {
    const err = (await pool
      .submit({ module: 'data:text/javascript,export default (', name: 'default' })
      .catch((e: unknown) => e)) as JobModuleError;
    expect(JobModuleError.is(err)).toBe(true);
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  test('an export that is missing or not a function fails the job with JobExportError', async () => {
    const notFn = (await pool
      .submit(job('notAFunction'))
      .catch((e: unknown) => e)) as JobExportError;
    expect(JobExportError.is(notFn)).toBe(true);
    expect(notFn.exportName).toBe('notAFunction');
    expect(notFn.message).toMatch(
      /to export a function named "notAFunction", got number 42; its function exports are: .*add/,
    );
    const missing = (await pool
      .submit({ module: jobsModule, name: 'nope' })
      .catch((e: unknown) => e)) as JobExportError;
    expect(missing.message).toMatch(/named "nope", got undefined/);
    expect(await pool.submit(job<[number, number], number>('add'), 1, 2)).toBe(3); // the worker is fine
  });

  test('an argument that cannot be cloned fails its job with DataCloneError, naming it', async () => {
    const fail = async (t: PromiseLike<unknown>) =>
      (await t.then(
        () => undefined,
        (e) => e,
      )) as DataCloneError;
    // Three jobs in one batch: the one that cannot be sent fails, the others run.
    const jobs = [
      pool.submit((a: number) => a, 1),
      pool.submit((a: number, b: object) => [a, b], 1, { nested: { cb: () => 1 } }),
      pool.submit((a: number) => a + 1, 2),
    ];
    const err = await fail(jobs[1] as PromiseLike<unknown>);
    expect(DataCloneError.is(err)).toBe(true);
    expect(err.argument).toBe('args[1].nested.cb');
    expect(err.message).toMatch(
      /^Argument 1 of \w+\.submit\(\) cannot be sent to a worker: expected data .*, got a function \(cb\) at args\[1\]\.nested\.cb$/,
    );
    expect(err.cause).toBeInstanceOf(Error);
    expect(await jobs[0]).toBe(1);
    expect(await jobs[2]).toBe(3);
    expect((await fail(pool.submit((s: symbol) => s, Symbol('s')))).message).toMatch(
      /^Argument 0 of .* got a symbol \(Symbol\(s\)\)$/,
    );
    const promise = await fail(pool.submit((p: unknown) => p, [1, Promise.resolve(2)]));
    expect(promise.argument).toBe('args[0][1]');
    expect(promise.message).toMatch(
      /an instance of Promise that cannot be cloned at args\[0\]\[1\]$/,
    );
    const detached = new ArrayBuffer(8);
    detached.transfer();
    expect((await fail(pool.submit((b: ArrayBuffer) => b, detached))).message).toMatch(
      /got a detached ArrayBuffer$/,
    );
    // A job sent alone whose definition travelled with it: the worker still learns the
    // function, and the next job that uses it runs.
    const echo = (x: unknown) => x;
    expect((await fail(pool.submit(echo, () => 0))).argument).toBe('args[0]');
    expect(await pool.submit(echo, 'fine')).toBe('fine');
    for (const m of [err.message, promise.message]) expect(m).not.toMatch(/\.\./);
  });

  test('an item of map() that cannot be cloned fails there, after the items before it', async () => {
    for (const chunksize of [1, 2]) {
      const seen: unknown[] = [];
      const err = await (async () => {
        for await (const y of pool.map((x: unknown) => x, [1, 2, { f: () => 3 }, 4], { chunksize }))
          seen.push(y);
      })().then(
        () => undefined,
        (e: unknown) => e as DataCloneError,
      );
      expect(DataCloneError.is(err)).toBe(true);
      expect(err?.argument).toBe('item.f');
      expect(err?.message).toMatch(
        /^An item of \w+\.map\(\) cannot be sent to a worker: .* got a function \(f\) at item\.f$/,
      );
      expect(seen).toEqual([1, 2]);
    }
  });

  test('submit clones each argument once: nothing is cloned on the loop beforehand', async () => {
    let reads = 0;
    const arg = new (class Payload {})() as { x?: number };
    Object.defineProperty(arg, 'x', {
      enumerable: true,
      get: () => {
        reads++;
        return 7;
      },
    });
    expect(await pool.submit((o: { x: number }) => o.x, arg as { x: number })).toBe(7);
    expect(reads).toBe(1);
  });

  test('a result that cannot be cloned fails the job with DataCloneError', async () => {
    const err = (await pool
      .submit(job<[], () => void>('returnFunction'))
      .catch((e: unknown) => e)) as DataCloneError;
    expect(DataCloneError.is(err)).toBe(true);
    expect(err.argument).toBe('result');
    expect(err.message).toMatch(
      /^The result of this job cannot be sent back \(\(\) => \{\} could not be cloned\)\. Results cross by structured clone: /,
    );
    expect(err.message).not.toMatch(/\.\./);
    expect(await pool.submit(job<[number, number], number>('add'), 2, 2)).toBe(4);
  });

  test('a function that closes over outer variables is rejected, naming them', () => {
    const factor = 3;
    const offset = 1;
    const err = (() => {
      try {
        pool.submit((x: number) => x * factor + offset, 2);
      } catch (e) {
        return e as ClosureError;
      }
    })();
    expect(ClosureError.is(err)).toBe(true);
    expect(err?.identifiers).toEqual(['factor', 'offset']);
    expect(err?.message).toMatch(/uses `factor`, `offset`, which are defined outside it/);
    expect(err?.message).toMatch(
      /submit \{ module: new URL\('\.\/jobs\.ts', import\.meta\.url\), name: 'job' \}/,
    );
  });

  test('what a closure check cannot see is explained when the worker hits it', async () => {
    (globalThis as Record<string, unknown>).onlyOnMain = 5;
    try {
      const err = (await pool
        .submit(() => (globalThis as unknown as { x: number }).x + (onlyOnMain as number))
        .catch((e: unknown) => e)) as ClosureError;
      expect(ClosureError.is(err)).toBe(true);
      expect(err.identifiers).toEqual(['onlyOnMain']);
      expect(err.cause).toBeInstanceOf(ReferenceError);
    } finally {
      delete (globalThis as Record<string, unknown>).onlyOnMain;
    }
  });

  test('map options must be positive integers', () => {
    expect(() => pool.map((x: number) => x, [1], { chunksize: 0 })).toThrow(
      new RangeError('Expected `chunksize` to be an integer from 1 to 9007199254740991, got 0'),
    );
    expect(() => pool.map((x: number) => x, [1], { prefetch: '2' as never })).toThrow(TypeError);
    expect(() => pool.map((x: number) => x, 5 as never)).toThrow(
      /expected items to be an Iterable or AsyncIterable, got number/,
    );
  });
});

declare const onlyOnMain: number;

test('a process pool refuses shared memory and ports', async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  // A view of shared memory would arrive as a copy: refused at submit.
  expect(() => pool.submit((a: Int32Array) => a, new Int32Array(new SharedArrayBuffer(4)))).toThrow(
    /^Argument 0 of ProcessPoolExecutor\.submit\(\) cannot be sent to a worker process: expected data, got a view of a SharedArrayBuffer, which processes cannot share/,
  );
  // A SharedArrayBuffer itself cannot be sent at all: the job fails, saying why.
  const shared = (await pool
    .submit((a: object) => a, { sab: new SharedArrayBuffer(4) })
    .then(
      () => undefined,
      (e: unknown) => e,
    )) as DataCloneError;
  expect(DataCloneError.is(shared)).toBe(true);
  expect(shared.message).toMatch(
    /^Argument 0 of ProcessPoolExecutor\.submit\(\) .* got shared memory \(a SharedArrayBuffer\), which processes cannot share at args\[0\]\.sab$/,
  );
  // Transfers are moved at submit, so a transfer list the pool cannot move throws there.
  const { port1, port2 } = new MessageChannel();
  expect(() => pool.submit((p: unknown) => p, transfer(port1, [port1]))).toThrow(
    /can move only ArrayBuffers, got MessagePort/,
  );
  port1.close();
  port2.close();
});

test('a thread pool can transfer a MessagePort', async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const { port1, port2 } = new MessageChannel();
  const reply = new Promise((resolve) => port1.once('message', resolve));
  await pool.submit(
    (p: MessagePort) => {
      p.postMessage('hello from the worker');
      p.close();
    },
    transfer(port2, [port2]),
  );
  expect(await reply).toBe('hello from the worker');
  port1.close();
});

test('each pool names the options that belong to the other one', () => {
  expect(() => new ProcessPoolExecutor({ resourceLimits: {} } as never)).toThrow(
    /Unknown option `resourceLimits` in ProcessPoolExecutor options: a process pool takes no `resourceLimits`; limit a child's heap with `execArgv: \['--max-old-space-size=256'\]`/,
  );
  expect(() => new ThreadPoolExecutor({ execArgv: [] } as never)).toThrow(
    /Unknown option `execArgv` in ThreadPoolExecutor options: a thread pool takes no `execArgv`/,
  );
  expect(() => new ProcessPoolExecutor({ execArgv: [1] as never })).toThrow(
    new TypeError('Expected `execArgv` to be an array of strings, got an array of length 1'),
  );
  expect(() => new ThreadPoolExecutor({ name: 3 as never })).toThrow(
    new TypeError('Expected `name` to be a string, got number 3'),
  );
});
