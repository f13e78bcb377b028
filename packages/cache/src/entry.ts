import { DnsMessage, readName, scanLayout, type Instant, type Layout, type Ttl, type WireImage } from '@dnsmesh/core';

export type EntryKind = 'success' | 'denial' | 'servfail';

/**
 * Replies up to this many bytes keep no layout: with the largest OPT the edge adds they still fit
 * the smallest client limit (512), so a hit never needs one.
 */
const LAYOUT_KEPT_ABOVE = 400;

/**
 * Bytes of process memory an entry costs beyond its wire image and key. Measured with
 * `node bench/memory.mjs` (RSS growth of a real server filled through its UDP port, divided by the
 * entries): 935-1,120 bytes per entry of a one-record answer (wire 54, key 22 bytes) at 100k-315k
 * entries; in-process after a full GC, 890. The budget takes the upper end, rounded.
 */
export const ENTRY_OVERHEAD = 1024;
/** A kept layout (the object and six typed arrays), measured the same way, plus 16 bytes a record. */
export const LAYOUT_OVERHEAD = 1200;

/**
 * A stored reply: wire bytes with no OPT, TTLs normalised per RRset and clamped, and where every
 * record sits. A hit hands out a view on these bytes with an age; the edge copies them once while
 * it writes the client's ID, question case and the aged TTLs.
 */
export class CacheEntry implements WireImage {
  readonly expiresAt: Instant;
  /** The bytes, then each record's TTL offset (u16): what a hit is written from (`WireImage`). */
  readonly wire: Buffer;
  readonly length: number;
  readonly questionEnd: number;
  readonly records: number;
  /** Served since the last eviction pass looked (second-chance eviction). */
  ref = 0;
  hits = 0;
  /** Prefetch bookkeeping: hits inside the current window, and when the window began. */
  windowHits = 0;
  windowStart: Instant = 0;
  /** When a background refresh of this entry last failed (serve_stale's failure recheck, prefetch spacing). */
  failedAt: Instant = -Infinity;

  constructor(
    readonly key: string,
    bytes: Buffer,
    layout: Layout,
    readonly kind: EntryKind,
    readonly storedAt: Instant,
    /** Lifetime in seconds: the smallest TTL after clamping. */
    readonly ttl: Ttl,
    /** Presentation name for dumps, when it should differ from the stored question's (else made from the bytes on demand). */
    name: string | undefined,
    readonly type: number,
    readonly rcode: number,
    readonly upstream: string | undefined,
    /** True for an NXDOMAIN that covers every type of the name (RFC 2308 §5). */
    readonly wholeName: boolean,
    /** True when the answer is the name's own data, false when the name is an alias (a CNAME first). */
    readonly answersDirectly = true,
  ) {
    this.expiresAt = storedAt + ttl * 1000;
    // Stored replies carry no OPT (classify drops it), so every record has a TTL to age.
    const records = layout.an + layout.ns + layout.ar;
    if (layout.opt >= 0) throw new Error('a cache entry holds no OPT record');
    // Memory of its own: a stored entry never pins a slab of Node's shared pool (which also holds
    // the garbage of the miss that made it).
    const wire = Buffer.allocUnsafeSlow(bytes.length + 2 * records);
    bytes.copy(wire, 0);
    for (let i = 0; i < records; i++) wire.writeUInt16BE(layout.ttlAt[i]!, bytes.length + 2 * i);
    this.wire = wire;
    this.length = bytes.length;
    this.questionEnd = layout.questionEnd;
    this.records = records;
    if (name !== undefined) this.#name = name;
    // A small reply fits every client whole, so the edge writes it from `wire` alone and its layout
    // (six typed arrays: most of an entry's memory) would go unread; it is made again if ever needed.
    if (bytes.length > LAYOUT_KEPT_ABOVE) this.#layout = layout;
  }

  #name: string | undefined;
  #layout: Layout | undefined;

  /** The stored message (a view on `wire`: the message without the TTL offsets after it). */
  get bytes(): Buffer {
    return this.wire.subarray(0, this.length);
  }

  /** Where every record sits (kept for large replies, made again for small ones). */
  get layout(): Layout {
    return this.#layout ?? scanLayout(this.bytes);
  }

  /** The question name in presentation form (escapes for dots and odd octets), for dumps and logs only: never compared. */
  get name(): string {
    return this.#name ?? readName(this.wire, 12);
  }

  /**
   * What the entry costs the process, for the byte budget: its wire image and key, the measured
   * overhead of an entry (object, Buffer and its own memory, map slot), and its layout when kept.
   */
  get size(): number {
    return this.wire.length + this.key.length + ENTRY_OVERHEAD + (this.#layout === undefined ? 0 : LAYOUT_OVERHEAD + 16 * this.records);
  }

  freshAt(now: Instant): boolean {
    return now < this.expiresAt;
  }

  /** Seconds left; negative once stale. */
  remaining(now: Instant): number {
    return Math.floor((this.expiresAt - now) / 1000);
  }

  /** The reply for a hit: TTLs aged by the whole seconds spent in the cache (or kept as stored). */
  toReply(now: Instant, keepttl = false): DnsMessage {
    // The message's bytes are `wire` itself: every reader stops at the last record, so the TTL
    // offsets after it are never read as the message, and a hit makes no Buffer view.
    const reply = new DnsMessage(this.wire, this.#layout);
    reply.image = this;
    if (!keepttl) reply.ttlAge = Math.floor((now - this.storedAt) / 1000);
    return reply;
  }

  /** The reply for a stale answer: every TTL set to `replyTtl` (RFC 8767 §4). */
  staleReply(replyTtl: Ttl): DnsMessage {
    const reply = new DnsMessage(this.wire, this.#layout);
    reply.image = this;
    reply.ttlSet = replyTtl;
    return reply;
  }
}
