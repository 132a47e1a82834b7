export {
  createSerialConnection,
  listPorts,
  openSerialConnection,
  type PortInfo,
} from './connection.ts';
export { SerialPortError } from './errors.ts';
export type { SerialOptions } from './options.ts';
export { type ReconnectOptions, serialConnections } from './reconnect.ts';
