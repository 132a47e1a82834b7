/** Option checks and address formatting shared by the echo servers and clients. */
import type { SocketAddress } from '@aiots/streams';

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return typeof value;
}

/** An integer option from `min` up (`Infinity` when `infinite`); `fallback` when undefined. */
export function checkInt(
  value: unknown,
  name: string,
  min: number,
  fallback: number,
  infinite = false,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be a number, got ${describe(value)}`);
  }
  if (
    !(Number.isInteger(value) || (infinite && value === Number.POSITIVE_INFINITY)) ||
    value < min
  ) {
    throw new RangeError(`Expected \`${name}\` to be an integer from ${min} and up, got ${value}`);
  }
  return value;
}

/** A port from 0 (any free one) to 65535; undefined stays undefined when `optional`. */
export function checkPort(value: unknown, name: string, optional: true): number | undefined;
export function checkPort(value: unknown, name: string, optional?: false): number;
export function checkPort(value: unknown, name: string, optional = false): number | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be a port number, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RangeError(`Expected \`${name}\` to be an integer from 0 to 65535, got ${value}`);
  }
  return value;
}

/** A host name or address (default `127.0.0.1`). */
export function checkHost(value: unknown): string {
  if (value === undefined) return '127.0.0.1';
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`Expected \`host\` to be a host name or address, got ${describe(value)}`);
  }
  return value;
}

/** A log function (default `console.log`). */
export function checkLog(value: unknown): (line: string) => void {
  if (value === undefined) return (line) => console.log(line);
  if (typeof value !== 'function') {
    throw new TypeError(`Expected \`log\` to be a function, got ${describe(value)}`);
  }
  return value as (line: string) => void;
}

/** `HOST:PORT`, with IPv6 addresses in brackets. */
export function formatAddress(addr: SocketAddress | undefined): string {
  if (addr === undefined) return '?';
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return `${host}:${addr.port}`;
}
