/**
 * A workaround for serialport's Unix poller (`@serialport/bindings-cpp` 13), which restarts
 * its `uv_poll` with only the event asked for last: a write that waits for the line to
 * become writable silently drops the read that was waiting for data, and the other way
 * round, until the event still watched fires. Traffic in both directions under
 * backpressure then deadlocks (each end watches only "writable", and neither reads). Each
 * time the poller is asked for an event we ask for every event that still has a waiter.
 */

const READABLE = 0b001;
const WRITABLE = 0b010;
const DISCONNECT = 0b100;

/** The part of serialport's `Poller` the workaround relies on. */
interface PollerLike {
  poll(flag?: number): void;
  listenerCount(event: string): number;
}

/**
 * Package-internal. Makes the poller of an open port's binding ask for every awaited event
 * each time; a binding without a poller (Windows, a mock) is left alone.
 *
 * @param binding `SerialPort#port`, once open.
 */
export function pollEveryWaiter(binding: unknown): void {
  const poller = (binding as { poller?: PollerLike } | null | undefined)?.poller;
  if (
    poller === undefined ||
    poller === null ||
    typeof poller.poll !== 'function' ||
    typeof poller.listenerCount !== 'function'
  ) {
    return;
  }
  const poll = poller.poll;
  poller.poll = function pollWithWaiters(this: PollerLike, flag = 0): void {
    let events = flag;
    if (this.listenerCount('readable') > 0) events |= READABLE;
    if (this.listenerCount('writable') > 0) events |= WRITABLE;
    if (this.listenerCount('disconnect') > 0) events |= DISCONNECT;
    poll.call(this, events);
  };
}
