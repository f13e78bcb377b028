import { DnsMessage, readName, scanLayout, type Instant, type Layout, type Ttl, type WireImage } from '@dnsmesh/core';
import { LARGEST_IN_SLAB, type SlabPool } from './slab.js';

export type EntryKind = 'success' | 'denial' | 'servfail';

/**
 * Replies up to this many bytes keep no layout: with the largest OPT the edge adds they still fit
 * the smallest client limit (512), so a hit never needs one.
 */
const LAYOUT_KEPT_ABOVE = 400;

/**
 * Bytes of process memory an entry costs beyond its wire image and key. Measured with
 * `node bench/memory.mjs` (RSS growth of a real server filled through its UDP port, divided by the
 * entries): 670 bytes per entry of a one-record answer (wire 57 bytes with its TTL offset, key
 * 27) at 100k entries, 430 at 1M; in process after a full GC (`bench/entry-cost.mjs`), 373. The
 * budget takes the upper end less the image and key, rounded up: at small sizes most of it is
 * the young generation V8 grows while a cache fills. See bench/README.md, "Memory per entry".
 */
export const ENTRY_OVERHEAD = 640;
/**
 * A kept layout (six typed arrays, three of them with backing stores, and the Extra holding it),
 * plus 16 bytes a record: `bench/entry-cost.mjs --records 30` measures 1,836 bytes more than a
 * small entry beyond the larger image.
 */
export const LAYOUT_OVERHEAD = 1400;

const KINDS: readonly EntryKind[] = ['success', 'denial', 'servfail'];
// #bits, one small integer (31 bits): the question type, the kind, two flags, whether the image
// is in a slab of the store's, and the upstream (an index in `upstreams`).
const TYPE_MASK = 0xffff;
const KIND_SHIFT = 16;
const WHOLE_NAME = 1 << 18;
const DIRECT = 1 << 19;
const IN_SLAB = 1 << 21;
const UPSTREAM_SHIFT = 22;
const UPSTREAM_LIMIT = 1 << 9;
/** TTLs up to this are accepted (MAX_TTL, 7 days, is far below). */
const TTL_LIMIT = 1 << 20;

/**
 * The upstreams entries came from ("127.0.0.1:53"): a handful per process, so an entry keeps an
 * index (0: none). Past the limit, an entry keeps the string in its Extra.
 */
const upstreams: (string | undefined)[] = [undefined];
const upstreamIds = new Map<string, number>();

function upstreamId(upstream: string | undefined): number {
  if (upstream === undefined) return 0;
  let id = upstreamIds.get(upstream);
  if (id === undefined) {
    if (upstreams.length >= UPSTREAM_LIMIT) return -1;
    id = upstreams.length;
    upstreams.push(upstream);
    upstreamIds.set(upstream, id);
  }
  return id;
}

/** What few entries need: their own presentation name, a kept layout, an extended rcode, an upstream past the table, serve_stale's failure time. */
class Extra {
  name: string | undefined = undefined;
  layout: Layout | undefined = undefined;
  /** The rcode when the header's four bits do not say it all (not for anything the cache stores itself). */
  rcode = -1;
  upstream: string | undefined = undefined;
  failedAt: Instant = -Infinity;
}

/**
 * A stored reply: wire bytes with no OPT, TTLs normalised per RRset and clamped, and where every
 * record sits. A hit hands out a view on these bytes with an age; the edge copies them once while
 * it writes the client's ID, question case and the aged TTLs.
 *
 * Memory is what the store holds most of, so an entry is small. Its image is a view on a slab
 * shared with other entries (slab.ts); its flags are packed into one small integer; times are
 * whole milliseconds (small integers, not boxed doubles, for the first 24 days of a process's
 * clock); what few entries need lives in an `Extra` made on first use. What every hit reads or
 * writes (expiry, the WireImage fields, the second-chance bit, prefetch's window) stays a plain
 * field: as getters they cost the hit path about 4% (bench/README.md, "Memory per entry").
 */
export class CacheEntry implements WireImage {
  /** The bytes, then each record's TTL offset (u16): what a hit is written from (`WireImage`). */
  wire: Buffer;
  readonly key: string;
  readonly length: number;
  readonly questionEnd: number;
  readonly records: number;
  readonly expiresAt: Instant;
  /** Served since the last eviction pass looked (second-chance eviction). */
  ref = 0;
  hits = 0;
  /** Prefetch bookkeeping: hits inside the current window, and when the window began. */
  windowHits = 0;
  windowStart: Instant = 0;
  /** Lifetime in seconds: the smallest TTL after clamping. */
  readonly ttl: Ttl;
  #bits: number;
  #extra: Extra | undefined = undefined;

  constructor(
    key: string,
    bytes: Buffer,
    layout: Layout,
    kind: EntryKind,
    storedAt: Instant,
    /** Lifetime in seconds: the smallest TTL after clamping. */
    ttl: Ttl,
    /** Presentation name for dumps, when it should differ from the stored question's (else made from the bytes on demand). */
    name: string | undefined,
    type: number,
    rcode: number,
    upstream: string | undefined,
    /** True for an NXDOMAIN that covers every type of the name (RFC 2308 §5). */
    wholeName: boolean,
    /** True when the answer is the name's own data, false when the name is an alias (a CNAME first). */
    answersDirectly = true,
  ) {
    // Stored replies carry no OPT (classify drops it), so every record has a TTL to age.
    const records = layout.an + layout.ns + layout.ar;
    if (layout.opt >= 0) throw new Error('a cache entry holds no OPT record');
    if (!(Number.isInteger(ttl) && ttl >= 0 && ttl < TTL_LIMIT)) throw new RangeError(`cache entry TTL out of range: ${ttl}`);
    const size = bytes.length + 2 * records;
    // Small images wait in Node's shared pool until a store copies them into its slab (`place`);
    // large ones get memory of their own and keep it.
    const wire = size > LARGEST_IN_SLAB ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
    bytes.copy(wire, 0);
    for (let i = 0; i < records; i++) wire.writeUInt16BE(layout.ttlAt[i]!, bytes.length + 2 * i);
    this.wire = wire;
    this.key = key;
    this.length = bytes.length;
    this.questionEnd = layout.questionEnd;
    this.records = records;
    this.expiresAt = Math.floor(storedAt) + ttl * 1000;
    this.ttl = ttl;
    const up = upstreamId(upstream);
    this.#bits = (type & TYPE_MASK) | (KINDS.indexOf(kind) << KIND_SHIFT) | (wholeName ? WHOLE_NAME : 0) | (answersDirectly ? DIRECT : 0)
      | (up > 0 ? up << UPSTREAM_SHIFT : 0);
    if (up < 0) this.#more().upstream = upstream;
    if (name !== undefined) this.#more().name = name;
    if (rcode !== (bytes[3]! & 0xf)) this.#more().rcode = rcode;
    // A small reply fits every client whole, so the edge writes it from `wire` alone and its layout
    // (six typed arrays: most of an entry's memory) would go unread; it is made again if ever needed.
    if (bytes.length > LAYOUT_KEPT_ABOVE) this.#more().layout = layout;
  }

  #more(): Extra {
    return (this.#extra ??= new Extra());
  }

  /** The upstream that answered ("127.0.0.1:53"), when one was asked. */
  get upstream(): string | undefined {
    const id = (this.#bits >>> UPSTREAM_SHIFT) & (UPSTREAM_LIMIT - 1);
    return id !== 0 ? upstreams[id] : this.#extra?.upstream;
  }

  get kind(): EntryKind {
    return KINDS[(this.#bits >> KIND_SHIFT) & 3]!;
  }

  /** The question type. */
  get type(): number {
    return this.#bits & TYPE_MASK;
  }

  get rcode(): number {
    const extra = this.#extra;
    return extra !== undefined && extra.rcode >= 0 ? extra.rcode : this.wire[3]! & 0xf;
  }

  /** True for an NXDOMAIN that covers every type of the name (RFC 2308 §5). */
  get wholeName(): boolean {
    return (this.#bits & WHOLE_NAME) !== 0;
  }

  /** True when the answer is the name's own data, false when the name is an alias (a CNAME first). */
  get answersDirectly(): boolean {
    return (this.#bits & DIRECT) !== 0;
  }

  /** When the reply was stored (whole milliseconds). */
  get storedAt(): Instant {
    return this.expiresAt - this.ttl * 1000;
  }

  /** When a background refresh of this entry last failed (serve_stale's failure recheck, prefetch spacing). */
  get failedAt(): Instant {
    return this.#extra?.failedAt ?? -Infinity;
  }

  set failedAt(t: Instant) {
    this.#more().failedAt = t;
  }

  /** The stored message (a view on `wire`: the message without the TTL offsets after it). */
  get bytes(): Buffer {
    return this.wire.subarray(0, this.length);
  }

  /** Where every record sits (kept for large replies, made again for small ones). */
  get layout(): Layout {
    return this.#extra?.layout ?? scanLayout(this.bytes);
  }

  /** The question name in presentation form (escapes for dots and odd octets), for dumps and logs only: never compared. */
  get name(): string {
    return this.#extra?.name ?? readName(this.wire, 12);
  }

  /**
   * What the entry costs the process, for the byte budget: its wire image and key, the measured
   * overhead of an entry (object, view, key string, map slot), and its layout when kept.
   */
  get size(): number {
    const layout = this.#extra?.layout;
    return this.wire.length + this.key.length + ENTRY_OVERHEAD + (layout === undefined ? 0 : LAYOUT_OVERHEAD + 16 * this.records);
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
    const reply = new DnsMessage(this.wire, this.#extra?.layout);
    reply.image = this;
    if (!keepttl) reply.ttlAge = Math.floor((now - this.storedAt) / 1000);
    return reply;
  }

  /** The reply for a stale answer: every TTL set to `replyTtl` (RFC 8767 §4). */
  staleReply(replyTtl: Ttl): DnsMessage {
    const reply = new DnsMessage(this.wire, this.#extra?.layout);
    reply.image = this;
    reply.ttlSet = replyTtl;
    return reply;
  }

  /** Takes over what an entry it replaces had counted (hits, the prefetch window). */
  inherit(old: CacheEntry): void {
    this.hits = old.hits;
    this.windowHits = old.windowHits;
    this.windowStart = old.windowStart;
  }

  /**
   * Moves the image into the pool's current slab (the store calls it when it takes the entry, and
   * to empty a sparse slab). The old view stays valid for any reply still holding it.
   */
  place(pool: SlabPool): void {
    const wire = this.wire;
    if (wire.length > LARGEST_IN_SLAB) return;
    this.wire = pool.copy(wire);
    if ((this.#bits & IN_SLAB) !== 0) pool.free(wire);
    this.#bits |= IN_SLAB;
  }

  /** The store let go of the entry: its bytes in the slab are free (the view stays valid). */
  release(pool: SlabPool): void {
    if ((this.#bits & IN_SLAB) === 0) return;
    this.#bits &= ~IN_SLAB;
    pool.free(this.wire);
  }

  /** True when the entry's slab is mostly free: `place` it again so that slab can go. */
  inSparseSlab(pool: SlabPool): boolean {
    return (this.#bits & IN_SLAB) !== 0 && pool.sparse(this.wire);
  }

  /** True when the entry is in the slab being filled. */
  inCurrentSlab(pool: SlabPool): boolean {
    return (this.#bits & IN_SLAB) !== 0 && pool.isCurrent(this.wire);
  }
}
