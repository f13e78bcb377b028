import { RRType, type DnsMessage, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import { hinfoReply } from './hinfo.js';

/** Which ANY queries get the minimal answer: every one (the `any` directive), or those over UDP (the server's default). */
export type AnyScope = 'all' | 'udp';

export class AnyCounts {
  /** ANY queries answered with the HINFO record. */
  answered = 0;
}

/**
 * Answers ANY with one synthesized HINFO record (RFC 8482 §4.2) and asks nothing upstream: a
 * 40-byte ANY query can no longer pull a kilobyte answer (amplification), and the cache never
 * stores ANY. Every other query passes on untouched.
 */
export class AnyPlugin implements Plugin {
  readonly name = 'any';
  readonly counts = new AnyCounts();

  constructor(readonly scope: AnyScope = 'all') {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    if (ctx.request.qtype !== RRType.ANY || (this.scope === 'udp' && ctx.client.transport !== 'udp')) return next(ctx);
    this.counts.answered++;
    ctx.state.plugin = 'any';
    return hinfoReply(ctx.request);
  }
}
