/**
 * The disposable that `Lock.hold()` and `Semaphore.hold()` return. Disposing it releases
 * what was acquired, once: a second dispose does nothing, so a hold can never release an
 * acquisition that belongs to someone else.
 */
import { RESOLVED_VOID } from './wait-options.ts';

/** Package-internal: What a hold releases. */
export interface Releasable {
  release(weight?: number): void;
}

/**
 * Package-internal: A held acquisition: `using`/`await using` release it at the end of the block.
 */
export class Hold implements AsyncDisposable, Disposable {
  #owner: Releasable | undefined;
  readonly #weight: number;

  constructor(owner: Releasable, weight: number) {
    this.#owner = owner;
    this.#weight = weight;
  }

  /** Releases the acquisition (idempotent). */
  [Symbol.dispose](): void {
    const owner = this.#owner;
    if (owner === undefined) return;
    this.#owner = undefined;
    if (this.#weight === 1) owner.release();
    else owner.release(this.#weight);
  }

  /** Releases the acquisition (idempotent); for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this[Symbol.dispose]();
    return RESOLVED_VOID;
  }
}
