// The seed's tag-framed serial reader: each frame starts with a tag byte.
//   tag 1: one length byte, then that many bytes
//   tag 2: bytes up to a newline
//   any other tag: skipped
// Built on StreamReader.readexactly() and readuntil(), over a simulated device on a pty.
import { createTask, run } from '@aiots/loop';
import { openSerialConnection } from '@aiots/serial';
import { IncompleteReadError, type StreamReader } from '@aiots/streams';
import { SimulatedCable } from './lib/pty.ts';

type Frame = { tag: 1 | 2; payload: Buffer };

class SerialReader {
  readonly #reader: StreamReader;
  constructor(reader: StreamReader) {
    this.#reader = reader;
  }

  /** The next frame, or null when the stream ends (a pipe or socket; a tty never does). */
  async readFrame(): Promise<Frame | null> {
    for (;;) {
      let tag: number;
      try {
        tag = (await this.#reader.readexactly(1))[0] as number;
      } catch (e) {
        if (IncompleteReadError.is(e)) return null; // the stream ended between frames
        throw e;
      }
      if (tag === 1) {
        const [length] = await this.#reader.readexactly(1);
        return { tag: 1, payload: await this.#reader.readexactly(length as number) };
      }
      if (tag === 2) {
        const line = await this.#reader.readuntil('\n');
        return { tag: 2, payload: line.subarray(0, -1) };
      }
      console.log(`skipped unknown tag ${tag}`);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Frame> {
    for (let frame = await this.readFrame(); frame !== null; frame = await this.readFrame()) {
      yield frame;
    }
  }
}

await run(async () => {
  await using cable = new SimulatedCable();
  await cable.plug();
  const [reader, writer] = await openSerialConnection({ path: cable.port, baudRate: 115200 });
  const [, device] = await openSerialConnection({ path: cable.device, baudRate: 115200 });

  // The device sends a few frames, in pieces, as a real line would deliver them.
  const sender = createTask(async () => {
    const frames = [
      Buffer.from([1, 5, ...Buffer.from('hello')]),
      Buffer.from('\x02temperature=21.5\n'),
      Buffer.from([7, 7]), // two bytes of an unknown tag: skipped
      Buffer.from([1, 3, 0xde, 0xad, 0xbe]),
      Buffer.from('\x02status=ok\n'),
    ];
    for (const frame of frames) {
      for (let i = 0; i < frame.length; i += 3) {
        device.write(frame.subarray(i, i + 3));
        await device.drain();
      }
    }
    device.close();
  });

  let n = 0;
  for await (const { tag, payload } of new SerialReader(reader)) {
    const shown = tag === 1 ? payload.toString('hex') : payload.toString();
    console.log(`frame ${++n}: tag ${tag}, ${payload.length} bytes: ${shown}`);
    // A serial line has no end of stream: stop after the frames we expect.
    if (n === 4) break;
  }
  await sender;
  writer.close();
  console.log(`read ${n} frames`);
});
