import {
  DnsMessage, Ede, ednsRejected, fromUpstream, Rcode, UpstreamAborted, UpstreamError, UpstreamTimeout, withoutEdns,
  type QueryContext, type TimerHandle, type Timers, type UpstreamClient, type UpstreamTransport,
} from '@dnsmesh/core';
import type { ForwardCounts } from './handler.js';
import { TIMEOUTS, type ForwardOptions } from './options.js';
import type { Upstream, UpstreamSet } from './upstream-set.js';

/** What a query needs of its forward: its upstreams, client, options and counters. */
export interface ForwardParts {
  readonly upstreams: UpstreamSet;
  readonly client: UpstreamClient;
  readonly options: ForwardOptions;
  readonly counts: ForwardCounts;
  /** The clock and timers tries are timed with (the block's). */
  readonly timers: Timers;
  /** Told once per query, when it has its answer. */
  queryEnded(): void;
}

/** Why the tries of a settled query are stopped (one object for every query). */
const SETTLED = Object.freeze({ settled: true });

/**
 * One query on its way upstream: the tries, their timer and how the query ends, in one object (a
 * miss made some twenty closures, promises and timers here before: under a flood of new names
 * they were a good part of what the young generation collected). One timer at a time: the current
 * try's (its upstream's `rto()`, never past the deadline), then, once no upstream is left to ask,
 * the deadline's. The tries' exchanges have no timer of their own (`timeout: Infinity`): the query
 * stops those still in flight when it settles, and it settles by its deadline.
 *
 * A try that has no reply within its upstream's rto counts as a failure of its upstream and the
 * next try starts, but the earlier one keeps listening: a slow answer that lands within the 5 s is
 * still used. A try that fails at once (a refused or broken TCP connection) starts the next one at
 * once. An upstream with `max_concurrent` tries outstanding is passed over; when every one is, the
 * query gets REFUSED at once. Tries are capped, and when every upstream is down one is tried at
 * random, once (as CoreDNS), so fast failures never spin.
 */
export class ForwardQuery {
  readonly promise: Promise<DnsMessage>;
  #resolve!: (reply: DnsMessage) => void;
  readonly #deadline: number;
  readonly #maxTries: number;
  #settled = false;
  #tries = 0;
  #next = 0;
  #downSeen = 0;
  #allDownTried = false;
  #inflight = 0;
  #exhausted = false;
  #timer: TimerHandle | undefined;
  /** The try the timer is for (undefined once the timer is the deadline's). */
  #current: Try | undefined;
  #lastError: unknown;
  /** What ends each exchange still in flight (`cancel`). */
  readonly #stops: ((reason: unknown) => void)[] = [];
  /** Given to every exchange: registers its stop, or stops it at once when the query is over. */
  readonly cancel = (stop: (reason?: unknown) => void): void => {
    if (this.#settled) stop(SETTLED);
    else this.#stops.push(stop);
  };
  readonly #onAbort = (): void => this.#finish(undefined);
  readonly #onTimer = (): void => {
    const t = this.#current;
    this.#timer = undefined;
    if (t === undefined) { this.#finish(undefined); return; } // the deadline
    this.#current = undefined;
    t.timedOut = true;
    t.up.timedOut();
    t.up.failed();
    this.#start();
  };

  constructor(
    readonly parts: ForwardParts, readonly ctx: QueryContext, readonly query: Buffer, readonly list: readonly Upstream[],
  ) {
    this.#deadline = parts.timers.now() + TIMEOUTS.query;
    this.#maxTries = Math.max(3, 2 * list.length);
    this.promise = new Promise<DnsMessage>((resolve) => { this.#resolve = resolve; });
    if (ctx.aborted) { this.#finish(undefined); return; }
    ctx.addAbortListener(this.#onAbort);
    this.#start();
  }

  #full(up: Upstream): boolean {
    const max = this.parts.options.maxConcurrent;
    return max > 0 && up.inflight >= max;
  }

  /** The next upstream to ask, or undefined when none is left (tries used up, all at their cap). */
  #pick(): Upstream | undefined {
    const list = this.list;
    while (this.#tries < this.#maxTries) {
      if (this.#next >= list.length) { this.#next = 0; this.#downSeen = 0; }
      const up = list[this.#next++]!;
      if (this.#full(up)) {                                  // its cap of tries outstanding: the next one
        up.busy++;
        if (++this.#downSeen < list.length) continue;
        return undefined;
      }
      if (!up.down) { this.#tries++; return up; }
      if (++this.#downSeen < list.length) continue;
      if (this.#allDownTried) return undefined;
      // Every upstream is down: health checking itself may be what is broken, so try one anyway.
      this.#allDownTried = true;
      this.parts.counts.healthcheckBroken++;
      const any = this.parts.upstreams.random();
      if (this.#full(any)) return undefined;
      this.#tries++;
      return any;
    }
    return undefined;
  }

  /** Starts the next try, or, with none left, waits for the tries in flight until the deadline. */
  #start(): void {
    const timers = this.parts.timers;
    if (this.#timer !== undefined) timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#current = undefined;
    const remaining = this.#deadline - timers.now();
    const up = remaining > 0 ? this.#pick() : undefined;
    if (up === undefined) {
      this.#exhausted = true;
      if (this.#inflight === 0 || remaining <= 0) this.#finish(undefined);
      else this.#timer = timers.setTimeout(this.#onTimer, Math.ceil(remaining)); // the tries in flight may still answer
      return;
    }
    const t = new Try(this, up, this.#transport(up));
    this.#current = t;
    this.#inflight++;
    this.#timer = timers.setTimeout(this.#onTimer, Math.ceil(Math.min(up.rto(), remaining)));
    up.requests++;
    up.inflight++;
    t.sentAt = timers.now();
    this.parts.client.exchange(this.query, up.address, { transport: t.transport, timeout: Infinity, cancel: this.cancel }).then(t.ok, t.fail);
  }

  /** How a try at `up` asks: a tls:// upstream always over TLS (its answers are whole: no TC, no tcp_retry). */
  #transport(up: Upstream): UpstreamTransport {
    const options = this.parts.options;
    return up.address.tls !== undefined ? 'tls' : options.forceTcp || this.ctx.state.forceTcp ? 'tcp' : options.preferUdp ? 'udp' : this.ctx.client.transport;
  }

  /**
   * A try's first reply. The usual one is the query's answer at once; an upstream that rejects
   * our OPT is asked again without it, and with prefer_udp a truncated UDP reply again over TCP.
   */
  replied(t: Try, reply: DnsMessage): void {
    const up = t.up;
    up.inflight--;
    up.measured(this.parts.timers.now() - t.sentAt);
    try {
      if (ednsRejected(reply) || (reply.tc && t.transport === 'udp' && this.parts.options.preferUdp)) {
        this.#askAgain(t, reply).then((answer) => this.answered(answer, up, t.transport), (err: unknown) => this.failed(t, err));
        return;
      }
      this.answered(this.#accept(t, reply), up, t.transport);
    } catch (err) {
      this.failed(t, err);
    }
  }

  /** A try's reply. */
  answered(reply: DnsMessage, up: Upstream, transport: UpstreamTransport): void {
    this.#inflight--;
    this.#finish(reply, up, transport);
  }

  /** A try that ended without a reply. */
  failed(t: Try, err: unknown): void {
    this.#inflight--;
    if (this.#settled || err instanceof UpstreamAborted) return;
    this.#lastError = err;
    if (!t.timedOut) { t.up.failed(); this.#start(); }        // failed before its timer: the next one now
    else if (this.#exhausted && this.#inflight === 0) this.#finish(undefined);
  }

  /** Asks a try's upstream again: without our OPT (RFC 6891 §7), then over TCP for a truncated reply. */
  async #askAgain(t: Try, first: DnsMessage): Promise<DnsMessage> {
    const { client, options } = this.parts;
    const up = t.up;
    let reply = first;
    let query = this.query;
    if (ednsRejected(reply)) {
      up.replied(reply.rcodeName);
      up.requests++;
      query = withoutEdns(query);
      reply = await client.exchange(query, up.address, { transport: t.transport, timeout: Infinity, cancel: this.cancel });
    }
    if (reply.tc && t.transport === 'udp' && options.preferUdp) {
      up.replied(reply.rcodeName);
      t.transport = 'tcp';
      up.requests++;
      reply = await client.exchange(query, up.address, { transport: 'tcp', timeout: Infinity, cancel: this.cancel });
    }
    return this.#accept(t, reply);
  }

  /** The reply a try ends with, counted for its upstream and made the client's. */
  #accept(t: Try, reply: DnsMessage): DnsMessage {
    const up = t.up;
    up.replied(reply.rcodeName);          // any reply, a question-less error too: the upstream is alive
    up.timed(reply.rcodeName, (this.parts.timers.now() - t.sentAt) / 1000);
    return fromUpstream(this.ctx, reply, up.label, this.parts.options);
  }

  #finish(reply: DnsMessage | undefined, up?: Upstream, transport?: UpstreamTransport): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer !== undefined) { this.parts.timers.clearTimeout(this.#timer); this.#timer = undefined; }
    this.#current = undefined;
    const ctx = this.ctx;
    ctx.removeAbortListener(this.#onAbort);
    this.parts.queryEnded();
    // Tries still in flight stop listening (the usual single try has already ended).
    if (this.#inflight > 0) for (const stop of this.#stops) stop(SETTLED);
    ctx.state.plugin = 'forward';
    if (reply !== undefined) {
      ctx.state.upstream = up!.label;
      ctx.state.upstreamTransport = transport;
      this.#resolve(reply);
      return;
    }
    if (this.#tries === 0 && !ctx.aborted) {                  // every upstream at its cap: nothing was asked
      this.parts.counts.upstreamsBusy++;
      this.#resolve(overloaded(ctx, 'every upstream has max_concurrent tries outstanding'));
      return;
    }
    this.parts.counts.servfails++;
    noAnswer(ctx, this.#lastError, this.list);
    if (!ctx.aborted) ctx.failure = failureText(this.#lastError, this.list); // the errors plugin logs it (consolidate bounds a flood)
    this.#resolve(DnsMessage.reply(ctx.request, Rcode.SERVFAIL));
  }
}

/** One try at one upstream: what its exchange's promise settles into. */
class Try {
  timedOut = false;
  sentAt = 0;
  readonly ok = (reply: DnsMessage): void => this.q.replied(this, reply);
  readonly fail = (err: unknown): void => {
    this.up.inflight--;
    this.q.failed(this, err);
  };

  constructor(readonly q: ForwardQuery, readonly up: Upstream, public transport: UpstreamTransport) {}
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

/** What the errors plugin logs for a query no upstream answered: the last error, and who was asked. */
function failureText(lastError: unknown, list: readonly Upstream[]): string {
  const why = lastError instanceof Error ? lastError.message : lastError !== undefined ? String(lastError) : `no reply within ${TIMEOUTS.query / 1000} s`;
  return `forward: no upstream answered (${list.map((u) => u.label).join(', ')}): ${why}`;
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
