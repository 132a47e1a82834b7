/**
 * The retry policy: which failures and statuses are retried, and how long to wait between
 * tries (exponential back-off with optional jitter, or the server's `Retry-After`). Internal
 * except for the `RetryOptions` type.
 */
import { checkBool, checkInt, checkMs, checkOptions, describe } from './validate.ts';

/** Options of `retry`. */
export interface RetryOptions {
  /** Tries in all, the first included (default 3). `1` means no retry. */
  attempts?: number;
  /** The wait before the second try, doubled for each later one (default 100 ms). */
  backoffMs?: number;
  /**
   * The longest wait (default 10 s). A `Retry-After` asking for more ends the retries: the
   * last response is returned as it is.
   */
  maxBackoffMs?: number;
  /** Randomise each wait between half and all of it (default true), so clients spread out. */
  jitter?: boolean;
  /** Statuses that are retried (default 408, 429, 500, 502, 503, 504). */
  statuses?: Iterable<number>;
  /** Methods that are retried (default the idempotent ones: GET, HEAD, OPTIONS, PUT, DELETE, TRACE). */
  methods?: Iterable<string>;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly jitter: boolean;
  readonly statuses: ReadonlySet<number>;
  readonly methods: ReadonlySet<string>;
}

export const IDEMPOTENT: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'PUT',
  'DELETE',
  'TRACE',
]);
const STATUSES = [408, 429, 500, 502, 503, 504];

/** The policy of `retry` (undefined, false or `attempts: 1`: none). */
export function toPolicy(retry: unknown, where: string): RetryPolicy | undefined {
  if (retry === undefined || retry === null || retry === false) return undefined;
  const o = checkOptions<RetryOptions>(retry, `${where} \`retry\``) as RetryOptions;
  const attempts = checkInt(o.attempts, 'retry.attempts', where, 1) ?? 3;
  const backoffMs = checkMs(o.backoffMs, 'retry.backoffMs', where, false) ?? 100;
  const maxBackoffMs = checkMs(o.maxBackoffMs, 'retry.maxBackoffMs', where) ?? 10_000;
  const jitter = checkBool(o.jitter, 'retry.jitter', where) ?? true;
  const statuses = new Set<number>();
  for (const s of o.statuses ?? STATUSES) {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 100 || s > 599) {
      throw new RangeError(
        `${where} expected \`retry.statuses\` to hold HTTP statuses from 100 to 599, got ${describe(s)}`,
      );
    }
    statuses.add(s);
  }
  const methods = new Set<string>();
  for (const m of o.methods ?? IDEMPOTENT) {
    if (typeof m !== 'string') {
      throw new TypeError(
        `${where} expected \`retry.methods\` to hold strings, got ${describe(m)}`,
      );
    }
    methods.add(m.toUpperCase());
  }
  if (attempts === 1) return undefined;
  return { attempts, backoffMs, maxBackoffMs, jitter, statuses, methods };
}

/** The wait before try number `attempt + 1` (attempt counts from 1). */
export function backoff(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempt - 1));
  return policy.jitter ? base / 2 + (Math.random() * base) / 2 : base;
}

/**
 * The wait a `Retry-After` value asks for, in milliseconds: seconds, or an HTTP date
 * (relative to `now`, epoch ms). Undefined when absent or unreadable.
 */
export function retryAfterMs(
  value: string | string[] | undefined,
  now: number,
): number | undefined {
  if (value === undefined) return undefined;
  const v = (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const when = Date.parse(v);
  if (Number.isNaN(when)) return undefined;
  return Math.max(0, when - now);
}
