import { Rcode, RRType, type DnsMessage, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import type { Cidr } from '@dnsmesh/acl';
import { preferReply } from './prefer.js';
import { hasShufflable, randomPick, shuffleReply, type Pick } from './shuffle.js';
import { weightedReply } from './weighted.js';
import type { WeightTable } from './weights.js';

/** Counters the metrics read at scrape time. */
export class LoadbalanceCounts {
  shuffled = 0;
  /** Replies whose records `prefer` moved (addresses of the listed networks put first). */
  preferred = 0;
}

/**
 * Puts the records of every A, AAAA and MX RRset of a NOERROR reply in a random order (or the
 * weighted policy's), then those in `prefer`'s networks first, on the way out: it sits before `cache` in the chain, so answers from the cache spread too. A reply with
 * nothing to shuffle goes out as it came (no copy); one with something is copied once.
 */
export class LoadbalancePlugin implements Plugin {
  readonly name = 'loadbalance';
  readonly counts = new LoadbalanceCounts();

  /**
   * @param weights the weighted policy's table (replaced when the file changes); undefined for round_robin.
   */
  /**
   * @param prefer `prefer`'s networks: after the policy, their addresses go first; [] for none.
   */
  constructor(readonly pick: Pick = randomPick, public weights: WeightTable | undefined = undefined, readonly prefer: readonly Cidr[] = []) {}

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
    let out = this.weights === undefined ? shuffleReply(reply, layout, this.pick) : weightedReply(reply, layout, this.weights, this.pick);
    if (this.prefer.length > 0) {
      const ordered = preferReply(out, out === reply ? layout : out.layout, this.prefer);
      if (ordered !== out) this.counts.preferred++;
      out = ordered;
    }
    if (out !== reply) this.counts.shuffled++;
    return out;
  }
}
