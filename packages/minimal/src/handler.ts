import { after, type DnsMessage, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import { minimize } from './strip.js';

/** Counters the metrics read at scrape time. */
export class MinimalCounts {
  stripped = 0;
}

/** Strips the authority and additional sections of NOERROR answers on their way out. */
export class MinimalPlugin implements Plugin {
  readonly name = 'minimal';
  readonly counts = new MinimalCounts();

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    return after(next(ctx), (reply) => {
      const out = minimize(reply);
      if (out !== reply) this.counts.stripped++;
      return out;
    });
  }
}
