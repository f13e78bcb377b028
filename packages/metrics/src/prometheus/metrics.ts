import { publishMetric, rcodeName, type ServerBlock } from '@dnsmesh/core';
import { collectDefaultMetrics, Histogram, type Registry } from 'prom-client';
import type { QueryCounts } from './counters.js';

export const REQUESTS = 'dnsmesh_dns_requests_total';
export const RESPONSES = 'dnsmesh_dns_responses_total';
export const DURATION = 'dnsmesh_dns_request_duration_seconds';

/** CoreDNS's buckets: 0.25 ms doubling, 16 buckets (to about 8 s). */
export const DURATION_BUCKETS: readonly number[] = Array.from({ length: 16 }, (_, n) => 0.00025 * 2 ** n);

/** The request-duration histogram of a registry, made once however many blocks use it. */
export function durationHistogram(registry: Registry): Histogram<'server' | 'zone'> {
  const existing = registry.getSingleMetric(DURATION);
  if (existing !== undefined) return existing as Histogram<'server' | 'zone'>;
  return new Histogram({
    name: DURATION, help: 'Time from a query entering the chain to its reply (seconds).',
    labelNames: ['server', 'zone'], buckets: [...DURATION_BUCKETS], registers: [registry],
  });
}

const withProcessMetrics = new WeakSet<Registry>();

/** Node's process metrics (CPU, memory, event loop, GC...) on a registry, once. */
export function processMetrics(registry: Registry): void {
  if (withProcessMetrics.has(registry)) return;
  withProcessMetrics.add(registry);
  if (registry.getSingleMetric('process_cpu_seconds_total') === undefined) collectDefaultMetrics({ register: registry });
}

/**
 * Publishes a block's request and response counters, and gives each zone its duration child
 * (made once, at 0, so the histogram shows from the start). Returns a function that takes it
 * all back (the block stopping).
 */
export function publishQueryMetrics(block: ServerBlock, counts: QueryCounts): () => void {
  const server = block.serverLabel;
  const histogram = durationHistogram(block.metrics);
  for (const z of counts.zones) {
    const labels = { server, zone: z.zone };
    histogram.zero(labels);
    const child = histogram.labels(labels);
    z.observe = (seconds) => child.observe(seconds);
  }
  const off = [
    publishMetric(block.metrics, 'counter', REQUESTS, 'Queries that entered the chain, by zone, transport, address family (1 IPv4, 2 IPv6) and query type.',
      ['server', 'zone', 'proto', 'family', 'type'], () => counts.requestSamples(server)),
    publishMetric(block.metrics, 'counter', RESPONSES, 'Replies that left the chain, by rcode and the plugin that wrote them ("" when none said).',
      ['server', 'zone', 'rcode', 'plugin'], () => counts.responseSamples(server, rcodeName)),
  ];
  return () => {
    for (const fn of off) fn();
    for (const z of counts.zones) histogram.remove({ server, zone: z.zone });
  };
}
