import type { CacheStore } from '@dnsmesh/cache';
import { DnsMessage, Rcode, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';

/**
 * What a query without RD (recursion desired) gets:
 * - `refuse`: REFUSED, as Unbound's default `access-control: allow` does for everything but local data;
 * - `cache`: the cache's fresh answer, else REFUSED (Unbound's `allow_snoop`); never a query upstream;
 * - `forward`: the same as a query with RD (what CoreDNS does).
 */
export type NorecMode = 'refuse' | 'cache' | 'forward';

export class NorecCounts {
  /** RD=0 queries answered REFUSED. */
  refused = 0;
  /** RD=0 queries let through: to a fresh cache entry (`cache`), or on (`forward`). */
  passed = 0;
}

/**
 * Stops RD=0 queries from reaching upstream: a client that asks without recursion asks "what do
 * you hold?", and answering it from upstream or telling which names others asked (cache snooping)
 * is not a resolver's job. Sits before the cache; in `cache` mode it looks the key up in the
 * block's store and lets the query on only when the entry is fresh, so the cache answers it.
 */
export class NorecPlugin implements Plugin {
  readonly name = 'norec';
  readonly counts = new NorecCounts();

  constructor(readonly mode: NorecMode, readonly store: CacheStore | undefined) {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    if (ctx.request.rd || this.mode === 'forward') return next(ctx);
    if (this.mode === 'cache' && this.store !== undefined) {
      const entry = this.store.get(ctx.request.key);
      if (entry !== undefined && ctx.now < entry.expiresAt) {
        this.counts.passed++;
        return next(ctx); // the same clock reading: the cache hits it
      }
    }
    this.counts.refused++;
    ctx.state.plugin = 'norec';
    return DnsMessage.reply(ctx.request, Rcode.REFUSED);
  }
}
