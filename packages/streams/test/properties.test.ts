/**
 * Property: whatever the chunking of the input, the mix of reads, and the moments reading
 * tasks are cancelled (before their wakeup, between the hand-off and their resumption),
 * the bytes the reads return are exactly the bytes fed, in order: nothing lost, nothing
 * duplicated.
 */
import { CancelledError, createTask, run, sleep, type Task } from '@aiots/loop';
import { IncompleteReadError, StreamReader } from '@aiots/streams';
import fc from 'fast-check';
import { expect, test } from 'vitest';

type Op =
  | { kind: 'line' }
  | { kind: 'read'; n: number }
  | { kind: 'exactly'; n: number }
  | { kind: 'until'; sep: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: 'line' } as Op),
  fc.integer({ min: 1, max: 40 }).map((n) => ({ kind: 'read', n }) as Op),
  fc.integer({ min: 1, max: 40 }).map((n) => ({ kind: 'exactly', n }) as Op),
  fc.constantFrom('ab', 'b\n', 'xyz').map((sep) => ({ kind: 'until', sep }) as Op),
);

async function doRead(r: StreamReader, op: Op): Promise<Buffer> {
  try {
    switch (op.kind) {
      case 'line':
        return await r.readline();
      case 'read':
        return await r.read(op.n);
      case 'exactly':
        return await r.readexactly(op.n);
      case 'until':
        return await r.readuntil(op.sep);
    }
  } catch (e) {
    if (IncompleteReadError.is(e)) return e.partial; // at EOF: what was left
    throw e;
  }
}

test('no byte is lost or duplicated under random chunking, reads and cancels', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.stringMatching(/^[abxyz\n]{0,30}$/), { minLength: 1, maxLength: 30 }),
      fc.array(opArb, { minLength: 1, maxLength: 20 }),
      fc.array(fc.constantFrom('none', 'before', 'after-feed'), { minLength: 1, maxLength: 30 }),
      async (chunks, ops, cancels) =>
        run(async () => {
          const r = new StreamReader();
          const got: Buffer[] = [];
          let opIndex = 0;
          let reader: Task<void> | undefined;
          const startReader = () => {
            reader = createTask(async () => {
              for (;;) {
                const op = ops[opIndex++ % ops.length] as Op;
                const data = await doRead(r, op);
                if (data.length === 0 && r.atEof()) return;
                got.push(data);
              }
            });
          };
          startReader();
          for (let i = 0; i < chunks.length; i++) {
            const mode = cancels[i % cancels.length];
            await sleep(0);
            if (mode === 'before') reader?.cancel();
            r.feedData(Buffer.from(chunks[i] as string));
            if (mode === 'after-feed') reader?.cancel(); // between a hand-off and the resumption
            if (mode !== 'none') {
              await (reader as Task<void>).catch((e: unknown) => {
                if (!CancelledError.is(e)) throw e;
              });
              startReader();
            }
          }
          r.feedEof();
          await reader;
          expect(Buffer.concat(got).toString()).toBe(chunks.join(''));
        }),
    ),
    { numRuns: Number(process.env.AIOTS_PROPERTY_RUNS ?? 300) },
  );
}, 120_000);
