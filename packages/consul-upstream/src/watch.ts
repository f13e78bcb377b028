import type { Clock, Duration, Instant, ServerBlock } from '@dnsmesh/core';
import { HttpTimeout, type HttpGet } from './http.js';
import type { ConsulCounts, Outcome } from './metrics.js';
import { NO_DATACENTER, type View } from './view.js';

/** What a watch keeps: anything with a fingerprint that changes only when its answers could. */
export interface Fingerprinted { readonly fingerprint: string }

/** The block's pino logger (its type, through core). */
type Logger = ServerBlock['logger'];

/** Real time for scheduling (the rate limit, backoff), injectable so tests can step it. */
export interface WatchTimers {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: Duration, signal: AbortSignal): Promise<void>;
}

export const realTimers: WatchTimers = {
  now: () => performance.now(),
  sleep: (ms, signal) => new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) { resolve(); return; }
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  }),
};

export interface WatchDeps {
  readonly get: HttpGet;
  /** The block's clock: when failures began (max_stale) and when names were last asked (idle). */
  readonly clock: Clock;
  readonly timers: WatchTimers;
  readonly random: () => number;
  readonly counts: ConsulCounts;
  /** Told when Consul stops answering a watch and when it answers again (once per run of failures). */
  readonly logger?: Logger;
}

export interface WatchConfig<V extends Fingerprinted = View> {
  /** The request without index and wait: `/v1/health/service/web?passing`. */
  readonly path: string;
  /** A 200 body (parsed JSON) as a view; throws when it is not Consul's shape. */
  readonly parse: (body: unknown) => V;
  /**
   * true (the default): a blocking-query loop of its own. false: one plain read each time it is
   * woken (`wake()`: the first time at start, then by the change feed or the resync), and again
   * after each failure, with backoff, until a read succeeds.
   */
  readonly blocking?: boolean;
  /** The view for a 500 "No path to datacenter", or a CE agent's 400 for a namespace or partition (answered NXDOMAIN, as Consul's DNS does). */
  readonly noDatacenter?: V;
  /** The view for a 404 (a prepared query that does not exist: NXDOMAIN); without it a 404 is an error. */
  readonly notFound?: V;
  /** Triggered mode: read again this long after a good read even without a wake (prepared queries, which have no blocking form). */
  readonly refresh?: (view: V) => Duration | undefined;
  readonly wait: Duration;
  readonly backoffMin: Duration;
  readonly backoffMax: Duration;
  readonly rateInterval: Duration;
}

/** The rate limit's burst: two requests back to back, then one per `rateInterval`. */
const BURST = 2;
/** Time given to a request past `wait` + wait/16 (Consul's jitter) before it counts as a timeout. */
const SLACK: Duration = 5000;
/** Time given to a request that does not block (index 0). */
const PLAIN_TIMEOUT: Duration = 10_000;
/** Log lines about a 403 at most this often per watch. */
const FORBIDDEN_LOG_EVERY: Duration = 60_000;

/**
 * One blocking-query loop (notes §3): `GET path&index=I&wait=W`, again and again, keeping the
 * last good view. The index rules: an index that goes backwards starts over from 0 (a snapshot
 * restore, a stale server); an index below 1 (or none) is taken as 1. A token bucket (burst 2,
 * then one request per `rateInterval`) keeps spurious wakeups from spinning. Errors back off from
 * `backoffMin`, doubling to `backoffMax`, with jitter, while the last view keeps serving;
 * `failingSince` says since when. The first request after a failure does not block, so a
 * recovered agent is noticed at once rather than after a whole `wait`. `onView` hears every
 * good answer (the owner decides whether the answers changed); `stop()` aborts the request in
 * flight.
 */
export class Watch<V extends Fingerprinted = View> {
  /** The last good view; undefined until the first one. */
  view: V | undefined;
  /**
   * The agent refused the token (403: unknown, revoked, or not allowed): the view stops serving
   * (its names get SERVFAIL) until a read succeeds again. Not an outage, so max_stale does not apply.
   */
  forbidden = false;
  /** An HTTP answer (any status) came at least once: the agent is there. */
  answered200 = false;
  /** When the current run of failures began (block clock); undefined while Consul answers. */
  failingSince: Instant | undefined;
  lastError: string | undefined;
  /** When a name of this watch was last asked (block clock). */
  lastAsked: Instant;
  index = 0;
  /** Requests made (for tests and logs). */
  requests = 0;
  /** Names answered from this watch since its last flush: what a change drops from the cache. */
  readonly answered = new Set<string>();
  /** More names were answered than `answered` holds: a change scans the cache instead. */
  overflow = false;
  /** A SERVFAIL went out for one of its names: the next good view flushes even if unchanged. */
  dirty = false;
  #firstDone = false;
  readonly #first: Promise<void>;
  #resolveFirst!: () => void;
  readonly #controller = new AbortController();
  #tokens = BURST;
  #tokensAt: number;
  #running = false;
  /** Triggered mode: a wake is pending, and what resolves the loop's wait for one. */
  #woken = true;
  #kick: (() => void) | undefined;
  #forbiddenLoggedAt = -Infinity;

  constructor(
    readonly key: string,
    readonly config: WatchConfig<V>,
    readonly deps: WatchDeps,
    readonly onView: (watch: Watch<V>, before: V | undefined) => void,
  ) {
    this.lastAsked = deps.clock.now();
    this.#tokensAt = deps.timers.now();
    this.#first = new Promise((resolve) => { this.#resolveFirst = resolve; });
  }

  get stopped(): boolean {
    return this.#controller.signal.aborted;
  }

  /** True once the first request has an outcome (a view or an error). */
  get settled(): boolean {
    return this.#firstDone;
  }

  start(): this {
    if (!this.#running) {
      this.#running = true;
      void this.#run();
    }
    return this;
  }

  stop(): void {
    this.#controller.abort();
    this.#kick?.();
    this.#settle();
  }

  /** Triggered mode: read again (soon, within the rate limit). Wakes that come while one is pending merge. */
  wake(): void {
    this.#woken = true;
    this.#kick?.();
  }

  get blocking(): boolean {
    return this.config.blocking !== false;
  }

  /** Triggered mode: waits until woken (or stopped), or until the view's refresh time. */
  async #nextWake(signal: AbortSignal): Promise<void> {
    const every = this.view !== undefined ? this.config.refresh?.(this.view) : undefined;
    let timer: NodeJS.Timeout | undefined;
    if (every !== undefined && !this.#woken) {
      timer = setTimeout(() => this.wake(), every);
      timer.unref();
    }
    while (!this.#woken && !signal.aborted) {
      await new Promise<void>((resolve) => { this.#kick = resolve; });
      this.#kick = undefined;
    }
    clearTimeout(timer);
    this.#woken = false;
  }

  /** Resolves at the first outcome (a view or an error), at stop, or after `ms`, whichever comes first. */
  firstResult(ms: Duration): Promise<void> {
    if (this.#firstDone) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      void this.#first.then(() => { clearTimeout(timer); resolve(); });
    });
  }

  async #run(): Promise<void> {
    const signal = this.#controller.signal;
    let failures = 0;
    while (!signal.aborted) {
      if (!this.blocking && failures === 0) await this.#nextWake(signal);
      await this.#takeToken(signal);
      if (signal.aborted) break;
      const { path, wait } = this.config;
      // After a failure, ask without blocking: the answer then says at once that the agent is back.
      const blocking = this.blocking && this.index > 0 && failures === 0;
      const url = blocking ? `${path}${path.includes('?') ? '&' : '?'}index=${this.index}&wait=${wait}ms` : path;
      const timeout = blocking ? wait + Math.ceil(wait / 16) + SLACK : PLAIN_TIMEOUT;
      let outcome: Outcome;
      let view: V | undefined;
      let index = NaN;
      let error = '';
      this.requests++;
      try {
        const r = await this.deps.get(url, { timeout, signal });
        if (r.status === 200) {
          try {
            view = this.config.parse(JSON.parse(r.body));
            index = r.index;
            outcome = 'ok';
          } catch (err) {
            outcome = 'invalid';
            error = `bad body: ${(err as Error).message}`;
          }
        } else {
          outcome = r.status === 403 ? 'forbidden' : r.status === 429 ? 'rate_limited'
            : r.status >= 500 ? 'http_5xx' : r.status >= 400 ? 'http_4xx' : 'invalid';
          error = `HTTP ${r.status}: ${r.body.slice(0, 200).trim()}`;
          // Consul's DNS answers NXDOMAIN for a datacenter it has no path to.
          if (r.status === 500 && /no path to datacenter/i.test(r.body)) view = this.config.noDatacenter ?? (NO_DATACENTER as unknown as V);
          // Consul CE refuses `ns` and `partition` (400 "... a Consul Enterprise feature"); its DNS
          // answers such names NXDOMAIN, as an invalid question.
          if (r.status === 400 && /enterprise feature/i.test(r.body)) view = this.config.noDatacenter ?? (NO_DATACENTER as unknown as V);
          if (r.status === 404 && this.config.notFound !== undefined) view = this.config.notFound;
        }
        if (r.status === 200) this.answered200 = true;
      } catch (err) {
        if (signal.aborted) break;
        outcome = err instanceof HttpTimeout ? 'timeout' : 'error';
        error = (err as Error).message;
      }
      this.deps.counts.requests[outcome]++;
      if (outcome === 'ok') {
        if (failures > 0) this.deps.logger?.info({ watch: this.key, failures }, 'consul: the agent answers again');
        failures = 0;
        this.failingSince = undefined;
        this.lastError = undefined;
        this.forbidden = false;
        this.#advance(index);
        this.#apply(view!);
        continue;
      }
      if (outcome === 'forbidden') {
        // Not an outage: the token is wrong or revoked. Serving the old view would answer for a
        // client that may no longer read it, so the names get SERVFAIL until the token works.
        const now = this.deps.timers.now();
        if (!this.forbidden || now - this.#forbiddenLoggedAt >= FORBIDDEN_LOG_EVERY) {
          this.#forbiddenLoggedAt = now;
          this.deps.logger?.error({ watch: this.key, error }, 'consul: the agent refused the token (403); answering SERVFAIL for these names');
        }
        if (!this.forbidden) this.deps.counts.forbidden++;
        this.forbidden = true;
        this.failingSince = undefined;
        this.lastError = error;
        this.#settle();
      } else if (view !== undefined) {
        this.failingSince = undefined;
        this.#apply(view);
      } else {
        if (this.failingSince === undefined) this.deps.logger?.warn({ watch: this.key, outcome, error }, 'consul: the agent does not answer; serving the last view');
        this.failingSince ??= this.deps.clock.now();
        this.lastError = error;
        this.#settle();
      }
      failures++;
      // 429: the agent asks for less; go straight to the longest delay (with jitter).
      await this.deps.timers.sleep(this.#backoff(outcome === 'rate_limited' ? Infinity : failures), signal);
    }
  }

  /** Consul's index rules for the next request. */
  #advance(next: number): void {
    if (!(next >= 1)) this.index = 1;                 // 0, missing or garbage: take 1, never block on 0
    else if (next < this.index) this.index = 0;       // went backwards: start over
    else this.index = next;
  }

  #apply(view: V): void {
    const before = this.view;
    this.view = view;
    this.#settle();
    this.onView(this, before);
  }

  #settle(): void {
    if (this.#firstDone) return;
    this.#firstDone = true;
    this.#resolveFirst();
  }

  #backoff(failures: number): Duration {
    const { backoffMin, backoffMax } = this.config;
    const d = failures === Infinity ? backoffMax : Math.min(backoffMax, backoffMin * 2 ** Math.min(failures - 1, 30));
    return d / 2 + this.deps.random() * (d / 2);
  }

  /** The token bucket: waits until a request may go out. */
  async #takeToken(signal: AbortSignal): Promise<void> {
    const interval = this.config.rateInterval;
    if (interval <= 0) return;
    const now = this.deps.timers.now();
    this.#tokens = Math.min(BURST, this.#tokens + (now - this.#tokensAt) / interval);
    this.#tokensAt = now;
    if (this.#tokens < 1) {
      await this.deps.timers.sleep((1 - this.#tokens) * interval, signal);
      this.#tokens = 1;
      this.#tokensAt = this.deps.timers.now();
    }
    this.#tokens -= 1;
  }
}
