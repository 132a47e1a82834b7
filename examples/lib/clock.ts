// The clock an example runs on. Examples run on real time, as their seed programs do; with
// --virtual-time (the examples test passes it) they run on a VirtualClock instead: the same
// output in the same order, with every sleep taking no real time.
import { type Clock, RealClock, VirtualClock } from '@aiots/loop';

/** True when the example was started with --virtual-time. */
export const virtualTime = process.argv.includes('--virtual-time');

/** The arguments after the script, without --virtual-time. */
export const args = process.argv.slice(2).filter((a) => a !== '--virtual-time');

/** A new clock for `run(main, { clock })`: virtual with --virtual-time, else real. */
export function exampleClock(): Clock {
  return virtualTime ? new VirtualClock() : new RealClock();
}
