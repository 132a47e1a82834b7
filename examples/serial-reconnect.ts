// The seed's reconnecting serial protocol: read readings from a device, and when it is
// unplugged, keep trying (backing off) until it is back, then carry on where it left off.
import { createTask, run, sleep } from '@aiots/loop';
import { openSerialConnection, SerialPortError, serialConnections } from '@aiots/serial';
import { SimulatedCable } from './lib/pty.ts';

await run(async () => {
  await using cable = new SimulatedCable();
  await cable.plug();

  // The program: one connection per time the device is there.
  const program = createTask(async () => {
    let connection = 0;
    for await (const [reader, writer] of serialConnections({
      path: cable.port,
      baudRate: 9600,
      retryMs: 10,
      maxRetryMs: 80,
    })) {
      console.log(`connected (${++connection})`);
      writer.write('SEND\n'); // ask the device to start
      try {
        for await (const line of reader) {
          const reading = line.toString().trim();
          console.log(`reading: ${reading}`);
          writer.write(`ACK ${reading}\n`);
          if (reading === 'bye') return;
        }
      } catch (e) {
        if (!SerialPortError.is(e) || !e.disconnected) throw e;
        console.log('device unplugged; waiting for it to come back');
      }
    }
  });

  // The device: answers SEND with readings, waiting for each to be acknowledged.
  const device = async (readings: string[]) => {
    const [reader, writer] = await openSerialConnection({ path: cable.device, baudRate: 9600 });
    await reader.readline(); // SEND
    for (const r of readings) {
      writer.write(`${r}\n`);
      await reader.readline(); // ACK
    }
    return writer;
  };
  await device(['21.5', '21.7']);
  await cable.unplug(); // pulled after two readings
  await sleep(200); // away for a while: the program backs off meanwhile
  await cable.plug();
  const writer = await device(['21.9', 'bye']);
  await program;
  writer.close();
  console.log('done');
});
