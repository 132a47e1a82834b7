/**
 * Opening serial ports: `openSerialConnection` (streams), `createSerialConnection`
 * (protocols), `listPorts`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { CancelledError } from '@aiots/loop';
import { bridge, describe } from '@aiots/loop/lowlevel';
import {
  type Protocol,
  StreamReader,
  StreamReaderProtocol,
  StreamWriter,
  type Transport,
} from '@aiots/streams';
import { SerialPort } from 'serialport';
import { SerialPortError } from './errors.ts';
import { checkSerialOptions, type SerialOptions } from './options.ts';
import { pollEveryWaiter } from './poller.ts';
import { SerialTransport } from './serial-transport.ts';

/** A serial port the system knows of, as `listPorts()` reports it. */
export interface PortInfo {
  /** The path to open. */
  readonly path: string;
  /** The maker, when the system knows it. */
  readonly manufacturer: string | undefined;
  /** The serial number, when known. */
  readonly serialNumber: string | undefined;
  /** The plug-and-play id, when known. */
  readonly pnpId: string | undefined;
  /** Where the device is attached, when known. */
  readonly locationId: string | undefined;
  /** The USB product id, when known. */
  readonly productId: string | undefined;
  /** The USB vendor id, when known. */
  readonly vendorId: string | undefined;
}

/**
 * Opens a serial port and returns a `[StreamReader, StreamWriter]` pair over it, as
 * `openConnection` does for TCP. Reads, `drain()` and the open itself are cancellation
 * points. A device that vanishes while open fails the waiting read with a
 * `SerialPortError` (`disconnected: true`), never a hang.
 *
 * @param opts `{ path, baudRate, dataBits, parity, stopBits, rtscts, xon, xoff, xany, hupcl, lock, limit, signal }`.
 * @returns `[reader, writer]`.
 * @throws {SerialPortError} when the port does not exist, is not a tty, or cannot be opened (the original error as `cause`).
 * @throws {TypeError} / {RangeError} for bad options (a baud rate of 0).
 * @throws {CancelledError} when the task is cancelled while opening (the port is closed).
 * @example
 * ```ts
 * import { openSerialConnection } from '@aiots/serial';
 * try {
 *   const [reader, writer] = await openSerialConnection({ path: '/dev/ttyUSB0', baudRate: 115200 });
 *   writer.write('AT\r\n');
 *   console.log((await reader.readline()).toString());
 *   writer.close();
 * } catch (e) {
 *   console.log((e as Error).name); // SerialPortError
 * }
 * ```
 */
export async function openSerialConnection(
  opts: SerialOptions,
): Promise<[StreamReader, StreamWriter]> {
  const where = 'openSerialConnection()';
  const o = checkSerialOptions(opts, where);
  const reader = new StreamReader(o.limit === undefined ? undefined : { limit: o.limit });
  const protocol = new StreamReaderProtocol(reader);
  const transport = await openTransport(o, protocol);
  return [reader, new StreamWriter(transport, protocol, reader)];
}

/**
 * Opens a serial port and returns its transport and the protocol `protocolFactory` made,
 * as `createConnection` does for TCP: for callback-style code. The protocol's
 * `connectionLost` gets a `SerialPortError` (`disconnected: true`) when the device vanishes.
 *
 * @param protocolFactory Makes the port's protocol.
 * @param opts `{ path, baudRate, dataBits, parity, stopBits, rtscts, xon, xoff, xany, hupcl, lock, signal }`.
 * @returns `[transport, protocol]`.
 * @throws {SerialPortError} when the port cannot be opened.
 * @throws {TypeError} / {RangeError} for bad options.
 * @example
 * ```ts
 * import { Protocol } from '@aiots/streams';
 * import { createSerialConnection } from '@aiots/serial';
 * class Printer extends Protocol {
 *   override dataReceived(data: Buffer) { console.log(data.toString()); }
 * }
 * await createSerialConnection(() => new Printer(), { path: '/dev/ttyACM0', baudRate: 9600 }).catch((e) =>
 *   console.log((e as Error).name), // SerialPortError
 * );
 * ```
 */
export async function createSerialConnection<P extends Protocol>(
  protocolFactory: () => P,
  opts: SerialOptions,
): Promise<[Transport, P]> {
  const where = 'createSerialConnection()';
  if (typeof protocolFactory !== 'function') {
    throw new TypeError(
      `${where} expected a protocol factory function, got ${describe(protocolFactory)}`,
    );
  }
  const o = checkSerialOptions(opts, where);
  const protocol = protocolFactory();
  if (typeof protocol !== 'object' || protocol === null) {
    throw new TypeError(
      `${where} expected the protocol factory to return a protocol, got ${describe(protocol)}`,
    );
  }
  const transport = await openTransport(o, protocol);
  return [transport, protocol];
}

/**
 * Lists the serial ports the system knows of (USB adapters, built-in UARTs; not ptys).
 *
 * @returns One `PortInfo` per port.
 * @throws {SerialPortError} when the system cannot be asked.
 * @example
 * ```ts
 * import { listPorts } from '@aiots/serial';
 * const ports = await listPorts();
 * console.log(Array.isArray(ports)); // true
 * ```
 */
export async function listPorts(): Promise<PortInfo[]> {
  let ports: PortInfo[];
  try {
    ports = await bridge(() => SerialPort.list(), { label: 'listPorts' });
  } catch (e) {
    if (CancelledError.is(e)) throw e;
    // serialport asks `udevadm`, which minimal systems (containers) lack: the kernel's own
    // list of serial devices serves there.
    const code = (e as { code?: string }).code;
    if (code !== 'ENOENT' || process.platform !== 'linux') {
      throw new SerialPortError(`listing serial ports failed: ${(e as Error).message}`, '', {
        cause: e,
      });
    }
    ports = listFromSysfs();
  }
  return ports.map((p) =>
    Object.freeze({
      path: p.path,
      manufacturer: p.manufacturer,
      serialNumber: p.serialNumber,
      pnpId: p.pnpId,
      locationId: p.locationId,
      productId: p.productId,
      vendorId: p.vendorId,
    }),
  );
}

/** Linux without udevadm: the ttys in /sys/class/tty that sit on a device (not virtual consoles). */
function listFromSysfs(): PortInfo[] {
  let names: string[];
  try {
    names = readdirSync('/sys/class/tty');
  } catch {
    return [];
  }
  const out: PortInfo[] = [];
  for (const name of names.sort()) {
    if (!existsSync(`/sys/class/tty/${name}/device`) || !existsSync(`/dev/${name}`)) continue;
    out.push({
      path: `/dev/${name}`,
      manufacturer: undefined,
      serialNumber: undefined,
      pnpId: undefined,
      locationId: undefined,
      productId: undefined,
      vendorId: undefined,
    });
  }
  return out;
}

/** @internal Checks that `path` is a character device (a tty); returns its device number. */
function checkDevice(path: string): number {
  let isChar: boolean;
  let rdev: number;
  try {
    const st = statSync(path);
    isChar = st.isCharacterDevice();
    rdev = st.rdev;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such device' : `cannot be opened (${code ?? 'error'})`;
    throw new SerialPortError(`serial port ${path}: ${why}`, path, { cause: e });
  }
  if (!isChar) {
    throw new SerialPortError(`serial port ${path}: not a serial device (a tty)`, path);
  }
  return rdev;
}

async function openTransport(o: SerialOptions, protocol: Protocol): Promise<SerialTransport> {
  const signal = o.signal ?? undefined;
  if (signal?.aborted) throw signal.reason;
  const rdev = checkDevice(o.path);
  const port = new SerialPort({
    path: o.path,
    baudRate: o.baudRate,
    dataBits: o.dataBits ?? 8,
    parity: o.parity ?? 'none',
    stopBits: o.stopBits ?? 1,
    rtscts: o.rtscts ?? false,
    xon: o.xon ?? false,
    xoff: o.xoff ?? false,
    xany: o.xany ?? false,
    hupcl: o.hupcl ?? true,
    lock: o.lock ?? true,
    autoOpen: false,
  });
  await bridge(
    (cancel) =>
      new Promise<void>((resolve, reject) => {
        const stop = signal === undefined ? cancel : AbortSignal.any([cancel, signal]);
        let settled = false;
        const onAbort = () => {
          settled = true;
          reject(stop.reason);
        };
        stop.addEventListener('abort', onAbort, { once: true });
        port.open((err) => {
          stop.removeEventListener('abort', onAbort);
          if (settled) {
            // The caller gave up while the port was opening: nobody will use it.
            if (!err) port.close(() => {});
            return;
          }
          settled = true;
          if (err) {
            reject(
              new SerialPortError(
                `serial port ${o.path} could not be opened: ${err.message}`,
                o.path,
                { cause: err },
              ),
            );
          } else resolve();
        });
      }),
    { label: `open ${o.path}` },
  );
  pollEveryWaiter(port.port);
  const transport = new SerialTransport(port, o.path, protocol, rdev, o.presenceCheckMs ?? 250);
  transport.start();
  return transport;
}
