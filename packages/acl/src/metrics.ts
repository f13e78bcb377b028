import { publishMetric, type ServerBlock } from '@dnsmesh/core';
import type { AclCounts } from './handler.js';

/** Publishes an acl's counters (CoreDNS's names, `dnsmesh_` for `coredns_`) while the block runs. */
export function publishAclMetrics(block: ServerBlock, counts: AclCounts): void {
  let off: (() => void)[] = [];
  block.onStart(() => {
    const server = block.serverLabel; // read at start: bind is applied after the chain's plugins are made
    const perZone = (m: Map<string, number>) => () => [...m].map(([zone, n]) => [{ server, zone }, n] as const);
    off = [
      publishMetric(block.metrics, 'counter', 'dnsmesh_acl_blocked_requests_total', 'Queries refused by acl (REFUSED, EDE 18).', ['server', 'zone'], perZone(counts.blocked)),
      publishMetric(block.metrics, 'counter', 'dnsmesh_acl_filtered_requests_total', 'Queries answered NODATA by acl filter.', ['server', 'zone'], perZone(counts.filtered)),
      publishMetric(block.metrics, 'counter', 'dnsmesh_acl_dropped_requests_total', 'Queries dropped unanswered by acl.', ['server', 'zone'], perZone(counts.dropped)),
      publishMetric(block.metrics, 'counter', 'dnsmesh_acl_allowed_requests_total', 'Queries acl let through.', ['server'], () => [[{ server }, counts.allowed]]),
    ];
  });
  block.onStop(() => { for (const fn of off) fn(); off = []; });
}
