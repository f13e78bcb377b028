import { Rcode, RRType, type DnsMessage, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import { hasShufflable, randomPick, shuffleReply, type Pick } from './shuffle.js';

/** Counters the metrics read at scrape time. */
export class LoadbalanceCounts {
  shuffled = 0;
}

/**
 * Puts the records of every A, AAAA and MX RRset of a NOERROR reply in a random order, on the way
 * out: it sits before `cache` in the chain, so answers from the cache spread too. A reply with
 * nothing to shuffle goes out as it came (no copy); one with something is copied once.
 */
export class LoadbalancePlugin implements Plugin {
  readonly name = 'loadbalance';
  readonly counts = new LoadbalanceCounts();

  constructor(readonly pick: Pick = randomPick) {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const result = next(ctx);
    return result instanceof Promise ? result.then((reply) => this.#shuffle(ctx, reply)) : this.#shuffle(ctx, result);
  }

  #shuffle(ctx: QueryContext, reply: DnsMessage): DnsMessage {
    const qtype = ctx.request.qtype;
    if (qtype === RRType.AXFR || qtype === RRType.IXFR) return reply;
    let layout;
    try {
      if (reply.rcode !== Rcode.NOERROR) return reply;
      layout = reply.layout;
    } catch {
      return reply; // a malformed reply: the edge answers it as it would without us
    }
    if (!hasShufflable(layout)) return reply;
    const out = shuffleReply(reply, layout, this.pick);
    if (out !== reply) this.counts.shuffled++;
    return out;
  }
}
