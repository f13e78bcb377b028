import {
  DnsMessage, Ede, ednsRejected, HEADER_SIZE, fromUpstream, inZone, Rcode, UpstreamAborted, UpstreamClient, UpstreamError, UpstreamTimeout, upstreamQuery, withoutEdns,
  type Next, type Plugin, type QueryContext, type Transport, type UpstreamTransport,
} from '@dnsmesh/core';
import { HealthProbe } from './health.js';
import { TIMEOUTS, type ForwardOptions } from './options.js';
import { Upstream, UpstreamSet } from './upstream-set.js';

function noop(): void {}

/** What a try's own timeout is rounded up to (ms). */
const BACKSTOP_STEP = 250;

/**
 * A try's own timeout: the time left to the query's `deadline`, rounded **up** to a quarter second.
 * It is a backstop only: the query's deadline timer ends every try still in flight (`cancel`) when
 * it fires. Rounded because Node keeps one timer list per distinct duration: to the millisecond,
 * a server running late (a flood's queue) set a new duration, so made and later dropped a list, for
 * nearly every try (Node's timer-list heap was among what V8 compiled in a flood's first second).
 */
function backstop(deadline: number): number {
  return Math.max(BACKSTOP_STEP, Math.ceil((deadline - performance.now()) / BACKSTOP_STEP) * BACKSTOP_STEP);
}

/** What the errors plugin logs for a query no upstream answered: the last error, and who was asked. */
function failureText(lastError: unknown, list: readonly Upstream[]): string {
  const why = lastError instanceof Error ? lastError.message : lastError !== undefined ? String(lastError) : `no reply within ${TIMEOUTS.query / 1000} s`;
  return `forward: no upstream answered (${list.map((u) => u.label).join(', ')}): ${why}`;
}

/**
 * REFUSED at once for a query a cap turned away, with EDE 0 (Other: RFC 8914 has no code for a
 * busy resolver) saying why; REFUSED, as for max_concurrent, because no cache stores it.
 */
function overloaded(ctx: QueryContext, why: string): DnsMessage {
  ctx.state.plugin = 'forward';
  ctx.setEde(Ede.OTHER, `forward: ${why}`);
  return DnsMessage.reply(ctx.request, Rcode.REFUSED);
}

/** Why the tries of a settled query are stopped (one object for every query). */
const SETTLED = Object.freeze({ settled: true });

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
export class ForwardPlugin implements Plugin {
  readonly name = 'forward';
  readonly counts = new ForwardCounts();
  readonly client: UpstreamClient;
  readonly upstreams: UpstreamSet;
  #inflight = 0;
  /** How our upstream queries look (`upstreamQuery`). */
  readonly #queryOptions: { readonly udpSize: number; readonly ad: boolean };
  /** FROM is the root and nothing is excepted: every name is ours. */
  readonly #everything: boolean;

  constructor(readonly options: ForwardOptions) {
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
    return this.#forward(ctx, query).finally(() => { this.#inflight--; });
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
   * Tries upstreams until one answers or the query's 5 s are up. A try that has no reply within
   * its upstream's `rto()` (srtt + 4 × rttvar, backed off per timeout) counts as a failure of its
   * upstream and the next try starts, but the earlier one keeps listening: a slow answer that
   * lands within the 5 s is still used. A try that fails at once (a refused or broken TCP
   * connection) starts the next one at once. An upstream with `max_concurrent` tries outstanding
   * is passed over; when every one is, the query gets REFUSED at once. Tries are capped, and when
   * every upstream is down one is tried at random, once (as CoreDNS), so fast failures never spin.
   */
  #forward(ctx: QueryContext, query: Buffer): Promise<DnsMessage> {
    const deadline = performance.now() + TIMEOUTS.query;
    const list = this.#order(ctx);
    const maxTries = Math.max(3, 2 * list.length);
    let tries = 0;
    let i = 0;
    let downSeen = 0;
    let allDownTried = false;
    const max = this.options.maxConcurrent;
    const full = (up: Upstream): boolean => max > 0 && up.inflight >= max;
    const pick = (): Upstream | undefined => {
      while (tries < maxTries) {
        if (i >= list.length) { i = 0; downSeen = 0; }
        const up = list[i++]!;
        if (full(up)) {                                    // its cap of tries outstanding: the next one
          up.busy++;
          if (++downSeen < list.length) continue;
          return undefined;
        }
        if (!up.down) { tries++; return up; }
        if (++downSeen < list.length) continue;
        if (allDownTried) return undefined;
        // Every upstream is down: health checking itself may be what is broken, so try one anyway.
        allDownTried = true;
        this.counts.healthcheckBroken++;
        const any = this.upstreams.random();
        if (full(any)) return undefined;
        tries++;
        return any;
      }
      return undefined;
    };

    return new Promise<DnsMessage>((resolve) => {
      let settled = false;
      const stops: ((reason: unknown) => void)[] = [];        // end the tries still in flight once the query is settled
      // An exchange begun after that (prefer_udp's TCP ask) is stopped as it starts.
      const cancel = (stop: (reason?: unknown) => void): void => { if (settled) stop(SETTLED); else stops.push(stop); };
      let inflight = 0;
      let exhausted = false;
      let tryTimer: NodeJS.Timeout | undefined;
      let lastError: unknown;
      const finish = (reply: DnsMessage | undefined, up?: Upstream, transport?: UpstreamTransport): void => {
        if (settled) return;
        settled = true;
        clearTimeout(tryTimer);
        clearTimeout(deadlineTimer);
        offAbort();
        // Tries still in flight stop listening (the usual single try has already ended).
        if (inflight > 0) for (const stop of stops) stop(SETTLED);
        ctx.state.plugin = 'forward';
        if (reply !== undefined) {
          ctx.state.upstream = up!.label;
          ctx.state.upstreamTransport = transport;
          resolve(reply);
          return;
        }
        if (tries === 0 && !ctx.aborted) {                   // every upstream at its cap: nothing was asked
          this.counts.upstreamsBusy++;
          resolve(overloaded(ctx, 'every upstream has max_concurrent tries outstanding'));
          return;
        }
        this.counts.servfails++;
        noAnswer(ctx, lastError, list);
        if (!ctx.aborted) ctx.failure = failureText(lastError, list); // the errors plugin logs it (consolidate bounds a flood)
        resolve(DnsMessage.reply(ctx.request, Rcode.SERVFAIL));
      };
      const onAbort = (): void => finish(undefined);
      const start = (): void => {
        clearTimeout(tryTimer);
        const remaining = deadline - performance.now();
        const up = remaining > 0 ? pick() : undefined;
        if (up === undefined) {
          exhausted = true;
          if (inflight === 0) finish(undefined);               // else the tries in flight may still answer
          return;
        }
        const attempt = { timedOut: false };
        inflight++;
        tryTimer = setTimeout(() => { attempt.timedOut = true; up.timedOut(); up.failed(); start(); }, Math.ceil(Math.min(up.rto(), remaining)));
        this.#ask(ctx, query, up, deadline, cancel).then(
          ({ reply, transport }) => { inflight--; finish(reply, up, transport); },
          (err: unknown) => {
            inflight--;
            if (settled || err instanceof UpstreamAborted) return;
            lastError = err;
            if (!attempt.timedOut) { up.failed(); start(); }     // failed before its 2 s: next one now
            else if (exhausted && inflight === 0) finish(undefined);
          },
        );
      };
      const deadlineTimer = setTimeout(() => finish(undefined), TIMEOUTS.query);
      let offAbort = noop;
      if (ctx.aborted) { finish(undefined); return; }
      offAbort = ctx.onAbort(onAbort);
      start();
    });
  }

  /**
   * One try at one upstream, listening until the query's deadline; an upstream that rejects our
   * OPT is asked again without it, and with prefer_udp a truncated UDP reply again over TCP.
   */
  async #ask(ctx: QueryContext, query: Buffer, up: Upstream, deadline: number, cancel: (stop: (reason?: unknown) => void) => void): Promise<{ reply: DnsMessage; transport: UpstreamTransport }> {
    const { forceTcp, preferUdp } = this.options;
    // A tls:// upstream is always asked over TLS: its answers are whole (no TC, no tcp_retry).
    let transport: UpstreamTransport = up.address.tls !== undefined ? 'tls' : forceTcp || ctx.state.forceTcp ? 'tcp' : preferUdp ? 'udp' : ctx.client.transport;
    up.requests++;
    const sentAt = performance.now();
    up.inflight++;
    let reply;
    try {
      reply = await this.client.exchange(query, up.address, {
        transport, timeout: backstop(deadline), cancel,
      });
    } finally {
      up.inflight--;
    }
    up.measured(performance.now() - sentAt);
    if (ednsRejected(reply)) {               // an upstream without EDNS (RFC 6891 §7): once more without our OPT
      up.replied(reply.rcodeName);
      up.requests++;
      query = withoutEdns(query);
      reply = await this.client.exchange(query, up.address, { transport, timeout: backstop(deadline), cancel });
    }
    if (reply.tc && transport === 'udp' && preferUdp) {
      up.replied(reply.rcodeName);
      transport = 'tcp';
      up.requests++;
      reply = await this.client.exchange(query, up.address, {
        transport, timeout: backstop(deadline), cancel,
      });
    }
    up.replied(reply.rcodeName);          // any reply, a question-less error too: the upstream is alive
    up.timed(reply.rcodeName, (performance.now() - sentAt) / 1000);
    return { reply: fromUpstream(ctx, reply, up.label, this.options), transport };
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

/**
 * Says why a query got SERVFAIL (RFC 8914): 23 Network Error when the last try failed at the
 * transport (a refused or reset TCP connection, a send error), else 22 No Reachable Authority
 * (nothing answered in time).
 */
function noAnswer(ctx: QueryContext, lastError: unknown, list: readonly Upstream[]): void {
  if (lastError instanceof UpstreamError && !(lastError instanceof UpstreamTimeout)) {
    ctx.setEde(Ede.NETWORK_ERROR, lastError.message);
  } else {
    ctx.setEde(Ede.NO_REACHABLE_AUTHORITY, `no reply from ${list.map((u) => u.label).join(', ')}`);
  }
}
