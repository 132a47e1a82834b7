/**
 * Bad input gets a named error that says what was expected and what came, at once, and
 * nothing is changed: URLs, a server that is down at start, names, options, items.
 */
import { createServer } from 'node:net';
import { CancelledError, createTask, sleep } from '@aiots/loop';
import {
  CodecError,
  connect,
  InvalidNameError,
  InvalidRedisUrlError,
  type RedisConnection,
  RedisFrontier,
  RedisQueue,
  RedisSet,
  RedisUnavailableError,
  validateName,
} from '@aiots/redis';
import { type RedisServer, startRedisServer } from '@aiots/redis/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let server: RedisServer;
let conn: RedisConnection;

beforeAll(async () => {
  server = await startRedisServer();
  conn = await connect(server.url);
});
afterAll(async () => {
  await conn?.close();
  await server?.stop();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  return await new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('connect(): URLs', () => {
  test.each([
    ['http://localhost:6379', 'scheme redis: or rediss:'],
    ['localhost:6379', 'scheme redis: or rediss:'],
    ['not a url', 'got "not a url"'],
    ['', 'got ""'],
    ['redis://localhost:6379/abc', 'an optional database number'],
    ['redis://localhost:6379/0?x=1', 'no query or fragment'],
  ])('%s is an InvalidRedisUrlError showing the input', async (url, words) => {
    const err = await connect(url).catch((e) => e);
    expect(InvalidRedisUrlError.is(err)).toBe(true);
    expect(err.code).toBe('AIOTS_REDIS_INVALID_URL');
    expect(err.message).toContain('expected a Redis URL like redis://localhost:6379');
    expect(err.message).toContain(words);
  });

  test('a password in a bad URL is masked in the message', async () => {
    const err = await connect('redis://user:s3cret@localhost:6379/x').catch((e) => e);
    expect(InvalidRedisUrlError.is(err)).toBe(true);
    expect(err.message).not.toContain('s3cret');
    expect(err.input).toBe('redis://user:***@localhost:6379/x');
  });

  test('a URL that is not a string is a TypeError', async () => {
    await expect(connect(6379 as never)).rejects.toThrow(TypeError);
    await expect(connect(6379 as never)).rejects.toThrow(
      'connect() expected a Redis URL string like redis://localhost:6379, got number 6379',
    );
  });

  test('connectTimeoutMs out of range or of the wrong type', async () => {
    await expect(connect(server.url, { connectTimeoutMs: -1 })).rejects.toThrow(RangeError);
    await expect(connect(server.url, { connectTimeoutMs: '5' as never })).rejects.toThrow(
      TypeError,
    );
  });
});

describe('connect(): Redis down at start', () => {
  test('retries for connectTimeoutMs, then RedisUnavailableError naming host and port', async () => {
    const port = await closedPort();
    const err = await connect(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 1_000 }).catch(
      (e) => e,
    );
    expect(RedisUnavailableError.is(err)).toBe(true);
    expect(err.host).toBe('127.0.0.1');
    expect(err.port).toBe(port);
    expect(err.message).toContain(`Redis at 127.0.0.1:${port} is unavailable`);
    expect(err.message).toContain('ECONNREFUSED');
  });

  test('a server that comes up during the retry window is connected to', async () => {
    const late = await startRedisServer();
    const port = late.port;
    await late.stop();
    const connecting = connect(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 10_000 });
    await sleep(200);
    const revived = await startRedisServerOn(port);
    try {
      const c = await connecting;
      expect(await new RedisSet(c, 's').add('x')).toBe(true);
      await c.close();
    } finally {
      await revived.stop();
    }
  });

  test('connecting is a cancellation point', async () => {
    const port = await closedPort();
    const t = createTask(() => connect(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 20_000 }));
    await sleep(50);
    t.cancel();
    await expect(t).rejects.toThrow(CancelledError);
    expect(t.cancelled()).toBe(true);
  });
});

/** A server on a given port (the port a stopped one had). */
async function startRedisServerOn(port: number): Promise<{ stop(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

describe('names', () => {
  test.each([
    ['my queue', '" " is not allowed'],
    ['', 'it is empty'],
    ['a{b}', '"{" is not allowed'],
    ['x'.repeat(201), 'it has 201 characters'],
  ])('queue name %j is an InvalidNameError', (name, why) => {
    let err: unknown;
    try {
      new RedisQueue(conn, name);
    } catch (e) {
      err = e;
    }
    expect(InvalidNameError.is(err)).toBe(true);
    expect((err as InvalidNameError).input).toBe(name);
    expect((err as Error).message).toContain(
      'expected `name` to be 1 to 200 letters, digits or _ . : - / (no spaces)',
    );
    expect((err as Error).message).toContain(why);
  });

  test('validateName() checks a name before anything is opened, as a command line needs', () => {
    expect(validateName('crawl-1')).toBe('crawl-1');
    expect(() => validateName('my crawl', '--crawl-id')).toThrow(
      'Expected `--crawl-id` to be 1 to 200 letters, digits or _ . : - / (no spaces), got "my crawl" (" " is not allowed)',
    );
    expect(() => validateName(3 as never)).toThrow(TypeError);
  });

  test('a crawl id with spaces, a set name, a group and a consumer are checked too', () => {
    expect(() => new RedisFrontier(conn, 'my crawl')).toThrow(
      'RedisFrontier expected `crawlId` to be 1 to 200 letters, digits or _ . : - / (no spaces), got "my crawl"',
    );
    expect(() => new RedisSet(conn, 'a b')).toThrow(InvalidNameError);
    expect(() => new RedisQueue(conn, 'ok', { group: 'g 1' })).toThrow(InvalidNameError);
    expect(() => new RedisQueue(conn, 'ok', { consumer: 'c 1' })).toThrow(InvalidNameError);
    expect(() => new RedisQueue(conn, 42 as never)).toThrow(TypeError);
  });
});

describe('options and arguments', () => {
  test('not a connection', () => {
    expect(() => new RedisQueue({} as never, 'q')).toThrow(
      'RedisQueue expected a RedisConnection from connect(), got an instance of Object',
    );
    expect(() => new RedisSet(null as never, 's')).toThrow(TypeError);
  });

  test('number options: TypeError for a wrong type, RangeError out of range', () => {
    expect(() => new RedisQueue(conn, 'q', { maxsize: -1 })).toThrow(
      'RedisQueue expected `maxsize` to be an integer from 0 and up, got -1',
    );
    expect(() => new RedisQueue(conn, 'q', { maxsize: '3' as never })).toThrow(TypeError);
    expect(() => new RedisQueue(conn, 'q', { maxDeliveries: 0 })).toThrow(RangeError);
    expect(() => new RedisQueue(conn, 'q', { visibilityTimeoutMs: 1.5 })).toThrow(RangeError);
    expect(() => new RedisQueue(conn, 'q', { blockMs: 5_000 })).toThrow(
      'RedisQueue expected `blockMs` to be an integer from 10 to 2000, got 5000',
    );
    expect(() => new RedisFrontier(conn, 'c', { leaseMs: 0 })).toThrow(RangeError);
    expect(() => new RedisQueue(conn, 'q', { codec: JSON as never })).toThrow(
      'RedisQueue expected `codec` to be an object with encode() and decode()',
    );
    expect(() => new RedisQueue(conn, 'q', 5 as never)).toThrow(TypeError);
  });

  test('an item the codec cannot encode: CodecError, nothing put', async () => {
    const q = new RedisQueue<unknown>(conn, 'bad-items');
    const err = await q.put(() => 1).catch((e) => e);
    expect(CodecError.is(err)).toBe(true);
    expect(err.message).toBe(
      'jsonCodec expected an item JSON can encode, got function (anonymous)',
    );
    const wrong = new RedisQueue<number>(conn, 'bad-codec', {
      codec: { encode: (x) => x as never, decode: Number },
    });
    await expect(wrong.put(1)).rejects.toThrow(
      'RedisQueue.put(): expected the codec to encode number 1 as a string, got number 1',
    );
    expect(await q.qsize()).toBe(0);
    expect(await wrong.qsize()).toBe(0);
    await q.close();
    await wrong.close();
  });

  test('members and URLs must be strings; signal must be an AbortSignal', async () => {
    const set = new RedisSet(conn, 'strings');
    await expect(set.add(1 as never)).rejects.toThrow(
      'RedisSet.add() expected a string, got number 1',
    );
    const f = new RedisFrontier(conn, 'strings');
    await expect(f.claim(null as never)).rejects.toThrow(TypeError);
    await expect(f.done('never-got')).rejects.toThrow(
      'RedisFrontier.done() expected a URL this worker got from next() and has not marked done, got "never-got"',
    );
    const q = new RedisQueue(conn, 'signals');
    await expect(q.get({ signal: 'x' as never })).rejects.toThrow(
      'RedisQueue.get() expected `signal` to be an AbortSignal, got string "x"',
    );
    await expect(q.shutdown('yes' as never)).rejects.toThrow(TypeError);
    await f.close();
    await q.close();
  });

  test('an aborted signal ends a wait with its reason and loses nothing', async () => {
    const q = new RedisQueue<number>(conn, 'aborts', { blockMs: 50 });
    const ac = new AbortController();
    const waiting = q.get({ signal: ac.signal });
    await sleep(20);
    ac.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    await q.put(1);
    expect(await q.get({ signal: AbortSignal.timeout(5_000) })).toBe(1);
    await q.taskDone();
    await q.close();
  });
});
