import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { toThread, transfer } from '@aiots/executors';
import { getRunningLoop, run } from '@aiots/loop';
import { expect, test } from 'vitest';
import { job } from './helpers.ts';

const nameOfThread = job<[], string>('nameOfThread');

test('toThread and runInExecutor(null) run on the default thread pool, named like asyncio', async () => {
  await run(async () => {
    expect(await toThread(nameOfThread)).toMatch(/^asyncio_\d+$/);
    const fut = getRunningLoop().runInExecutor(null, (a: number, b: number) => a * b, 6, 7);
    expect(await fut).toBe(42);
    await expect(
      toThread(() => {
        throw new Error('KeyError');
      }),
    ).rejects.toThrow('KeyError');
  });
});

test('run() shuts the default pool down: its threads are gone when run() returns', async () => {
  const { port1, port2 } = new MessageChannel();
  // The worker keeps port2; the channel closes when that thread ends.
  const closed = new Promise<void>((resolve) => port1.once('close', resolve));
  await run(async () => {
    const kept = await toThread(
      (port: MessagePort) => {
        (globalThis as { kept?: MessagePort }).kept = port;
        return 'kept';
      },
      transfer(port2, [port2]),
    );
    expect(kept).toBe('kept');
  });
  await closed;
});
