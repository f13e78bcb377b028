import { CLASS_IN, DnsMessage, FLAG_AA, FLAG_CD, FLAG_RD, RRType, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import type { StaticOptions } from './setup.js';

/**
 * Answers A and AAAA queries for the names it lists (authoritatively, a fresh message built for
 * this query); every other query goes on down the chain.
 */
export class StaticPlugin implements Plugin {
  readonly name = 'static';
  answered = 0;

  constructor(readonly options: StaticOptions) {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const q = ctx.request.question;
    if (q === undefined || q.class !== CLASS_IN || (q.type !== RRType.A && q.type !== RRType.AAAA)) return next(ctx);
    const entry = this.options.names.get(q.lname);
    const addresses = entry === undefined ? [] : q.type === RRType.A ? entry.v4 : entry.v6;
    if (addresses.length === 0) return next(ctx);
    this.answered++;
    ctx.state.plugin = this.name;
    const type = q.type === RRType.A ? 'A' : 'AAAA';
    return DnsMessage.fromPacket({
      id: ctx.request.id,
      type: 'response',
      flags: FLAG_AA | (ctx.request.flags & (FLAG_RD | FLAG_CD)),
      questions: [{ name: q.name, type, class: 'IN' }],
      answers: addresses.map((data) => ({ name: q.name, type, class: 'IN', ttl: this.options.ttl, data })),
    });
  }
}
