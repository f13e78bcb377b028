import { publishHistogram, publishMetric, rcodeName, type ServerBlock } from '@dnsmesh/core';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { DURATION_BUCKETS, SIZE_BUCKETS } from './buckets.js';
import type { QueryCounts } from './counters.js';

export const REQUESTS = 'dnsmesh_dns_requests_total';
export const RESPONSES = 'dnsmesh_dns_responses_total';
export const DURATION = 'dnsmesh_dns_request_duration_seconds';
export const REQUEST_SIZE = 'dnsmesh_dns_request_size_bytes';
export const RESPONSE_SIZE = 'dnsmesh_dns_response_size_bytes';

export { DURATION_BUCKETS };

const withProcessMetrics = new WeakSet<Registry>();

/** Node's process metrics (CPU, memory, event loop, GC...) on a registry, once. */
export function processMetrics(registry: Registry): void {
  if (withProcessMetrics.has(registry)) return;
  withProcessMetrics.add(registry);
  if (registry.getSingleMetric('process_cpu_seconds_total') === undefined) collectDefaultMetrics({ register: registry });
}

/**
 * Publishes a block's request and response counters and its zones' duration histograms (at 0
 * from the start). Returns a function that takes it all back (the block stopping).
 */
export function publishQueryMetrics(block: ServerBlock, counts: QueryCounts): () => void {
  const server = block.serverLabel;
  const off = [
    publishHistogram(block.metrics, DURATION, 'Time from a query entering the chain to its reply (seconds).', ['server', 'zone'],
      DURATION_BUCKETS, () => counts.zones.map((z) => [{ server, zone: z.zone }, z.duration] as const)),
    publishHistogram(block.metrics, REQUEST_SIZE, 'Size of the queries in bytes, by zone and transport.', ['server', 'zone', 'proto'],
      SIZE_BUCKETS, () => counts.sizeSamples(server, 'requestSize')),
    publishHistogram(block.metrics, RESPONSE_SIZE, 'Size of the replies in bytes as the chain made them (before fitting to the client), by zone and transport.', ['server', 'zone', 'proto'],
      SIZE_BUCKETS, () => counts.sizeSamples(server, 'responseSize')),
    publishMetric(block.metrics, 'counter', REQUESTS, 'Queries that entered the chain, by zone, transport, address family (1 IPv4, 2 IPv6) and query type.',
      ['server', 'zone', 'proto', 'family', 'type'], () => counts.requestSamples(server)),
    publishMetric(block.metrics, 'counter', RESPONSES, 'Replies that left the chain, by rcode and the plugin that wrote them ("" when none said).',
      ['server', 'zone', 'rcode', 'plugin'], () => counts.responseSamples(server, rcodeName)),
  ];
  return () => {
    for (const fn of off) fn();
  };
}
