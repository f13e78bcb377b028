import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DnsMessage, scanLayout } from '@dnsmesh/core';
import { aAnswer, buildQuery } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { CacheEntry, ENTRY_OVERHEAD } from './entry.js';
import { resolveOptions } from './options.js';
import { LARGEST_IN_SLAB, SLAB_SIZE } from './slab.js';
import { CacheStore } from './store.js';

const NOW = 1_000_000;

/** A query for `n<i>.store.test A` and the answer an upstream gives: `records` A records (16 bytes each). */
function exchange(i: number, records = 1): { key: string; bytes: Buffer } {
  const q = buildQuery(`n${i}.store.test`, 'A', { id: 0 });
  const addresses = Array.from({ length: records }, (_, r) => (10 << 24) | (i << 8) | r);
  return { key: new DnsMessage(q).key, bytes: aAnswer(q, addresses, 300) };
}

function entry(i: number, opts: { records?: number; ttl?: number; storedAt?: number } = {}): CacheEntry {
  const { key, bytes } = exchange(i, opts.records);
  return new CacheEntry(key, bytes, scanLayout(bytes), 'success', opts.storedAt ?? NOW, opts.ttl ?? 300, undefined, 1, 0, '127.0.0.1:53', false);
}

function storeOf(capacity = 100_000): CacheStore {
  return new CacheStore(resolveOptions({ success: { capacity }, maxBytes: 1024 ** 3 }));
}

/** Sum of what the entries count in the budget. */
const sizes = (store: CacheStore) => [...store.entries()].reduce((sum, e) => sum + e.size, 0);

describe('CacheStore: wire images in shared slabs', () => {
  it('puts small images in shared slabs (a view each, no memory of their own) and large ones in their own', () => {
    const store = storeOf();
    for (let i = 0; i < 3000; i++) store.put(entry(i));
    const wire = [...store.entries()].reduce((sum, e) => sum + e.wire.length, 0);
    const buffers = new Set([...store.entries()].map((e) => e.wire.buffer));
    expect(buffers.size).toBe(store.slabs);
    expect(store.slabs).toBe(Math.ceil(wire / SLAB_SIZE));
    for (const b of buffers) expect(b.byteLength).toBe(SLAB_SIZE);
    // Every entry reads back what it stored.
    for (let i = 0; i < 3000; i += 97) expect(store.get(exchange(i).key)!.bytes.equals(exchange(i).bytes)).toBe(true);

    const large = entry(5000, { records: Math.ceil(LARGEST_IN_SLAB / 16) });
    store.put(large);
    expect(large.wire.buffer.byteLength).toBe(large.wire.length);
    expect(store.slabs).toBe(Math.ceil(wire / SLAB_SIZE));
  });

  it('never writes a slab twice: a reply made from a removed entry keeps its bytes while new entries arrive', () => {
    const store = storeOf();
    const first = entry(1);
    store.put(first);
    const reply = first.toReply(NOW);
    const before = Buffer.from(reply.bytes);
    expect(store.flush('n1.store.test')).toBe(1);
    for (let i = 2; i < 4000; i++) store.put(entry(i));
    store.compact();
    expect(reply.bytes.equals(before)).toBe(true);
  });

  it('counts freed slab bytes in the budget, and gives slabs back once their entries have moved or gone', () => {
    const store = storeOf();
    for (let i = 0; i < 4000; i++) store.put(entry(i));
    const full = store.slabs;
    expect(full).toBeGreaterThanOrEqual(3);
    expect(store.bytes).toBe(sizes(store));
    // Two entries in three go, without compacting: the freed bytes are still the process's, and the budget says so.
    let removed = 0;
    for (let i = 0; i < 4000; i++) if (i % 3 !== 0) removed += store.flush(`n${i}.store.test`);
    expect(removed).toBe(2666);
    expect(store.bytes).toBeGreaterThan(sizes(store));
    expect(store.slabs).toBe(full);
    // The slabs now a third full are emptied into the current one.
    expect(store.compact()).toBeGreaterThan(0);
    const wire = [...store.entries()].reduce((sum, e) => sum + e.wire.length, 0);
    expect(store.slabs).toBeLessThanOrEqual(Math.ceil(wire / SLAB_SIZE) + 1);
    expect(store.bytes - sizes(store)).toBeLessThanOrEqual(wire); // what is left unused: less than half of each slab
    for (let i = 0; i < 4000; i += 3) expect(store.get(exchange(i).key)!.bytes.equals(exchange(i).bytes)).toBe(true);
  });

  it('sweeps expired entries and compacts in the same pass', () => {
    const store = storeOf();
    for (let i = 0; i < 6000; i++) store.put(entry(i, { ttl: i % 4 === 0 ? 1000 : 10 }));
    const full = store.slabs;
    expect(store.sweep(NOW + 20_000)).toBe(4500);
    expect(store.size).toBe(1500);
    expect(store.slabs).toBeLessThanOrEqual(Math.ceil(full / 4) + 1);
    for (let i = 0; i < 6000; i += 4) expect(store.get(exchange(i).key)!.bytes.equals(exchange(i).bytes)).toBe(true);
  });

  it('after a flush of everything, holds no slab but the one being filled, and a budget of 0', () => {
    const store = storeOf();
    for (let i = 0; i < 3000; i++) store.put(entry(i));
    expect(store.flush()).toBe(3000);
    expect(store.bytes).toBe(0);
    expect(store.slabs).toBe(1);
  });

  it('moves an entry given a second chance to the slab being filled, so slabs empty in the order the hand goes', () => {
    const capacity = 3000;
    const store = storeOf(capacity);
    for (let i = 0; i < capacity; i++) store.put(entry(i));
    const hot = store.get(exchange(0).key)!;
    hot.ref = 1;
    const oldSlab = hot.wire.buffer;
    store.put(entry(capacity)); // evicts n1, gives n0 its second chance
    expect(store.get(exchange(1).key)).toBeUndefined();
    expect(store.get(exchange(0).key)).toBe(hot);
    expect(hot.ref).toBe(0);
    expect(hot.wire.buffer).not.toBe(oldSlab);
    expect(hot.bytes.equals(exchange(0).bytes)).toBe(true);
  });

  it('costs the process no more than the budget counts (JS heap after a full GC, and slabs)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // The JS heap after a full GC, and the slabs' memory (counted, not read: array buffers are freed
    // in the background, so their total read here would still hold earlier tests' slabs).
    const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
    const n = 20_000;
    const store = storeOf();
    const made = Array.from({ length: n }, (_, i) => exchange(i)); // the inputs, outside the measure
    const before = heap();
    for (let i = 0; i < n; i++) {
      const { key, bytes } = made[i]!;
      store.put(new CacheEntry(key, bytes, scanLayout(bytes), 'success', NOW, 300, undefined, 1, 0, '127.0.0.1:53', false));
    }
    const perEntry = (heap() - before + store.slabs * SLAB_SIZE) / n;
    const { key, bytes } = made[0]!;
    const own = bytes.length + 2 + key.length;
    expect(perEntry - own).toBeLessThanOrEqual(ENTRY_OVERHEAD);
    // And the constant is not far above it (RSS, which it is taken from, adds the GC's headroom).
    expect(perEntry - own).toBeGreaterThanOrEqual(ENTRY_OVERHEAD / 3);
    made.length = 0;
  });
});

describe('CacheEntry: packed fields', () => {
  it('keeps its times to the millisecond, with no boxed doubles', () => {
    for (const storedAt of [0, 1_000_000, 1_000_000.7, 1.7e12 + 123, 86_400_000 * 40 + 999]) {
      const e = entry(1, { storedAt, ttl: 604_800 });
      expect(e.storedAt).toBe(Math.floor(storedAt));
      expect(e.ttl).toBe(604_800);
      expect(e.expiresAt).toBe(Math.floor(storedAt) + 604_800_000);
      expect(e.remaining(Math.floor(storedAt) + 1000)).toBe(604_799);
    }
    expect(() => entry(1, { ttl: 2 ** 20 })).toThrow(RangeError);
    expect(() => entry(1, { ttl: 1.5 })).toThrow(RangeError);
  });

  it('reads its kind, type, flags and rcode back', () => {
    const { key, bytes } = exchange(3);
    const layout = scanLayout(bytes);
    const e = new CacheEntry(key, bytes, layout, 'denial', NOW, 30, undefined, 28, 0, undefined, true, false);
    expect([e.kind, e.type, e.wholeName, e.answersDirectly, e.rcode, e.upstream]).toEqual(['denial', 28, true, false, 0, undefined]);
    expect(e.ref).toBe(0);
    e.ref = 1;
    expect([e.ref, e.kind, e.type, e.wholeName]).toEqual([1, 'denial', 28, true]);
    e.ref = 0;
    expect(e.ref).toBe(0);
    const s = new CacheEntry(key, bytes, layout, 'servfail', NOW, 5, 'other.name', 65535, 4095, 'u', false);
    expect([s.kind, s.type, s.rcode, s.name, s.wholeName, s.answersDirectly]).toEqual(['servfail', 65535, 4095, 'other.name', false, true]);
    expect(e.name).toBe('n3.store.test');
  });

  it('keeps prefetch and serve_stale bookkeeping, and a replacement inherits the window', () => {
    const store = storeOf();
    const e = entry(1);
    expect([e.windowHits, e.windowStart, e.failedAt, e.hits]).toEqual([0, 0, -Infinity, 0]);
    e.windowHits = 7;
    e.windowStart = NOW + 0.5;
    e.failedAt = NOW + 1.25;
    e.hits = 9;
    store.put(e);
    const next = entry(1);
    store.put(next);
    expect([next.windowHits, next.windowStart, next.failedAt, next.hits]).toEqual([7, NOW + 0.5, -Infinity, 9]);
  });
});

describe('CacheStore: whole-name NXDOMAIN entries', () => {
  /** An NXDOMAIN-like denial for `n<i>.store.test` covering every type (the bytes only need a question). */
  function wholeName(i: number): CacheEntry {
    const { key, bytes } = exchange(i);
    return new CacheEntry(key, bytes, scanLayout(bytes), 'denial', NOW, 30, undefined, 1, 3, undefined, true);
  }
  /** The key of another type (AAAA) at the same name. */
  const aaaaKey = (i: number) => new DnsMessage(buildQuery(`n${i}.store.test`, 'AAAA', { id: 0 })).key;

  it('answers every type of the name while one is held, and stops once it is removed, evicted or replaced', () => {
    const store = new CacheStore(resolveOptions({ denial: { capacity: 2 }, maxBytes: 1024 ** 3 }));
    store.put(wholeName(1));
    expect(store.get(aaaaKey(1))?.wholeName).toBe(true);
    expect(store.get(aaaaKey(2))).toBeUndefined();
    // A success at the name replaces it: other types no longer see the NXDOMAIN.
    store.put(entry(1));
    expect(store.get(aaaaKey(1))).toBeUndefined();
    expect(store.count('denial')).toBe(0);
    // Evicted by newer ones, then flushed: each time the lookups follow.
    for (const i of [2, 3, 4]) store.put(wholeName(i));
    expect([2, 3, 4].map((i) => store.get(aaaaKey(i)) !== undefined)).toEqual([false, true, true]);
    expect(store.flush('n3.store.test')).toBe(1);
    expect(store.get(aaaaKey(3))).toBeUndefined();
    expect(store.get(aaaaKey(4))?.wholeName).toBe(true);
    // Put again under the same key (a refresh): still one, still found, and gone with the last flush.
    store.put(wholeName(4));
    expect(store.count('denial')).toBe(1);
    expect(store.get(aaaaKey(4))?.wholeName).toBe(true);
    expect(store.flush()).toBe(2);
    store.put(wholeName(5));
    expect(store.get(aaaaKey(5))?.wholeName).toBe(true);
  });
});
