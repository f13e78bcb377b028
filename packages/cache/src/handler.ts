import { DnsMessage, Rcode, type Clock, type Next, type Plugin, type QueryContext } from '@dnsmesh/core';
import { classify, type Verdict } from './classify.js';
import { CacheEntry } from './entry.js';
import type { CacheOptions } from './options.js';
import type { CacheStore } from './store.js';
import { inZones } from './zones.js';

/**
 * The cache: a hit answers synchronously from stored bytes (no decode, no promise); a miss asks
 * `next` once per key however many clients wait (single-flight), stores what can be stored, and
 * answers every waiter; each gets its own ID and question case from the edge.
 */
export class CachePlugin implements Plugin {
  readonly name = 'cache';
  readonly #inflight = new Map<string, Promise<DnsMessage>>();
  readonly #everywhere: boolean;

  constructor(readonly store: CacheStore, readonly options: CacheOptions, readonly clock: Clock, serverZones: readonly string[]) {
    this.#everywhere = options.zones.includes('.') || options.zones.every((z) => serverZones.includes(z)) && serverZones.every((z) => options.zones.includes(z));
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const request = ctx.request;
    if (!this.#everywhere && !inZones(request.qnameKey, this.options.zones)) return next(ctx);
    const key = request.key;
    if (!ctx.state.refresh) {
      const entry = this.store.get(key);
      if (entry !== undefined && ctx.now < entry.expiresAt) {
        entry.hits++;
        entry.ref = 1;
        if (entry.kind === 'success') this.store.counts.hitsSuccess++;
        else this.store.counts.hitsDenial++;
        ctx.state.cache = 'hit';
        ctx.state.plugin = 'cache';
        return entry.toReply(ctx.now, this.options.keepttl);
      }
    }
    const shared = this.#inflight.get(key);
    if (shared !== undefined) {
      this.store.counts.coalesced++;
      if (!ctx.state.refresh) ctx.state.cache = 'coalesced';
      return shared;
    }
    return this.#miss(ctx, next, key);
  }

  /** Whether a query for this key is being asked upstream right now. */
  inflight(key: string): Promise<DnsMessage> | undefined {
    return this.#inflight.get(key);
  }

  #miss(ctx: QueryContext, next: Next, key: string): Promise<DnsMessage> {
    if (!ctx.state.refresh) {
      this.store.counts.misses++;
      ctx.state.cache = 'miss';
    }
    let asked: DnsMessage | Promise<DnsMessage>;
    try {
      asked = next(ctx);
    } catch (err) {
      return Promise.reject(err); // nothing in flight to share: the next client asks again
    }
    // Two callbacks, no async function: a miss's reply (or failure) frees its single-flight slot.
    const pending: Promise<DnsMessage> = Promise.resolve(asked).then(
      (reply) => { this.#ended(key, pending); return this.#store(ctx, key, reply); },
      (err: unknown) => { this.#ended(key, pending); throw err; },
    );
    // `next` has run up to its first await: a plugin after us (rewrite edns0) has said by now
    // whether the upstream query is this client's own (an ECS subnet): then no one else waits on it.
    if (ctx.upstreamEdns?.perClient !== true) this.#inflight.set(key, pending);
    return pending;
  }

  /** A miss has its reply (or failed): no one else waits on it now. */
  #ended(key: string, pending: Promise<DnsMessage>): void {
    if (this.#inflight.get(key) === pending) this.#inflight.delete(key);
  }

  /**
   * Stores the reply when it may be, and answers with the stored form (the same TTLs a later hit
   * shows); a reply that is not stored is answered scrubbed, as SERVFAIL when it is malformed.
   */
  #store(ctx: QueryContext, key: string, reply: DnsMessage): DnsMessage {
    let verdict: Verdict;
    try {
      verdict = classify(ctx.request, reply, this.options);
    } catch {
      verdict = { store: false, reason: 'malformed', servfail: true };
    }
    if (verdict.store && ctx.upstreamEdns?.perClient === true) {
      // Asked with EDNS options of this client's own (`UpstreamEdns.perClient`): the answer may be
      // for its subnet alone, and the key does not hold the options. Checked and scrubbed, not kept.
      verdict = { store: false, reason: 'per-client EDNS options', bytes: verdict.bytes, layout: verdict.layout };
    }
    if (!verdict.store) {
      ctx.state.stored = verdict.reason;
      const counts = this.store.counts.notStored;
      counts.set(verdict.reason, (counts.get(verdict.reason) ?? 0) + 1);
      if (verdict.servfail === true) return DnsMessage.reply(ctx.request, Rcode.SERVFAIL);
      if (verdict.bytes === undefined) return reply;
      const scrubbed = new DnsMessage(verdict.bytes, verdict.layout);
      scrubbed.authoritative = reply.authoritative; // not stored: still the plugin's own answer
      return scrubbed;
    }
    const now = this.clock.now();
    const alias = verdict.alias === true;
    const entry = new CacheEntry(key, verdict.bytes, verdict.layout, verdict.kind, now, verdict.ttl, undefined, ctx.request.qtype, reply.rcode, ctx.state.upstream, verdict.wholeName, !alias);
    ctx.state.stored = this.store.put(entry) ? 'stored' : 'kept existing entry';
    if (alias) this.store.dropOtherTypes(key);
    return entry.toReply(now, this.options.keepttl);
  }
}
