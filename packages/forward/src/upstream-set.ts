import { randomInt } from 'node:crypto';
import { formatAddress, type UpstreamAddress } from '@dnsmesh/core';
import type { HealthProbe } from './health.js';
import type { Policy } from './options.js';

/**
 * One upstream of a forward: its address, its health, and its counters (plain fields that the
 * metrics read at scrape time).
 */
export class Upstream {
  /** "HOST:PORT", as in `ctx.state.upstream` and the `to` label. */
  readonly label: string;
  /** Queries sent to it: every try, health probes not included. */
  requests = 0;
  /** Replies from it, by rcode name. */
  readonly responses = new Map<string, number>([['NOERROR', 0]]);
  /** Health probes that got no reply. */
  healthcheckFailures = 0;
  /** Consecutive failures: queries with no reply, then failed probes. Any reply resets it. */
  fails = 0;
  /** Probes it while it is down; undefined when `max_fails` is 0 (never down). */
  probe: HealthProbe | undefined;
  /** Smoothed time its replies take (ms, RFC 6298's 1/8 weight); undefined before the first. */
  srtt: number | undefined;

  constructor(readonly address: UpstreamAddress, readonly maxFails: number) {
    this.label = formatAddress(address);
  }

  /** Down after `maxFails` consecutive failures; it is then probed until it answers. */
  get down(): boolean {
    return this.maxFails > 0 && this.fails >= this.maxFails;
  }

  /** A reply came back (any rcode: the upstream is alive). */
  replied(rcode: string): void {
    this.responses.set(rcode, (this.responses.get(rcode) ?? 0) + 1);
    this.fails = 0;
  }

  /** How long one reply took (ms): feeds `srtt`. */
  measured(rtt: number): void {
    this.srtt = this.srtt === undefined ? rtt : this.srtt + (rtt - this.srtt) / 8;
  }

  /**
   * How long a try waits before the query asks again: `base` (CoreDNS's 2 s), or twice the
   * smoothed reply time when this upstream is known to be slower than that, so an upstream that
   * always takes 3 s is not asked everything twice (Unbound's timeouts follow the RTT too).
   */
  retryAfter(base: number): number {
    return this.srtt === undefined ? base : Math.max(base, 2 * this.srtt);
  }

  /** A query got no reply (timeout, transport error). */
  failed(): void {
    this.fails++;
    if (this.down) this.probe?.start();
  }
}

/** The upstreams of one forward, and the order each query tries them in. */
export class UpstreamSet {
  readonly upstreams: readonly Upstream[];
  #turn = 0;

  constructor(readonly policy: Policy, upstreams: readonly Upstream[]) {
    this.upstreams = upstreams;
  }

  /**
   * The order for one query: `random` shuffles, `round_robin` starts one further each time,
   * `sequential` keeps the configured order.
   */
  list(): readonly Upstream[] {
    const all = this.upstreams;
    if (all.length === 1) return all;
    switch (this.policy) {
      case 'sequential':
        return all;
      case 'round_robin': {
        const start = this.#turn++ % all.length;
        if (this.#turn >= 0x40000000) this.#turn = 0;
        return [...all.slice(start), ...all.slice(0, start)];
      }
      case 'random': {
        const out = [...all];
        for (let i = out.length - 1; i > 0; i--) {
          const j = randomInt(i + 1);
          [out[i], out[j]] = [out[j]!, out[i]!];
        }
        return out;
      }
    }
  }

  /** Any one, at random (when every upstream is down, CoreDNS tries one anyway). */
  random(): Upstream {
    return this.upstreams[randomInt(this.upstreams.length)]!;
  }

  find(label: string): Upstream | undefined {
    return this.upstreams.find((u) => u.label === label);
  }

  stop(): void {
    for (const u of this.upstreams) u.probe?.stop();
  }
}
