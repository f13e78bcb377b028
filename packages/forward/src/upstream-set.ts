import { randomInt } from 'node:crypto';
import { formatAddress, HistogramCounts, type UpstreamAddress } from '@dnsmesh/core';
import type { HealthProbe } from './health.js';
import { RTO, type Policy } from './options.js';

/**
 * One upstream of a forward: its address, its health, and its counters (plain fields that the
 * metrics read at scrape time).
 */
/** CoreDNS's request-duration buckets: 0.25 ms doubling, 16 buckets (to about 8 s). */
export const REQUEST_DURATION_BUCKETS: readonly number[] = Array.from({ length: 16 }, (_, n) => 0.00025 * 2 ** n);

export class Upstream {
  /** "HOST:PORT", as in `ctx.state.upstream` and the `to` label. */
  readonly label: string;
  /** Queries sent to it: every try, health probes not included. */
  requests = 0;
  /** Replies from it, by rcode name. */
  readonly responses = new Map<string, number>([['NOERROR', 0]]);
  /** Tries sent elsewhere (or not at all) because it had `max_concurrent` outstanding. */
  busy = 0;
  /** Health probes that got no reply. */
  healthcheckFailures = 0;
  /** Consecutive failures: queries with no reply, then failed probes. Any reply resets it. */
  fails = 0;
  /** Probes it while it is down; undefined when `max_fails` is 0 (never down). */
  probe: HealthProbe | undefined;
  /** Smoothed time its replies take (ms, RFC 6298's 1/8 weight); undefined before the first. */
  srtt: number | undefined;
  /** How much its reply times vary (ms, RFC 6298's 1/4 weight). */
  rttvar = 0;
  /** Doubles each time a try's timer runs out without a reply, back to 1 at the next reply (Unbound's backoff). */
  backoff = 1;
  /** Tries sent to it and not yet over (capped by `max_concurrent`). */
  inflight = 0;

  constructor(readonly address: UpstreamAddress, readonly maxFails: number) {
    this.label = formatAddress(address);
  }

  /** Down after `maxFails` consecutive failures; it is then probed until it answers. */
  get down(): boolean {
    return this.maxFails > 0 && this.fails >= this.maxFails;
  }

  /** Time from the first send to the reply used, in seconds, by rcode (`forward_request_duration_seconds`). */
  readonly durations = new Map<string, HistogramCounts>();

  /** Counts how long a query's exchange with this upstream took, by the rcode it got. */
  timed(rcode: string, seconds: number): void {
    let h = this.durations.get(rcode);
    if (h === undefined) { h = new HistogramCounts(REQUEST_DURATION_BUCKETS); this.durations.set(rcode, h); }
    h.observe(seconds);
  }

  /** A reply came back (any rcode: the upstream is alive). */
  replied(rcode: string): void {
    this.responses.set(rcode, (this.responses.get(rcode) ?? 0) + 1);
    this.fails = 0;
  }

  /**
   * How long one reply took (ms): feeds `srtt` and `rttvar` (RFC 6298 §2). Each try has its own
   * ID and socket, so even the reply to a try that was asked again is a clean sample.
   */
  measured(rtt: number): void {
    if (this.srtt === undefined) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar += (Math.abs(this.srtt - rtt) - this.rttvar) / 4;
      this.srtt += (rtt - this.srtt) / 8;
    }
    this.backoff = 1;
  }

  /**
   * How long a try waits for its reply before the query asks again (its retransmission timeout,
   * Unbound's way): srtt + 4 × rttvar, within [RTO.min, RTO.max], `RTO.initial` before the first
   * reply, doubled for each timer that ran out since the last reply. A fast upstream is asked again
   * soon when a reply is lost; a slow one is not asked everything twice.
   */
  rto(): number {
    const base = this.srtt === undefined ? RTO.initial : Math.max(RTO.min, this.srtt + 4 * this.rttvar);
    return Math.min(RTO.max, base * this.backoff);
  }

  /** A try's timer ran out without a reply: wait longer next time, until a reply comes. */
  timedOut(): void {
    if (this.rto() < RTO.max) this.backoff *= 2;
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
