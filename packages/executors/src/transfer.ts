/**
 * `transfer()`: marks a value whose `ArrayBuffer`s (or ports) move to the other side instead
 * of being copied. Shared by the pool (arguments) and the worker runtime (results), so it
 * must not import anything heavier than Node itself.
 */

import type { TransferListItem } from 'node:worker_threads';
import { TRANSFER_KEY } from './protocol.js';

const MARK: typeof TRANSFER_KEY = TRANSFER_KEY;

/**
 * A value marked by `transfer()`: its `transferList` moves to the receiver instead of being
 * copied, and is detached on the sending side.
 */
export interface Transferred<T> {
  readonly [MARK]: true;
  readonly value: T;
  readonly transferList: readonly TransferListItem[];
}

/**
 * Marks `value` so that its buffers are transferred, not copied, when it crosses to a worker
 * (as a `submit`/`map` argument) or back (as a job's return value). With no `transferList`,
 * an `ArrayBuffer` moves itself and a typed array or `DataView` moves its buffer. The sender's
 * buffers are detached at once (`submit` detaches them before it returns). A process pool
 * copies the bytes (processes share no memory) but still detaches the sender's buffers, so
 * code behaves the same on both pools.
 *
 * @param value what to send.
 * @param transferList the `ArrayBuffer`s (or `MessagePort`s, threads only) inside `value` to move.
 * @returns a marker to pass where the value would go.
 * @throws {TypeError} when no `transferList` is given and `value` has no buffer of its own.
 * @example
 * ```ts
 * import { ThreadPoolExecutor, transfer } from '@aiots/executors';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const bytes = new Uint8Array([1, 2, 3]);
 * const sum = await pool.submit((b: Uint8Array) => b.reduce((a, x) => a + x, 0), transfer(bytes));
 * console.log(sum, bytes.byteLength); // 6 0
 * ```
 */
export function transfer<T>(value: T, transferList?: readonly TransferListItem[]): Transferred<T> {
  let list: readonly TransferListItem[];
  if (transferList !== undefined) {
    if (!Array.isArray(transferList)) {
      throw new TypeError(
        `Expected \`transferList\` to be an array of ArrayBuffers or MessagePorts, got ${typeof transferList}`,
      );
    }
    list = transferList;
  } else if (value instanceof ArrayBuffer) {
    list = [value];
  } else if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) {
    list = [value.buffer];
  } else {
    throw new TypeError(
      'transfer() without a transferList expects an ArrayBuffer, a typed array or a DataView; pass the buffers to move as the second argument',
    );
  }
  return { [MARK]: true, value, transferList: list };
}
