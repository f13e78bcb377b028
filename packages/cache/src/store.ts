import { presentationKey, type Instant } from '@dnsmesh/core';
import { CacheEntry, type EntryKind } from './entry.js';
import type { CacheOptions, Tier } from './options.js';
import { SlabPool } from './slab.js';

/** Plain counters; metrics read them at scrape time. */
export class CacheCounts {
  hitsSuccess = 0;
  hitsDenial = 0;
  misses = 0;
  coalesced = 0;
  evictions = 0;
  inserts = 0;
  prefetches = 0;
  servedStale = 0;
  /** Replies not stored, by reason ("truncated", "rcode REFUSED", ...). */
  readonly notStored = new Map<string, number>();
}

/** First character of a whole-name key: 0xff, which no name key starts with (label lengths are at most 63). */
const WHOLE_NAME = 0xff;

/**
 * Key of the NXDOMAIN that covers every type of a name: the key (name, type, class, flags; see
 * DnsMessage.key) without its 2 type bytes, marked with a leading 0xff.
 */
export function wholeNameKey(key: string): string {
  let nameEnd = 0;
  while (nameEnd < key.length && key.charCodeAt(nameEnd) !== 0) nameEnd += key.charCodeAt(nameEnd) + 1;
  nameEnd++; // the root byte
  return `\u00ff${key.slice(0, nameEnd)}${key.slice(nameEnd + 2)}`;
}

/** One tier's entries, oldest first: insertion order of a Map, with a second chance for those hit. */
class TierMap {
  readonly map = new Map<string, CacheEntry>();
  /**
   * The clock hand: one live iterator, kept from one eviction to the next. A fresh `entries()`
   * per eviction would start at the table's front and step over every entry deleted since V8 last
   * rehashed it (thousands, with a full cache and a flood of new names: ~10 µs per insert).
   */
  #hand: IterableIterator<[string, CacheEntry]> | undefined;
  constructor(public tier: Tier) {}

  /** The entry under the hand (the oldest not yet passed), moving the hand on; undefined when empty. */
  advance(): [string, CacheEntry] | undefined {
    let r = this.#hand?.next();
    if (r === undefined || r.done === true) {
      this.#hand = this.map.entries();
      r = this.#hand.next();
    }
    return r.done === true ? undefined : r.value;
  }
}

/**
 * The cache's entries, shared through the server block's container with the plugins that need
 * them (prefetch, serve_stale, consul, admin). Two tiers as in CoreDNS (success; denial, which
 * also holds SERVFAIL), each bounded in entries, and one byte budget across both. Eviction is
 * second-chance (CLOCK): entries hit since the hand last passed are kept and moved to the back.
 * Entries stay past expiry while `keepStale` allows (serve_stale), then a sweep removes them.
 * Entries' wire images live in the store's slabs (slab.ts); the byte budget counts the slab bytes
 * freed but not yet given back as well as the entries.
 */
export class CacheStore {
  readonly counts = new CacheCounts();
  readonly #success: TierMap;
  readonly #denial: TierMap;
  readonly #pool = new SlabPool();
  #bytes = 0;
  /** How long expired entries are kept for serve_stale (ms); 0 without it. */
  keepStale = 0;
  /** Told when entries are dropped by name (consul changes, admin flush), for those who keep derived state. */
  readonly #listeners = new Set<(key: string) => void>();

  constructor(public options: CacheOptions) {
    this.#success = new TierMap(options.success);
    this.#denial = new TierMap(options.denial);
  }

  /** New limits after a reload; entries stay (evicted down to the new capacities). */
  reconfigure(options: CacheOptions): void {
    this.options = options;
    this.#success.tier = options.success;
    this.#denial.tier = options.denial;
    this.#evict(this.#success, this.#denial);
    this.#evict(this.#denial, this.#success);
  }

  /**
   * The entry for a key, fresh or stale; a whole-name NXDOMAIN answers every type. The last answer
   * is remembered until anything changes: serve_stale, prefetch and cache each look up the same
   * key for one query.
   */
  get(key: string): CacheEntry | undefined {
    if (key === this.#lastKey) return this.#lastEntry;
    const entry = this.#success.map.get(key) ?? this.#denial.map.get(key)
      ?? (this.#wholeNames > 0 ? this.#denial.map.get(wholeNameKey(key)) : undefined);
    this.#lastKey = key;
    this.#lastEntry = entry;
    return entry;
  }

  #lastKey: string | undefined;
  #lastEntry: CacheEntry | undefined;
  /**
   * Whole-name NXDOMAIN entries held: while there are none, a lookup or a store does not build and
   * hash a whole-name key it could not find (two new strings a miss).
   */
  #wholeNames = 0;

  get size(): number {
    return this.#success.map.size + this.#denial.map.size;
  }

  /** What the entries cost the process (see CacheEntry.size), and the slab bytes freed but not yet given back. */
  get bytes(): number {
    return this.#bytes + this.#pool.waste;
  }

  /** Slabs holding entries' wire images (each SLAB_SIZE bytes). */
  get slabs(): number {
    return this.#pool.slabs;
  }

  count(kind: 'success' | 'denial'): number {
    return (kind === 'success' ? this.#success : this.#denial).map.size;
  }

  /**
   * Stores an entry. A SERVFAIL never replaces a good entry, fresh or stale (RFC 8767: keep what
   * can still be served). A success replaces a denial of the same key and the other way round.
   */
  put(entry: CacheEntry): boolean {
    const key = entry.wholeName ? wholeNameKey(entry.key) : entry.key;
    if (entry.kind === 'servfail') {
      const existing = this.get(entry.key);
      if (existing !== undefined && existing.kind !== 'servfail') return false;
    }
    const into = entry.kind === 'success' ? this.#success : this.#denial;
    const other = into === this.#success ? this.#denial : this.#success;
    this.#remove(other, entry.key);
    if (entry.kind === 'success' && this.#wholeNames > 0) this.#remove(this.#denial, wholeNameKey(entry.key));
    this.#lastKey = undefined;
    const old = into.map.get(key);
    if (old !== undefined) {
      if (old !== entry) entry.inherit(old);
      this.#remove(into, key);
    }
    entry.place(this.#pool);
    into.map.set(key, entry);
    if (key.charCodeAt(0) === WHOLE_NAME) this.#wholeNames++;
    this.#bytes += entry.size;
    this.counts.inserts++;
    this.#evict(into, other);
    return true;
  }

  /**
   * Drops the entries of other types at the name of `key` (RFC 8767 §7: a name that became a CNAME
   * must not keep serving its old data of other types, fresh or stale). Called when an answer
   * whose name is an alias is stored; looks up the usual types directly, with no scan.
   */
  dropOtherTypes(key: string): number {
    let nameEnd = 0;
    while (nameEnd < key.length && key.charCodeAt(nameEnd) !== 0) nameEnd += key.charCodeAt(nameEnd) + 1;
    nameEnd++;
    const name = key.slice(0, nameEnd);
    const own = key.slice(nameEnd, nameEnd + 2);
    const rest = key.slice(nameEnd + 2, nameEnd + 4);
    let dropped = 0;
    for (const type of ALIASED_TYPES) {
      if (type === own) continue;
      for (const flags of ['', 'D', 'C', 'DC']) {
        const other = name + type + rest + flags;
        for (const tier of [this.#success, this.#denial]) {
          const entry = tier.map.get(other);
          if (entry !== undefined && entry.answersDirectly) { this.#remove(tier, other); dropped++; }
        }
      }
    }
    return dropped;
  }

  /**
   * Drops entries by name and optionally type; returns how many. The name is in presentation form
   * (`esc\\.dot.example`, `\\255x.test`) and compared with the stored names as octets, ASCII case folded.
   */
  flush(name?: string, type?: number): number {
    const wanted = name === undefined ? undefined : presentationKey(name);
    let removed = 0;
    for (const tier of [this.#success, this.#denial]) {
      for (const [key, entry] of tier.map) {
        if (wanted !== undefined && keyName(key) !== wanted) continue;
        if (type !== undefined && entry.type !== type && !entry.wholeName) continue;
        this.#remove(tier, key);
        for (const fn of this.#listeners) fn(key);
        removed++;
      }
    }
    return removed;
  }

  /**
   * Removes entries past their expiry and any stale window, then moves the entries left in mostly
   * empty slabs into the current one, so those slabs can go (a full walk, which the sweep makes anyway).
   */
  sweep(now: Instant): number {
    let removed = 0;
    for (const tier of [this.#success, this.#denial]) {
      for (const [key, entry] of tier.map) {
        const keep = entry.kind === 'servfail' ? 0 : this.keepStale;
        if (entry.expiresAt + keep <= now) { this.#remove(tier, key); removed++; }
      }
    }
    this.compact();
    return removed;
  }

  /** Moves the entries of slabs less than half used into the current slab; returns how many moved. */
  compact(): number {
    let moved = 0;
    for (const tier of [this.#success, this.#denial]) {
      for (const entry of tier.map.values()) {
        if (entry.inSparseSlab(this.#pool)) { entry.place(this.#pool); moved++; }
      }
    }
    return moved;
  }

  *entries(): IterableIterator<CacheEntry> {
    yield* this.#success.map.values();
    yield* this.#denial.map.values();
  }

  onFlush(fn: (key: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #remove(tier: TierMap, key: string): void {
    const entry = tier.map.get(key);
    if (entry === undefined) return;
    this.#lastKey = undefined;
    tier.map.delete(key);
    if (key.charCodeAt(0) === WHOLE_NAME) this.#wholeNames--;
    this.#bytes -= entry.size;
    entry.release(this.#pool);
  }

  /** Evicts from `first` until it is within its capacity, then from both until within the byte budget. */
  #evict(first: TierMap, second: TierMap): void {
    while (first.map.size > first.tier.capacity) this.#evictOne(first);
    while (this.bytes > this.options.maxBytes && (first.map.size > 0 || second.map.size > 0)) {
      this.#evictOne(first.map.size > 0 ? first : second);
    }
  }

  #evictOne(tier: TierMap): void {
    // Second chance: an entry hit since the hand last passed goes to the back once.
    for (let spins = tier.map.size; spins > 0; spins--) {
      const [key, entry] = tier.advance()!;
      if (entry.ref === 0 || spins === 1) {
        this.#remove(tier, key);
        this.counts.evictions++;
        return;
      }
      entry.ref = 0;
      tier.map.delete(key);
      tier.map.set(key, entry);
      // Its bytes move with it to the back: slabs then empty in the order the hand goes.
      if (!entry.inCurrentSlab(this.#pool)) entry.place(this.#pool);
    }
  }
}

/** The types whose entries a new alias at their name replaces (2-byte type codes as latin1). */
const ALIASED_TYPES = [1, 28, 16, 33, 15, 2, 12, 65, 64, 257, 6].map((t) => String.fromCharCode(t >> 8, t & 0xff));

/** The name part of a key (its lower-cased wire octets), whole-name keys included. */
export function keyName(key: string): string {
  const from = key.charCodeAt(0) === WHOLE_NAME ? 1 : 0;
  let end = from;
  while (end < key.length && key.charCodeAt(end) !== 0) end += key.charCodeAt(end) + 1;
  return key.slice(from, end + 1);
}

export type { EntryKind };
