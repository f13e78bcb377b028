import type { Clock, DnsMessage, Next, Plugin, QueryContext } from '@dnsmesh/core';
import type { CacheEntry, CacheStore } from '@dnsmesh/cache';
import { EDE_STALE_ANSWER, type ServeStaleOptions } from './options.js';
import { judge } from './refresh.js';

/**
 * serve_stale sits before prefetch and cache (RFC 8767). A fresh hit or a miss passes straight on
 * (synchronously). On an entry expired less than `maxStale` ago, for a recursive query:
 * - within `failureRecheck` of a failed refresh: the stale answer at once, no upstream query;
 * - `clientTimeout` 0 (immediate): the stale answer at once, one refresh behind it;
 * - otherwise the query passes on (the cache misses and asks upstream, once per key however many
 *   wait) and races a timer: a good answer within `clientTimeout` goes to the client; a timeout,
 *   an error rcode or a failure gives the stale answer, while the refresh goes on and is stored
 *   by the cache when it lands. A refresh in flight never blocks a stale answer (Unbound #394).
 * A stale answer carries TTL `replyTtl` on every record and EDE 3 (Stale Answer) for EDNS clients.
 */
export class ServeStalePlugin implements Plugin {
  readonly name = 'serve_stale';
  /** Keys with an immediate-mode refresh in flight. */
  readonly #refreshing = new Set<string>();

  constructor(readonly store: CacheStore, readonly options: ServeStaleOptions, readonly clock: Clock) {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    if (ctx.state.refresh) return next(ctx);
    const entry = this.store.get(ctx.request.key);
    const now = ctx.now;
    if (entry === undefined || now < entry.expiresAt) return next(ctx);
    // Never a cached SERVFAIL, never past max_stale, never for RD=0 (RFC 8767 §5).
    if (entry.kind === 'servfail' || now - entry.expiresAt >= this.options.maxStale || !ctx.request.rd) return next(ctx);
    if (now - entry.failedAt < this.options.failureRecheck) return this.#stale(ctx, entry);
    if (this.options.clientTimeout === 0) {
      const reply = this.#stale(ctx, entry);
      this.#refreshBehind(ctx, next, entry);
      return reply;
    }
    return this.#race(ctx, next, entry);
  }

  /** Passes the query on and answers with what comes first: a good answer, or the stale one. */
  #race(ctx: QueryContext, next: Next, entry: CacheEntry): DnsMessage | Promise<DnsMessage> {
    let result: DnsMessage | Promise<DnsMessage>;
    try {
      result = next(ctx);
    } catch {
      this.#failed(entry);
      return this.#stale(ctx, entry);
    }
    if (!(result instanceof Promise)) return this.#settle(ctx, entry, result);
    return new Promise<DnsMessage>((resolve) => {
      let answered = false;
      const timer = setTimeout(() => {
        answered = true;
        resolve(this.#stale(ctx, entry));
      }, this.options.clientTimeout);
      result.then(
        (reply) => {
          const out = this.#settle(ctx, entry, reply, answered);
          if (answered) return;
          answered = true;
          clearTimeout(timer);
          resolve(out);
        },
        () => {
          this.#failed(entry);
          if (answered) return;
          answered = true;
          clearTimeout(timer);
          resolve(this.#stale(ctx, entry));
        },
      );
    });
  }

  /** The reply to give for an upstream answer: itself when good, else the stale one (a failure is recorded). */
  #settle(ctx: QueryContext, entry: CacheEntry, reply: DnsMessage, late = false): DnsMessage {
    const verdict = judge(ctx.request, reply);
    if (verdict === 'good') return reply;
    if (verdict === 'failed') this.#failed(entry);
    return late ? reply : this.#stale(ctx, entry);
  }

  /** Immediate mode: one refresh per key in flight; its outcome only matters when it fails. */
  #refreshBehind(ctx: QueryContext, next: Next, entry: CacheEntry): void {
    const key = entry.key;
    if (this.#refreshing.has(key)) return;
    this.#refreshing.add(key);
    const refresh = ctx.derive();
    queueMicrotask(() => {
      let result: DnsMessage | Promise<DnsMessage>;
      try {
        result = next(refresh);
      } catch (err) {
        result = Promise.reject(err);
      }
      Promise.resolve(result).then(
        (reply) => { if (judge(refresh.request, reply) === 'failed') this.#failed(entry); },
        () => this.#failed(entry),
      ).finally(() => this.#refreshing.delete(key));
    });
  }

  #failed(entry: CacheEntry): void {
    entry.failedAt = this.clock.now();
  }

  #stale(ctx: QueryContext, entry: CacheEntry): DnsMessage {
    const state = ctx.state;
    state.cache = 'stale';
    state.ede = EDE_STALE_ANSWER;
    state.plugin = 'serve_stale';
    entry.ref = 1;
    this.store.counts.servedStale++;
    return entry.staleReply(this.options.replyTtl);
  }
}
