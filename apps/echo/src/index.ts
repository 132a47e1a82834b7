/**
 * `@aiots/echo`: asyncio's echo servers and clients on `@aiots/streams` and `@aiots/serial`,
 * as the `aiots-echo` command and as functions.
 *
 * @module
 */
export { cli } from './cli-main.ts';
export {
  type ClientResult,
  type Messages,
  type SerialClientOptions,
  serialEchoClient,
  stdinLines,
  type TcpClientOptions,
  tcpEchoClient,
  type UdpClientOptions,
  udpEchoClient,
} from './clients.ts';
export {
  EchoServer,
  type EchoServerOptions,
  type ShutdownOptions,
  startEchoServer,
} from './echo-server.ts';
export { EchoClientError } from './errors.ts';
