import { publishMetric, type ServerBlock } from '@dnsmesh/core';
import type { CacheStore } from './store.js';

/** The not-stored reasons that CoreDNS's `cache_drops_total` counts (a reply that fails validation). */
const DROPS = ['question mismatch', 'malformed', 'CNAME loop'] as const;

/** Publishes the store's counters (read at scrape time; the hot path only bumps fields). */
export function registerCacheMetrics(block: ServerBlock, store: CacheStore): () => void {
  const server = block.serverLabel;
  const c = store.counts;
  const off = [
    publishMetric(block.metrics, 'counter', 'dnsmesh_cache_hits_total', 'Cache hits, by store.', ['server', 'type'],
      () => [[{ server, type: 'success' }, c.hitsSuccess], [{ server, type: 'denial' }, c.hitsDenial]]),
    publishMetric(block.metrics, 'counter', 'dnsmesh_cache_misses_total', 'Cache misses (each waits on one upstream query, shared or its own).', ['server'],
      () => [[{ server }, c.misses]]),
    publishMetric(block.metrics, 'counter', 'dnsmesh_cache_coalesced_total', 'Queries that joined an upstream query already in flight for the same key.', ['server'],
      () => [[{ server }, c.coalesced]]),
    publishMetric(block.metrics, 'gauge', 'dnsmesh_cache_entries', 'Entries in the cache, by store.', ['server', 'type'],
      () => [[{ server, type: 'success' }, store.count('success')], [{ server, type: 'denial' }, store.count('denial')]]),
    publishMetric(block.metrics, 'gauge', 'dnsmesh_cache_bytes', 'Bytes the cache holds (replies plus a fixed overhead per entry).', ['server'],
      () => [[{ server }, store.bytes]]),
    publishMetric(block.metrics, 'counter', 'dnsmesh_cache_evictions_total', 'Entries evicted to stay within capacity or the byte budget.', ['server'],
      () => [[{ server }, c.evictions]]),
    publishMetric(block.metrics, 'counter', 'dnsmesh_cache_prefetch_total', 'Background refreshes started by prefetch.', ['server'],
      () => [[{ server }, c.prefetches]]),
    publishMetric(block.metrics, 'counter', 'dnsmesh_cache_served_stale_total', 'Answers served from expired entries (RFC 8767).', ['server'],
      () => [[{ server }, c.servedStale]]),
    // CoreDNS's names, for dashboards built for it: every query the cache looked at, and the replies
    // it refused to store because they failed its checks (question mismatch, malformed, CNAME loop).
    publishMetric(block.metrics, 'counter', 'dnsmesh_cache_requests_total', 'Queries the cache looked at (hits, misses and coalesced).', ['server'],
      () => [[{ server }, c.hitsSuccess + c.hitsDenial + c.misses + c.coalesced]]),
    publishMetric(block.metrics, 'counter', 'dnsmesh_cache_drops_total', 'Upstream replies not stored because they failed validation: question mismatch, malformed, CNAME loop.', ['server'],
      () => [[{ server }, DROPS.reduce((n, reason) => n + (c.notStored.get(reason) ?? 0), 0)]]),
    publishMetric(block.metrics, 'counter', 'dnsmesh_cache_not_stored_total', 'Upstream replies not stored, by reason.', ['server', 'reason'],
      () => [...c.notStored].map(([reason, n]) => [{ server, reason }, n] as const)),
  ];
  return () => { for (const fn of off) fn(); };
}
