import type { Clock, DnsMessage, Next, Plugin, QueryContext } from '@dnsmesh/core';
import type { QueryCounts, ZoneCounts } from './counters.js';

/**
 * First in the chain: counts every query on its way in and every reply on its way out, and
 * times it. Plain counters (read at scrape time), one histogram child per zone made once; a
 * synchronous answer (a cache hit) stays synchronous and allocates nothing here.
 */
export class PrometheusPlugin implements Plugin {
  readonly name = 'prometheus';

  constructor(
    readonly counts: QueryCounts,
    readonly clock: Clock,
  ) {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const zone = this.counts.zoneOf(ctx.request);
    this.counts.request(zone, ctx.client, ctx.request.qtype, ctx.request.bytes.length);
    let result: DnsMessage | Promise<DnsMessage>;
    try {
      result = next(ctx);
    } catch (err) {
      this.#failed(ctx, zone);
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (reply) => this.#answered(ctx, zone, reply),
        (err: unknown) => { this.#failed(ctx, zone); throw err; },
      );
    }
    return this.#answered(ctx, zone, result);
  }

  #answered(ctx: QueryContext, zone: ZoneCounts, reply: DnsMessage): DnsMessage {
    this.counts.response(zone, ctx.state.plugin ?? '', rcodeOf(reply));
    zone.duration.observe((this.clock.now() - ctx.now) / 1000);
    // The reply as the chain made it (before the edge fits it to the client and adds its OPT).
    zone.responseSize[ctx.client.transport === 'tcp' ? 1 : 0].observe(reply.image?.length ?? reply.bytes.length);
    return reply;
  }

  /** The chain threw: the edge answers SERVFAIL. */
  #failed(ctx: QueryContext, zone: ZoneCounts): void {
    this.counts.response(zone, ctx.state.plugin ?? '', 2);
    zone.duration.observe((this.clock.now() - ctx.now) / 1000);
  }
}

/** The full rcode; only the header's 4 bits when the reply's OPT cannot be read (the edge then fails it anyway). */
function rcodeOf(reply: DnsMessage): number {
  try {
    return reply.rcode;
  } catch {
    return reply.flags & 0xf;
  }
}
