import {
  DnsMessage, Ede, HEADER_SIZE, inZone, Rcode, UpstreamClient, upstreamQuery,
  systemTimers, type Next, type Plugin, type QueryContext, type Timers, type Transport,
} from '@dnsmesh/core';
import { ForwardQuery, type ForwardParts } from './forward-query.js';
import { HealthProbe } from './health.js';
import type { ForwardOptions } from './options.js';
import { Upstream, UpstreamSet } from './upstream-set.js';

/** Counters of one forward that belong to no single upstream. */
export class ForwardCounts {
  /** Queries answered REFUSED at once because `max_concurrent` were already in flight. */
  maxConcurrentRejects = 0;
  /** Queries answered REFUSED at once because every upstream had `max_concurrent` tries outstanding. */
  upstreamsBusy = 0;
  /** Times every upstream was down, so one was tried at random anyway. */
  healthcheckBroken = 0;
  /** Queries no upstream answered within the 5 s budget (answered SERVFAIL). */
  servfails = 0;
}

/**
 * Sends queries in FROM (minus `except`) to the upstreams and returns their reply as it came
 * (wire bytes: nothing is decoded or re-encoded; the edge puts the client's ID and question case
 * back). What goes upstream is dnsmesh's own query (`upstreamQuery`: the client's question, RD,
 * CD and DO, our OPT with the options a plugin set in `ctx.upstreamEdns`), never the client's bytes; what comes back passes `fromUpstream` (AD kept
 * only with `trust_ad`; a question-less FORMERR/NOTIMP/REFUSED is an answer, at once). Names
 * outside go to `next`. Each query has 5 s; when a try has no reply within its upstream's
 * retransmission timeout (from the measured RTT, `Upstream.rto`), that upstream counts a failure
 * and the next one is asked too, until one answers or the time is up (SERVFAIL). At most
 * `max_concurrent` queries are in flight, and tries outstanding per upstream; beyond, REFUSED at once.
 */
export class ForwardPlugin implements Plugin, ForwardParts {
  readonly name = 'forward';
  readonly counts = new ForwardCounts();
  readonly client: UpstreamClient;
  readonly upstreams: UpstreamSet;
  #inflight = 0;
  /** How our upstream queries look (`upstreamQuery`). */
  readonly #queryOptions: { readonly udpSize: number; readonly ad: boolean };
  /** FROM is the root and nothing is excepted: every name is ours. */
  readonly #everything: boolean;

  /** `timers`: what tries are timed with (the server block's; Node's by default). */
  constructor(readonly options: ForwardOptions, readonly timers: Timers = systemTimers) {
    this.#queryOptions = { udpSize: options.ednsBufferSize, ad: options.trustAd };
    this.#everything = options.from === '.' && options.except.length === 0;
    this.client = new UpstreamClient({ expire: options.expire, maxUdpSockets: options.maxUdpSockets });
    const probeTransport: Transport = options.forceTcp ? 'tcp' : 'udp';
    this.upstreams = new UpstreamSet(options.policy, options.to.map((address) => {
      const up = new Upstream(address, options.maxFails);
      if (options.maxFails > 0) {
        up.probe = new HealthProbe(up, this.client, { interval: options.healthCheck, domain: options.healthCheckDomain, transport: probeTransport });
      }
      return up;
    }));
  }

  /** Queries being forwarded right now. */
  get inflight(): number {
    return this.#inflight;
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    if (this.#everything) {
      // `forward .` with no `except` (the usual): any question, with no name decoded for it.
      if (ctx.request.questionEnd === HEADER_SIZE) return next(ctx);
    } else {
      const question = ctx.request.question;
      if (question === undefined || !this.matches(question.lname)) return next(ctx);
    }
    const max = this.options.maxConcurrent;
    if (max > 0 && this.#inflight >= max) {
      // REFUSED as CoreDNS: a stub moves on to its next server, and no cache stores it (a SERVFAIL
      // would be stored for `servfail` and shared by every client of the name, after the burst).
      this.counts.maxConcurrentRejects++;
      ctx.setEde(Ede.OTHER, `forward: max_concurrent ${max} queries in flight`);
      return DnsMessage.reply(ctx.request, Rcode.REFUSED);
    }
    // Our own OPT, with the options a plugin set for this query (rewrite edns0): throws only on a query the edge would not pass.
    const query = upstreamQuery(ctx.request, this.#queryOptions, ctx.upstreamEdns?.options);
    this.#inflight++;
    return new ForwardQuery(this, ctx, query, this.#order(ctx)).promise;
  }

  /** A query of this forward has its answer (ForwardQuery). */
  queryEnded(): void {
    this.#inflight--;
  }

  /** True for a name (canonical, trailing dot) this forward takes: in FROM and not excepted (FROM itself always). */
  matches(name: string): boolean {
    const { from, except } = this.options;
    if (!inZone(name, from)) return false;
    if (name === from) return true;
    for (const zone of except) if (inZone(name, zone)) return false;
    return true;
  }

  /**
   * The policy's order; when tcp_retry asks again over TCP, the upstream that sent the truncated
   * reply goes first.
   */
  #order(ctx: QueryContext): readonly Upstream[] {
    const list = this.upstreams.list();
    const previous = ctx.state.forceTcp ? ctx.state.upstream : undefined;
    if (previous === undefined) return list;
    const first = this.upstreams.find(previous);
    return first === undefined ? list : [first, ...list.filter((u) => u !== first)];
  }

  stop(): void {
    this.upstreams.stop();
    this.client.close();
  }
}
