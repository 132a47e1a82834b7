/**
 * Every request, body read and wait for a connection is a cancellation point: cancelling the
 * task (directly, by `timeout`, by a failing task group) aborts the request at once, frees its
 * connection, and the task ends cancelled. Each test proves the connection was freed by
 * making another request through a session whose `limit` is 1.
 */
import { createServer, type Server } from 'node:net';
import { ClientSession, ServerTimeoutError } from '@aiots/http';
import {
  CancelledError,
  checkpoint,
  createTask,
  type ExceptionContext,
  getLoop,
  run,
  TaskGroupError,
  TimeoutError,
  taskGroup,
  timeout,
} from '@aiots/loop';
import { Event } from '@aiots/sync';
import { type HostileServer, startHostileServer } from '@aiots/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let site: HostileServer;
beforeAll(async () => {
  site = await startHostileServer();
});
afterAll(() => site.close());

/** A one-connection session; `stillWorks` proves its connection slot is free again. */
function oneSlot(extra: ConstructorParameters<typeof ClientSession>[0] = {}) {
  const session = new ClientSession({ limit: 1, timeout: { totalMs: 10_000 }, ...extra });
  return Object.assign(session, {
    async stillWorks(): Promise<void> {
      const res = await session.get(`${site.url}/echo`);
      expect(res.status).toBe(200);
      await res.text();
      expect(session.stats()).toMatchObject({ inFlight: 0, waiting: 0 });
    },
  });
}

/** Resolves once the hostile site has seen `n` more requests than when called. */
function siteSaw(n: number): Promise<void> {
  return site.requestsReached(site.stats().requests + n);
}

describe('cancelling the task', () => {
  test('while it waits for the headers: cancelled at once, connection freed', async () => {
    await run(async () => {
      await using session = oneSlot();
      const seen = siteSaw(1);
      const t = createTask(() => session.get(`${site.url}/hang`));
      await seen;
      expect(t.cancel()).toBe(true);
      await expect(t).rejects.toBeInstanceOf(CancelledError);
      expect(t.cancelled()).toBe(true);
      await session.stillWorks();
    });
  });

  test('while it reads the body: cancelled, connection freed', async () => {
    await run(async () => {
      await using session = oneSlot();
      const reading = new Event();
      const t = createTask(async () => {
        const res = await session.get(`${site.url}/trickle?bytes=1000&everyMs=20`);
        reading.set();
        return res.text();
      });
      await reading.wait();
      await checkpoint();
      t.cancel();
      await expect(t).rejects.toBeInstanceOf(CancelledError);
      expect(t.cancelled()).toBe(true);
      await session.stillWorks();
    });
  });

  test('while it streams the body: the iteration is abandoned and the response released', async () => {
    await run(async () => {
      await using session = oneSlot();
      const streaming = new Event();
      const t = createTask(async () => {
        const res = await session.get(`${site.url}/trickle?bytes=1000&everyMs=5`);
        for await (const _c of res.body) streaming.set();
      });
      await streaming.wait();
      t.cancel();
      await expect(t).rejects.toBeInstanceOf(CancelledError);
      await session.stillWorks();
    });
  });

  test('while it waits for a connection slot: it leaves the queue, nothing leaks', async () => {
    await run(async () => {
      await using session = oneSlot();
      const first = createTask(() => session.get(`${site.url}/hang`));
      await siteSaw(1);
      const second = createTask(() => session.get(`${site.url}/echo`));
      while (session.stats().waiting < 1) await checkpoint();
      second.cancel();
      await expect(second).rejects.toBeInstanceOf(CancelledError);
      expect(session.stats()).toMatchObject({ inFlight: 1, waiting: 0 });
      first.cancel();
      await expect(first).rejects.toBeInstanceOf(CancelledError);
      await session.stillWorks();
    });
  });

  test('by timeout(): TimeoutError, connection freed', async () => {
    await run(async () => {
      await using session = oneSlot();
      await expect(timeout(30, () => session.get(`${site.url}/hang`))).rejects.toBeInstanceOf(
        TimeoutError,
      );
      await session.stillWorks();
    });
  });

  test('by a failing task group: the sibling requests are aborted', async () => {
    await run(async () => {
      await using session = oneSlot({ limit: 4 });
      const err = await taskGroup(async (tg) => {
        for (let i = 0; i < 3; i++) tg.createTask(() => session.get(`${site.url}/hang`));
        tg.createTask(async () => {
          await siteSaw(1);
          throw new Error('boom');
        });
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskGroupError);
      expect((err as TaskGroupError).errors.map((e) => (e as Error).message)).toEqual(['boom']);
      expect(session.stats().waiting).toBe(0);
      await session.stillWorks();
    });
  });

  test('a cancel caught by the task leaves the session usable from the same task', async () => {
    await run(async () => {
      await using session = oneSlot();
      const t = createTask(async () => {
        try {
          await session.get(`${site.url}/hang`);
        } catch (e) {
          expect(CancelledError.is(e)).toBe(true);
          // biome-ignore lint/style/noNonNullAssertion: inside a task
          (await import('@aiots/loop')).currentTask()!.uncancel();
        }
        const res = await session.get(`${site.url}/echo`);
        return res.status;
      });
      await siteSaw(1);
      t.cancel();
      expect(await t).toBe(200);
    });
  });
});

describe('signal', () => {
  test('aborting a request rejects with signal.reason and frees the connection', async () => {
    await using session = oneSlot();
    const ac = new AbortController();
    const p = session.get(`${site.url}/hang`, { signal: ac.signal });
    await siteSaw(1);
    const reason = new Error('stop it');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    await session.stillWorks();
  });

  test('an aborted signal rejects before anything is sent', async () => {
    await using session = oneSlot();
    const before = site.stats().requests;
    await expect(
      session.get(`${site.url}/echo`, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(site.stats().requests).toBe(before);
  });

  test('the signal also covers reading the body', async () => {
    await using session = oneSlot();
    const ac = new AbortController();
    const res = await session.get(`${site.url}/trickle?bytes=1000&everyMs=20`, {
      signal: ac.signal,
    });
    const reading = res.text().catch((e: unknown) => e);
    ac.abort(new Error('enough'));
    expect(await reading).toMatchObject({ message: 'enough' });
    await session.stillWorks();
  });

  test('a session signal aborts every request of the session', async () => {
    const ac = new AbortController();
    await using session = oneSlot({ signal: ac.signal, limit: 5 });
    const ps = [1, 2].map(() => session.get(`${site.url}/hang`).catch((e: unknown) => e));
    await siteSaw(2);
    ac.abort(new Error('shutdown'));
    for (const e of await Promise.all(ps)) expect(e).toMatchObject({ message: 'shutdown' });
  });
});

describe('responses nobody reads', () => {
  test('are released when the task that made the request ends', async () => {
    await run(async () => {
      await using session = oneSlot();
      const t = createTask(async () => {
        const res = await session.get(`${site.url}/huge?chunked`);
        return res.status; // the body is never read
      });
      expect(await t).toBe(200);
      await session.stillWorks();
    });
  });

  test('a body read whole before the task ends stays readable after it', async () => {
    await run(async () => {
      await using session = oneSlot();
      const res = await createTask(async () => {
        const r = await session.get(`${site.url}/echo`);
        await r.bytes();
        return r;
      });
      await checkpoint();
      expect(((await res.json()) as { method: string }).method).toBe('GET');
    });
  });

  test('in debug mode, the loop exception handler says where the request was made', async () => {
    const reports: ExceptionContext[] = [];
    await run(
      async () => {
        getLoop().setExceptionHandler((ctx) => reports.push(ctx));
        await using session = oneSlot();
        await createTask(async () => {
          await session.get(`${site.url}/huge?chunked`);
        });
        await session.stillWorks();
      },
      { debug: true },
    );
    expect(reports).toHaveLength(1);
    expect(reports[0]?.message).toMatch(
      /never read; it was released when the task that made it ended/,
    );
    expect(reports[0]?.message).toMatch(/cancel\.test\.ts/);
  });

  test('release() and await using free the connection at once', async () => {
    await using session = oneSlot();
    const res = await session.get(`${site.url}/huge?chunked`);
    res.release();
    expect(res.released).toBe(true);
    await expect(res.text()).rejects.toMatchObject({
      name: 'InvalidStateError',
      message: /released before it was read/,
    });
    {
      await using _res = await session.get(`${site.url}/huge?chunked`);
    }
    await session.stillWorks();
  });
});

describe('timeouts', () => {
  test('totalMs: ServerTimeoutError with timeout "total"', async () => {
    await using session = oneSlot();
    const e = await session
      .get(`${site.url}/hang`, { timeout: { totalMs: 30 } })
      .catch((x: unknown) => x);
    expect(ServerTimeoutError.is(e)).toBe(true);
    expect(e).toMatchObject({ timeout: 'total', timeoutMs: 30 });
    await session.stillWorks();
  });

  test('totalMs covers reading the body', async () => {
    await using session = oneSlot();
    const res = await session.get(`${site.url}/trickle?bytes=1000&everyMs=20`, {
      timeout: { totalMs: 100 },
    });
    await expect(res.text()).rejects.toMatchObject({
      name: 'ServerTimeoutError',
      timeout: 'total',
    });
    await session.stillWorks();
  });

  test('sockReadMs: slow headers', async () => {
    await using session = oneSlot();
    const e = await session
      .get(`${site.url}/slow-headers?ms=5000`, { timeout: { sockReadMs: 50 } })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'ServerTimeoutError', timeout: 'sockRead', timeoutMs: 50 });
    expect((e as Error).cause).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    await session.stillWorks();
  });

  test('sockReadMs: a body that trickles slower than it', async () => {
    await using session = oneSlot();
    const res = await session.get(`${site.url}/trickle?bytes=10&everyMs=1000`, {
      timeout: { sockReadMs: 50 },
    });
    await expect(res.text()).rejects.toMatchObject({
      name: 'ServerTimeoutError',
      timeout: 'sockRead',
    });
    await session.stillWorks();
  });

  test('connectMs: waiting too long for a free slot', async () => {
    await run(async () => {
      await using session = oneSlot();
      const first = createTask(() => session.get(`${site.url}/hang`));
      await siteSaw(1);
      const e = await session
        .get(`${site.url}/echo`, { timeout: { connectMs: 30 } })
        .catch((x: unknown) => x);
      expect(e).toMatchObject({ name: 'ServerTimeoutError', timeout: 'connect', timeoutMs: 30 });
      expect(session.stats().waiting).toBe(0);
      first.cancel();
      await first.catch(() => {});
      await session.stillWorks();
    });
  });

  test('sockConnectMs: a TLS server that accepts and never shakes hands', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      await using session = new ClientSession({ timeout: { sockConnectMs: 50 } });
      const e = await session.get(`https://127.0.0.1:${port}/`).catch((x: unknown) => x);
      expect(e).toMatchObject({ name: 'ServerTimeoutError', timeout: 'sockConnect' });
      expect(ServerTimeoutError.is(e)).toBe(true);
      const e2 = await session
        .get(`https://127.0.0.1:${port}/`, { timeout: { sockConnectMs: 20 } })
        .catch((x: unknown) => x);
      expect(e2).toMatchObject({
        name: 'ServerTimeoutError',
        timeout: 'sockConnect',
        timeoutMs: 20,
      });
    } finally {
      silent.close();
    }
  });
});
