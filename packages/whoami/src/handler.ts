import { inZone, type DnsMessage, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import { whoamiReply } from './answer.js';

/** Counters the metrics read at scrape time. */
export class WhoamiCounts {
  answers = 0;
}

/** Answers every query of its zones with the client's address and port (names outside pass on). */
export class WhoamiPlugin implements Plugin {
  readonly name = 'whoami';
  readonly counts = new WhoamiCounts();

  constructor(readonly zones: readonly string[]) {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const q = ctx.request.question;
    if (q === undefined || !this.zones.some((z) => inZone(q.lname, z))) return next(ctx);
    this.counts.answers++;
    ctx.state.plugin = this.name;
    return whoamiReply(ctx);
  }
}
