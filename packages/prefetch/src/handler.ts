import { DnsMessage, FLAG_RD, OFF_FLAGS, type Clock, type Instant, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import type { CacheEntry, CacheStore } from '@dnsmesh/cache';
import { RETRY_SPACING, type PrefetchOptions } from './options.js';

/** Plain counters beside the store's `prefetches` (which the cache publishes). */
export class PrefetchCounts {
  /** Refreshes that came back without replacing the entry (upstream failure, SERVFAIL, not storable). */
  failures = 0;
}

/**
 * prefetch sits before cache. On a fresh hit it counts the hit in the entry's window; when the
 * name is hot enough (AMOUNT hits within DURATION) and its remaining TTL has fallen to PERCENTAGE
 * of the original, it starts one background refresh through the chain (`next(ctx.derive())`: the
 * cache skips its read, shares the upstream query with any client miss of the same key, and
 * stores the answer). The client is answered from the cache at once, synchronously.
 */
export class PrefetchPlugin implements Plugin {
  readonly name = 'prefetch';
  readonly counts = new PrefetchCounts();
  /** Keys with a prefetch in flight: at most one per key, however many hits come meanwhile. */
  readonly #pending = new Set<string>();
  readonly #amount: number;
  readonly #duration: number;
  readonly #share: number;

  constructor(readonly store: CacheStore, readonly options: PrefetchOptions, readonly clock: Clock) {
    this.#amount = options.amount;
    this.#duration = options.duration;
    this.#share = options.percentage / 100;
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    if (ctx.state.refresh) return next(ctx);
    const entry = this.store.get(ctx.request.key);
    if (entry === undefined || entry.kind === 'servfail' || ctx.now >= entry.expiresAt || !this.#due(entry, ctx.now)) {
      return next(ctx);
    }
    const reply = next(ctx);
    // Not answered from the cache after all (e.g. a name outside the cache's zones): nothing to refresh early.
    if (reply instanceof Promise || ctx.state.cache !== 'hit') return reply;
    ctx.state.cache = 'prefetch';
    this.#start(ctx, next, entry);
    return reply;
  }

  /** Counts the hit in the entry's window and says whether the entry should be refreshed now. */
  #due(entry: CacheEntry, now: Instant): boolean {
    if (now - entry.windowStart >= this.#duration) {
      entry.windowStart = now;
      entry.windowHits = 1;
    } else {
      entry.windowHits++;
    }
    if (entry.windowHits < this.#amount) return false;
    // CoreDNS: remaining TTL (whole seconds) <= ceil(PERCENTAGE x original TTL).
    if (entry.remaining(now) > Math.ceil(this.#share * entry.ttl)) return false;
    if (now - entry.failedAt < RETRY_SPACING) return false;
    return !this.#pending.has(entry.key);
  }

  /** One background refresh, after the reply has gone out; a failure leaves the entry as it is. */
  #start(ctx: QueryContext, next: Next, entry: CacheEntry): void {
    const key = entry.key;
    this.#pending.add(key);
    this.store.counts.prefetches++;
    // The server's own query asks for recursion whatever the client asked (as Unbound's prefetch does).
    const refresh = ctx.derive(ctx.request.rd ? ctx.request : withRd(ctx.request));
    queueMicrotask(() => {
      let result: DnsMessage | Promise<DnsMessage>;
      try {
        result = next(refresh);
      } catch (err) {
        result = Promise.reject(err);
      }
      const settle = (): void => {
        this.#pending.delete(key);
        // Replaced (or flushed): the refresh did its work. Still there: it failed; space the retry.
        if (this.store.get(key) === entry) {
          entry.failedAt = this.clock.now();
          this.counts.failures++;
        }
      };
      Promise.resolve(result).then(settle, settle);
    });
  }
}

/** A copy of a query with RD set (the cache key does not change: it holds no header flags but DO and CD). */
function withRd(request: DnsMessage): DnsMessage {
  const bytes = Buffer.from(request.bytes);
  bytes.writeUInt16BE(bytes.readUInt16BE(OFF_FLAGS) | FLAG_RD, OFF_FLAGS);
  return new DnsMessage(bytes);
}
