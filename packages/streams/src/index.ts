export {
  type ConnectOptions,
  createConnection,
  createUnixConnection,
  openConnection,
  openUnixConnection,
  type UnixConnectOptions,
} from './connection.ts';
export {
  createDatagramEndpoint,
  type DatagramAddress,
  type DatagramEndpointOptions,
} from './datagram.ts';
export {
  DatagramSocket,
  type DatagramSocketStats,
  type OpenDatagramOptions,
  openDatagram,
} from './datagram-socket.ts';
export {
  BrokenPipeError,
  CertificateError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  HostNotFoundError,
  IncompleteReadError,
  LimitOverrunError,
  SubprocessError,
} from './errors.ts';
export type { WaitOptions } from './park.ts';
export { BufferedProtocol, DatagramProtocol, Protocol } from './protocol.ts';
export {
  type ConnectionHandler,
  createServer,
  createUnixServer,
  Server,
  type ServerCloseOptions,
  type ServerOptions,
  type ServerStats,
  startServer,
  startUnixServer,
  type UnixServerOptions,
} from './server.ts';
export { StreamReaderProtocol } from './stream-protocol.ts';
export {
  type Separator,
  StreamReader,
  type StreamReaderOptions,
  type StreamReaderStats,
} from './stream-reader.ts';
export { StreamWriter } from './stream-writer.ts';
export {
  createSubprocessExec,
  createSubprocessShell,
  Process,
  type StdioOption,
  type SubprocessOptions,
} from './subprocess.ts';
export type { DatagramTransport, ExtraInfoName, SocketAddress, Transport } from './transport.ts';
