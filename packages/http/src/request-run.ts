/**
 * One call of `session.request()`: the attempts it makes (redirects, retries, the transparent
 * retry of a stale keep-alive socket), the deadlines that span them (`totalMs`, the
 * request's `signal`), and the hand-over of the final response. Internal.
 *
 * Why one unit: the deadlines must reach whatever the request is waiting on at that moment
 * (a connection slot, a back-off sleep, the response headers, the body after `request()`
 * returned), so the run is the one place that knows which wait is current.
 */
import {
  CancelledError,
  type Future,
  getLoop,
  type Loop,
  type Task,
  type TimerHandle,
} from '@aiots/loop';
import { currentStepTask } from '@aiots/loop/lowlevel';
import type { Dispatcher } from 'undici';
import {
  ClientConnectionError,
  InvalidURL,
  ServerTimeoutError,
  TooManyRedirects,
} from './errors.ts';
import { Exchange } from './exchange.ts';
import { flatten, type HeaderMap } from './headers.ts';
import { kCreatedAt, kReleaseAtTaskEnd, kToError } from './internal.ts';
import type { Limits, Slot } from './limits.ts';
import { isStaleSocket } from './map-error.ts';
import type { Resolved } from './options.ts';
import type { EncodedBody } from './request-body.ts';
import { ClientResponse } from './response.ts';
import { backoff, IDEMPOTENT, retryAfterMs } from './retry.ts';
import { sleepLatch } from './wake.ts';

/** What a run needs from its session. */
export interface SessionPort {
  readonly limits: Limits;
  /** The connect timeout the session's own pool applies. */
  readonly poolSockConnectMs: number;
  dispatcherFor(cfg: Resolved): Dispatcher;
  track(ex: Exchange): void;
  untrack(ex: Exchange): void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Body bytes of a redirect or retried response kept for `history`; past this it is dropped. */
const DISCARD_CAP = 64 * 1024;
const NO_HISTORY: readonly ClientResponse[] = Object.freeze([]);

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export class RequestRun {
  readonly #port: SessionPort;
  readonly #cfg: Resolved;
  readonly #loop: Loop;
  #method: string;
  #url: URL;
  #body: EncodedBody;
  /** Headers changed by a redirect (undefined: the configured ones). */
  #headers: HeaderMap | undefined;
  #history: ClientResponse[] | undefined;
  #ex: Exchange | undefined;
  #wait: AbortController | undefined;
  #sleep: Future<void> | undefined;
  #fatal: unknown = undefined;
  #totalTimer: TimerHandle | undefined;
  #connectTimer: TimerHandle | undefined;
  #task: Task<unknown> | undefined;
  #response: ClientResponse | undefined;
  #finished = false;
  readonly #createdAt: string | undefined;

  constructor(port: SessionPort, method: string, url: URL, cfg: Resolved, body: EncodedBody) {
    this.#port = port;
    this.#cfg = cfg;
    this.#method = method;
    this.#url = url;
    this.#body = body;
    this.#loop = getLoop();
    if (url.username !== '' || url.password !== '') {
      // Credentials in the URL become Basic auth, unless an Authorization header was given.
      if (!cfg.headers.has('authorization')) {
        const user = decodeURIComponent(url.username);
        const pass = decodeURIComponent(url.password);
        const token = Buffer.from(`${user}:${pass}`).toString('base64');
        this.#headers = new Map(cfg.headers);
        this.#headers.set('authorization', ['authorization', `Basic ${token}`]);
      }
      url.username = '';
      url.password = '';
    }
    this.#createdAt = this.#loop.debug
      ? (new Error('request made here').stack ?? '').split('\n').slice(2).join('\n')
      : undefined;
  }

  /** Runs the request to its final response (one async frame: the hot path awaits once). */
  async run(): Promise<ClientResponse> {
    try {
      this.#arm();
      const cfg = this.#cfg;
      const policy = cfg.retry;
      let attempt = 1;
      let staleRetried = false;
      let redirects = 0;
      for (;;) {
        const sent = this.#send();
        const ex = sent instanceof Exchange ? sent : await sent;
        try {
          await ex.head;
        } catch (e) {
          this.#endAttempt();
          if (CancelledError.is(e)) {
            ex.fail(undefined);
            throw e;
          }
          if (this.#fatal !== undefined) throw this.#fatal;
          const replayable = this.#body.replayable;
          if (
            !staleRetried &&
            ex.started &&
            replayable &&
            IDEMPOTENT.has(this.#method) &&
            isStaleSocket(e)
          ) {
            staleRetried = true;
            continue;
          }
          if (
            policy !== undefined &&
            attempt < policy.attempts &&
            replayable &&
            policy.methods.has(this.#method) &&
            ClientConnectionError.is(e)
          ) {
            await this.#pause(backoff(policy, attempt));
            attempt++;
            continue;
          }
          throw e;
        }
        this.#endAttempt();
        const status = ex.status;
        const res = new ClientResponse(
          ex,
          this.#url.href,
          this.#history === undefined ? NO_HISTORY : this.#history.slice(),
          this.#createdAt,
        );
        this.#storeCookies(ex);

        if (cfg.allowRedirects && REDIRECTS.has(status)) {
          const location = headerValue(ex.headers.location);
          if (location !== undefined) {
            this.#history ??= [];
            this.#history.push(res);
            ex.discard(DISCARD_CAP);
            if (redirects === cfg.maxRedirects) {
              throw new TooManyRedirects(
                { status, url: res.url, headers: res.headers, history: this.#history.slice() },
                `${this.#method} ${this.#history[0]?.url}: more than ${cfg.maxRedirects} redirects, the last to ${location}`,
              );
            }
            redirects++;
            this.#follow(status, location);
            attempt = 1;
            continue;
          }
        }

        if (
          policy !== undefined &&
          attempt < policy.attempts &&
          policy.statuses.has(status) &&
          policy.methods.has(this.#method) &&
          this.#body.replayable
        ) {
          const asked = retryAfterMs(ex.headers['retry-after'], Date.now());
          const wait = asked ?? backoff(policy, attempt);
          if (wait <= policy.maxBackoffMs) {
            ex.discard(DISCARD_CAP);
            await this.#pause(wait);
            attempt++;
            continue;
          }
        }

        if (cfg.raiseForStatus && status >= 400) {
          ex.discard(DISCARD_CAP);
          throw res[kToError]();
        }
        this.#handOver(res, ex);
        return res;
      }
    } catch (e) {
      this.#finish();
      throw e;
    }
  }

  /** Starts the deadlines that span the attempts: the signal and the total timeout. */
  #arm(): void {
    const cfg = this.#cfg;
    if (cfg.signal !== undefined) {
      if (cfg.signal.aborted) throw cfg.signal.reason;
      cfg.signal.addEventListener('abort', this);
    }
    if (cfg.totalMs !== Number.POSITIVE_INFINITY) {
      this.#totalTimer = this.#loop.callLater(cfg.totalMs, () =>
        this.#interrupt(
          new ServerTimeoutError(
            'total',
            cfg.totalMs,
            `${this.#method} ${this.#url.href}: the total timeout of ${cfg.totalMs} ms expired`,
          ),
        ),
      );
    }
  }

  /** The request's `signal` was aborted. */
  handleEvent(): void {
    this.#interrupt(this.#cfg.signal?.reason);
  }

  /**
   * Takes a slot and dispatches one attempt: synchronously when a slot is free (no await on
   * the fast path), else after waiting FIFO for one.
   */
  #send(): Exchange | Promise<Exchange> {
    const cfg = this.#cfg;
    const origin = this.#url.origin;
    if (cfg.connectMs !== Number.POSITIVE_INFINITY) this.#armConnectTimer(cfg.connectMs);
    const slot = this.#port.limits.tryAcquire(origin);
    if (slot !== undefined) return this.#dispatch(slot);
    return this.#sendAfterWait(origin);
  }

  async #sendAfterWait(origin: string): Promise<Exchange> {
    const ac = new AbortController();
    this.#wait = ac;
    let slot: Slot;
    try {
      slot = await this.#port.limits.acquire(origin, ac.signal);
    } catch (e) {
      this.#endAttempt();
      throw e;
    } finally {
      this.#wait = undefined;
    }
    return this.#dispatch(slot);
  }

  #armConnectTimer(ms: number): void {
    const url = this.#url;
    this.#connectTimer = this.#loop.callLater(ms, () => {
      const err = new ServerTimeoutError(
        'connect',
        ms,
        `${this.#method} ${url.href}: no connection within ${ms} ms`,
      );
      if (this.#wait !== undefined) this.#wait.abort(err);
      else if (this.#ex !== undefined && !this.#ex.started) this.#ex.fail(err);
    });
  }

  #dispatch(slot: Slot): Exchange {
    const cfg = this.#cfg;
    const url = this.#url;
    const ex = new Exchange(this.#loop, this, slot, this.#method, url.href, cfg.maxBodyBytes);
    ex.sockReadMs = cfg.sockReadMs;
    ex.sockConnectMs = cfg.sockConnectMs;
    this.#ex = ex;
    this.#port.track(ex);
    if (cfg.sockConnectMs < this.#port.poolSockConnectMs) {
      const ms = cfg.sockConnectMs;
      ex.timer = this.#loop.callLater(ms, () => {
        if (!ex.started) {
          ex.fail(
            new ServerTimeoutError(
              'sockConnect',
              ms,
              `${this.#method} ${url.href}: could not connect within ${ms} ms`,
            ),
          );
        }
      });
    }
    const opts: Dispatcher.DispatchOptions = {
      origin: slot.origin,
      path: url.pathname + url.search,
      method: this.#method as Dispatcher.HttpMethod,
      headers: this.#headersFor(url),
      body: this.#body.make() as Dispatcher.DispatchOptions['body'],
      headersTimeout: cfg.sockReadMs,
      bodyTimeout: cfg.sockReadMs,
    };
    try {
      this.#port.dispatcherFor(cfg).dispatch(opts, ex);
    } catch (e) {
      ex.onResponseError(null, e as Error);
    }
    return ex;
  }

  // ---- what the attempt's Exchange reports ------------------------------------------------

  /** undici gave the attempt a connection. */
  exchangeStarted(): void {
    this.#clearConnectTimer();
  }

  /** The attempt's body ended or failed. */
  exchangeBodyOver(ex: Exchange): void {
    if (ex === this.#ex && this.#response !== undefined) this.#finish();
  }

  /** The attempt is over for us and for undici: its slot goes back. */
  exchangeDone(ex: Exchange): void {
    this.#port.limits.release(ex.slot);
    this.#port.untrack(ex);
  }

  #headersFor(url: URL): string[] {
    const map = this.#headers ?? this.#cfg.headers;
    let flat = this.#headers === undefined ? this.#cfg.flat : flatten(this.#headers);
    const type = this.#body.contentType;
    const jar = this.#cfg.cookieJar;
    const cookies = jar !== null && jar.size > 0 ? jar.getCookieHeader(url) : '';
    if ((type === undefined || map.has('content-type')) && cookies === '') return flat;
    flat = flat.slice();
    if (type !== undefined && !map.has('content-type')) flat.push('content-type', type);
    if (cookies !== '') {
      const own = map.get('cookie');
      if (own === undefined) flat.push('cookie', cookies);
      else {
        const i = flat.indexOf(own[0]);
        flat[i + 1] = `${own[1]}; ${cookies}`;
      }
    }
    return flat;
  }

  #storeCookies(ex: Exchange): void {
    const jar = this.#cfg.cookieJar;
    const sc = ex.headers['set-cookie'];
    if (jar === null || sc === undefined) return;
    for (const line of Array.isArray(sc) ? sc : [sc]) jar.setCookie(line, this.#url);
  }

  /** Moves the run to the redirect target. */
  #follow(status: number, location: string): void {
    const from = this.#url;
    const to = URL.parse(location, from.href);
    if (to === null || (to.protocol !== 'http:' && to.protocol !== 'https:')) {
      throw new InvalidURL(
        location,
        `${this.#method} ${from.href} redirected to ${JSON.stringify(location)}, which is not an http(s) URL`,
      );
    }
    to.hash = '';
    let headers: HeaderMap | undefined;
    const edit = () => {
      headers ??= new Map(this.#headers ?? this.#cfg.headers);
      return headers;
    };
    if (
      (status === 303 && this.#method !== 'HEAD') ||
      ((status === 301 || status === 302) && this.#method === 'POST')
    ) {
      this.#method = 'GET';
      this.#body = { contentType: undefined, replayable: true, make: () => null };
      const h = edit();
      for (const name of [
        'content-type',
        'content-length',
        'content-encoding',
        'transfer-encoding',
      ])
        h.delete(name);
    } else if (!this.#body.replayable) {
      throw new ClientConnectionError(
        `${this.#method} ${from.href} was redirected (${status}) to ${to.href}, but its body was an async iterable and cannot be sent again; follow the redirect yourself with allowRedirects: false`,
      );
    }
    if (to.origin !== from.origin) {
      // Credentials meant for one origin never go to another.
      const h = edit();
      h.delete('authorization');
      h.delete('cookie');
      h.delete('host');
    }
    if (headers !== undefined) this.#headers = headers;
    this.#url = to;
  }

  async #pause(ms: number): Promise<void> {
    const s = sleepLatch(ms);
    this.#sleep = s;
    try {
      await s;
    } finally {
      this.#sleep = undefined;
    }
  }

  /** The total timeout or the signal: ends whatever the run waits on now, and the run. */
  #interrupt(err: unknown): void {
    if (this.#fatal !== undefined || this.#finished) return;
    this.#fatal = err;
    this.#wait?.abort(err);
    const s = this.#sleep;
    if (s !== undefined && !s.done()) s.setException(err);
    this.#ex?.fail(err);
    if (this.#response !== undefined) this.#finish();
  }

  #handOver(res: ClientResponse, ex: Exchange): void {
    this.#response = res;
    if (ex.over) {
      this.#finish();
      return;
    }
    // The task whose step made the request; a timer or listener callback has none.
    const task = currentStepTask();
    if (task !== undefined) {
      this.#task = task;
      this.#onTaskDone = () => this.#releaseAtTaskEnd();
      task.addDoneCallback(this.#onTaskDone);
    }
  }

  #onTaskDone: (() => void) | undefined;

  #releaseAtTaskEnd(): void {
    const res = this.#response;
    if (res === undefined || !res[kReleaseAtTaskEnd]()) return;
    if (this.#loop.debug) {
      this.#loop.callExceptionHandler({
        message: `${res.method} ${res.url}: the response was never read; it was released when the task that made it ended. The request was made at:\n${res[kCreatedAt] ?? ''}`,
      });
    }
  }

  #endAttempt(): void {
    this.#clearConnectTimer();
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== undefined) {
      this.#connectTimer.cancel();
      this.#connectTimer = undefined;
    }
  }

  /** Ends the deadlines: the response's body is over, or the run failed. */
  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearConnectTimer();
    this.#totalTimer?.cancel();
    this.#totalTimer = undefined;
    this.#cfg.signal?.removeEventListener('abort', this);
    if (this.#task !== undefined) {
      this.#task.removeDoneCallback(this.#onTaskDone as () => void);
      this.#task = undefined;
    }
    const ex = this.#ex;
    if (ex?.ended && ex.received <= RETAIN_MAX_BYTES) retained.run = this;
  }
}

/**
 * The last small request that finished, kept alive on purpose. V8 drops the hidden classes
 * (maps) of objects that have no live instance at a full GC, and the optimized code built on
 * them goes with them: after an idle spell with a major GC, the next burst of requests ran
 * up to twice as slow until V8 had learnt the shapes again (measured with a forced GC before
 * each benchmark run). One live request (with its exchange and response) keeps the shapes;
 * a small body only, so what it holds stays small.
 */
const retained: { run: RequestRun | undefined } = { run: undefined };
const RETAIN_MAX_BYTES = 64 * 1024;
