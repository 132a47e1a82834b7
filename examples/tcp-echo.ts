// The seed's TCP echo server and its reconnecting client. The server echoes each line in a
// task per connection; the client sends its lines, and when the server goes away it
// retries (backing off) until a server is back on the same port, then carries on.
import { createTask, run, sleep } from '@aiots/loop';
import { ConnectionError, openConnection, type Server, startServer } from '@aiots/streams';

/** An echo server; with `stopAfter`, it stops answering after that many lines (then `onStop`). */
async function echoServer(port: number, stopAfter = Infinity, onStop = () => {}): Promise<Server> {
  let echoed = 0;
  return startServer(
    async (reader, writer) => {
      for await (const line of reader) {
        writer.write(line);
        await writer.drain();
        if (++echoed === stopAfter) return onStop();
      }
      writer.close();
    },
    '127.0.0.1',
    port,
  );
}

async function client(port: number, lines: string[]): Promise<void> {
  let delay = 10;
  let sent = 0;
  while (sent < lines.length) {
    try {
      const [reader, writer] = await openConnection('127.0.0.1', port, { timeoutMs: 1_000 });
      console.log('client: connected');
      delay = 10;
      while (sent < lines.length) {
        writer.write(`${lines[sent]}\n`);
        await writer.drain();
        const echo = (await reader.readline()).toString().trim();
        if (echo === '') throw new ConnectionError('the server closed the connection');
        console.log(`client: echo ${echo}`);
        sent++;
      }
      writer.close();
      await writer.waitClosed();
    } catch (e) {
      if (!ConnectionError.is(e)) throw e;
      console.log(`client: ${e.name}, retrying in ${delay} ms`);
      await sleep(delay);
      delay = Math.min(delay * 2, 200);
    }
  }
}

await run(async () => {
  const halfway = Promise.withResolvers<void>();
  let server = await echoServer(0, 2, halfway.resolve);
  const { port } = server.address();
  const c = createTask(() => client(port, ['one', 'two', 'three', 'four']));

  // After two lines the server goes down (its connections cut), and comes back later.
  await halfway.promise;
  server.close();
  server.abortClients();
  await server.waitClosed();
  console.log('server: down');
  await sleep(50);
  server = await echoServer(port);
  console.log('server: back');

  await c;
  server.close();
  await server.waitClosed();
  console.log('done');
});
