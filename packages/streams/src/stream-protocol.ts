/**
 * StreamReaderProtocol: the protocol between a transport and a `StreamReader`/
 * `StreamWriter` pair (asyncio's `StreamReaderProtocol` with its `FlowControlMixin`). It
 * feeds the reader, holds the writer's drain waiters, and settles `waitClosed()`.
 */
import { type Future, getLoop, type Loop } from '@aiots/loop';
import { ConnectionResetError } from './errors.ts';
import { newWaiter, park, wake, wakeWithError } from './park.ts';
import { Protocol } from './protocol.ts';
import type { StreamReader } from './stream-reader.ts';
import { StreamWriter } from './stream-writer.ts';
import type { Transport } from './transport.ts';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Adapts a transport to a `StreamReader` (and the `StreamWriter` made for it), as asyncio's
 * `StreamReaderProtocol`. `openConnection` and `startServer` use it; use it directly to
 * put streams on a transport of your own.
 *
 * @example
 * ```ts
 * import { StreamReader, StreamReaderProtocol, StreamWriter, createConnection, startServer } from '@aiots/streams';
 * const server = await startServer(async (r, w) => { w.write(await r.readline()); w.close(); }, '127.0.0.1', 0);
 * const reader = new StreamReader();
 * const protocol = new StreamReaderProtocol(reader);
 * const [transport] = await createConnection(() => protocol, '127.0.0.1', server.address().port);
 * const writer = new StreamWriter(transport, protocol, reader);
 * writer.write('hi\n');
 * console.log((await reader.readline()).toString()); // hi\n
 * writer.close();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export class StreamReaderProtocol extends Protocol {
  readonly #loop: Loop;
  #reader: StreamReader | undefined;
  #transport: Transport | undefined = undefined;
  #onConnect: ((reader: StreamReader, writer: StreamWriter) => void) | undefined;
  #writePaused = false;
  #lost = false;
  #lostError: Error | null = null;
  #drainWaiters: Future<void>[] = [];
  #closedWaiters: Future<void>[] = [];
  #overTls = false;

  /**
   * @param reader The reader to feed.
   * @param onConnect For a server: called with the reader and a new writer once connected.
   */
  constructor(
    reader: StreamReader | undefined,
    onConnect?: (reader: StreamReader, writer: StreamWriter) => void,
  ) {
    super();
    this.#reader = reader;
    this.#onConnect = onConnect;
    this.#loop = getLoop();
  }

  /** The transport, once connected. */
  get transport(): Transport | undefined {
    return this.#transport;
  }

  override connectionMade(transport: Transport): void {
    this.#transport = transport;
    this.#overTls = transport.getExtraInfo('sslobject', undefined) !== undefined;
    const reader = this.#reader;
    reader?.setTransport(transport);
    const onConnect = this.#onConnect;
    if (onConnect !== undefined && reader !== undefined) {
      this.#onConnect = undefined;
      onConnect(reader, new StreamWriter(transport, this, reader));
    }
  }

  override connectionLost(exc: Error | null): void {
    const reader = this.#reader;
    if (reader !== undefined) {
      if (exc === null) reader.feedEof();
      else reader.setException(exc);
    }
    this.#lost = true;
    this.#lostError = exc;
    const closed = this.#closedWaiters;
    this.#closedWaiters = [];
    for (const w of closed) {
      if (exc === null) wake(w, undefined);
      else wakeWithError(w, exc);
    }
    if (this.#writePaused) this.#releaseDrainers(exc);
  }

  override dataReceived(data: Buffer): void {
    this.#reader?.feedData(data);
  }

  override eofReceived(): boolean {
    this.#reader?.feedEof();
    // Over TLS the transport closes on EOF whatever we answer (asyncio does the same).
    return !this.#overTls;
  }

  override pauseWriting(): void {
    this.#writePaused = true;
  }

  override resumeWriting(): void {
    this.#writePaused = false;
    this.#releaseDrainers(null);
  }

  /** @internal True once the connection is lost. */
  get _lost(): boolean {
    return this.#lost;
  }

  /** @internal The error the connection was lost with. */
  get _lostError(): Error | null {
    return this.#lostError;
  }

  /**
   * @internal `StreamWriter.drain()`'s wait: done at once unless writing is paused; raises
   * `ConnectionResetError` once the connection is lost.
   */
  _drainHelper(signal: AbortSignal | undefined): Promise<void> {
    if (this.#lost) {
      return Promise.reject(
        this.#lostError ?? new ConnectionResetError('Connection lost: the writer is closed'),
      );
    }
    if (!this.#writePaused) return RESOLVED;
    return this.#waitDrain(signal);
  }

  async #waitDrain(signal: AbortSignal | undefined): Promise<void> {
    const fut = newWaiter(this.#loop);
    this.#drainWaiters.push(fut);
    try {
      await park(fut, signal);
    } finally {
      const i = this.#drainWaiters.indexOf(fut);
      if (i >= 0) this.#drainWaiters.splice(i, 1);
    }
  }

  /** @internal `StreamWriter.waitClosed()`'s wait. */
  _waitClosed(signal: AbortSignal | undefined): Promise<void> {
    if (this.#lost) {
      return this.#lostError === null ? RESOLVED : Promise.reject(this.#lostError);
    }
    const fut = newWaiter(this.#loop);
    this.#closedWaiters.push(fut);
    return park(fut, signal);
  }

  #releaseDrainers(exc: Error | null): void {
    const waiters = this.#drainWaiters;
    if (waiters.length === 0) return;
    this.#drainWaiters = [];
    for (const w of waiters) {
      if (exc === null) wake(w, undefined);
      else wakeWithError(w, exc);
    }
  }
}
