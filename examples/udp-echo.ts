// The seed's UDP echo server with a DatagramProtocol, and a client on the awaitable
// DatagramSocket: send, wait for the echo with a timeout, retry on loss.
import { run, TimeoutError, waitFor } from '@aiots/loop';
import {
  createDatagramEndpoint,
  DatagramProtocol,
  type DatagramTransport,
  openDatagram,
  type SocketAddress,
} from '@aiots/streams';

class EchoServer extends DatagramProtocol {
  #transport?: DatagramTransport;
  override connectionMade(transport: DatagramTransport) {
    this.#transport = transport;
  }
  override datagramReceived(data: Buffer, addr: SocketAddress) {
    console.log(`server: ${data.length} bytes from ${addr.address}`);
    this.#transport?.sendto(data, addr);
  }
}

await run(async () => {
  const [server] = await createDatagramEndpoint(() => new EchoServer(), {
    localAddr: { address: '127.0.0.1', port: 0 },
  });
  await using client = await openDatagram({ remoteAddr: server.getExtraInfo('sockname') });
  for (const message of ['ping', 'hello over udp']) {
    for (let attempt = 1; ; attempt++) {
      client.send(message);
      try {
        const [echo] = await waitFor(client.recv(), 1_000);
        console.log(`client: echo "${echo.toString()}"`);
        break;
      } catch (e) {
        if (!TimeoutError.is(e) || attempt === 3) throw e;
      }
    }
  }
  console.log(`client: ${JSON.stringify(client.stats())}`);
  server.close();
});
