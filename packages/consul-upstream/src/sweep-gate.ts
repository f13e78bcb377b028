import type { Duration } from '@dnsmesh/core';

/**
 * The limits of index-probe sweeps: a sweep of a scope starts at most once per `interval` (the
 * first after a quiet period at once), and probes go out at most `rate` per second, from a token
 * bucket holding one second's worth (a sweep of a few services goes out at once, one of thousands
 * is spread over time). `now` is injectable (milliseconds, monotonic).
 */
export class SweepGate {
  readonly #lastStart = new Map<string, number>();
  #tokens: number;
  #at: number;

  constructor(readonly interval: Duration, readonly rate: number, readonly now: () => number) {
    this.#tokens = rate;
    this.#at = now();
  }

  /** How long until a sweep of `scope` may start (0: now). */
  delay(scope: string): Duration {
    const last = this.#lastStart.get(scope);
    return last === undefined ? 0 : Math.max(0, last + this.interval - this.now());
  }

  /** Records that a sweep of `scope` starts now. */
  started(scope: string): void {
    this.#lastStart.set(scope, this.now());
  }

  /** Takes a token for one probe; returns how long to wait before sending it (0: at once). Takers are served in order. */
  take(): Duration {
    const now = this.now();
    this.#tokens = Math.min(this.rate, this.#tokens + ((now - this.#at) * this.rate) / 1000);
    this.#at = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.rate;
  }
}
