import { publishHistogram, publishMetric, type ServerBlock } from '@dnsmesh/core';
import { REQUEST_DURATION_BUCKETS } from './upstream-set.js';
import type { ForwardPlugin } from './handler.js';

/**
 * Publishes a forward's counters on the block's registry. Several forwards (one per server block)
 * feed the same metrics: each is created once per registry and sums every forward at scrape time.
 * Every series exists at 0 from the start. Returns the function that unpublishes this forward.
 */
export function registerForwardMetrics(metrics: ServerBlock['metrics'], plugin: ForwardPlugin): () => void {
  const ups = plugin.upstreams.upstreams;
  const c = plugin.counts;
  const off = [
    publishMetric(metrics, 'counter', 'dnsmesh_forward_requests_total', 'Queries sent to each upstream (every try).', ['to'],
      () => ups.map((u) => [{ to: u.label }, u.requests] as const)),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_responses_total', 'Replies from each upstream, by rcode.', ['to', 'rcode'],
      () => ups.flatMap((u) => [...u.responses].map(([rcode, n]) => [{ to: u.label, rcode }, n] as const))),
    publishHistogram(metrics, 'dnsmesh_forward_request_duration_seconds', 'Time from sending a query to an upstream to the reply used (retries included), by upstream and rcode.',
      ['to', 'rcode'], REQUEST_DURATION_BUCKETS, () => ups.flatMap((u) => [...u.durations].map(([rcode, h]) => [{ to: u.label, rcode }, h] as const))),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_healthcheck_failures_total', 'Health probes that got no reply, per upstream.', ['to'],
      () => ups.map((u) => [{ to: u.label }, u.healthcheckFailures] as const)),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_healthcheck_broken_total', 'Times every upstream was down and one was tried at random anyway.', [],
      () => [[{}, c.healthcheckBroken]]),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_max_concurrent_rejects_total', 'Queries answered REFUSED at once (EDE 0) because max_concurrent were in flight.', [],
      () => [[{}, c.maxConcurrentRejects]]),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_upstreams_busy_total', 'Queries answered REFUSED at once (EDE 0) because every upstream had max_concurrent tries outstanding.', [],
      () => [[{}, c.upstreamsBusy]]),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_upstream_busy_total', 'Tries passed to another upstream (or not made) because this one had max_concurrent outstanding.', ['to'],
      () => ups.map((u) => [{ to: u.label }, u.busy] as const)),
    publishMetric(metrics, 'gauge', 'dnsmesh_forward_udp_sockets', 'Outgoing UDP sockets open now (at most max_udp_sockets).', [],
      () => [[{}, plugin.client.udpPool.open]]),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_tls_handshakes_total', 'TLS handshakes with tls:// upstreams, by whether a session was resumed (no full handshake).', ['resumed'],
      () => { const s = plugin.client.stats; return [[{ resumed: 'true' }, s.tlsResumed], [{ resumed: 'false' }, s.tlsHandshakes - s.tlsResumed]]; }),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_tls_errors_total', 'TLS failures with tls:// upstreams: handshake, certificate, alerts.', [],
      () => [[{}, plugin.client.stats.tlsErrors]]),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_tls_backoff_rejects_total', 'Tries not made at a tls:// upstream while its reconnect backoff ran (the next upstream was asked).', [],
      () => [[{}, plugin.client.stats.tlsBackoffRejects]]),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_replies_dropped_total',
      'Upstream replies dropped, by reason: spoofed (wrong source, ID or question), malformed (does not parse), late (to a try that had ended).', ['reason'],
      () => { const s = plugin.client.stats; return [[{ reason: 'spoofed' }, s.spoofed], [{ reason: 'malformed' }, s.malformed], [{ reason: 'late' }, s.late]]; }),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_replies_oversize_total',
      'UDP replies longer than the 4,096 bytes a batched socket reads (an upstream ignoring the EDNS size it was sent): taken as truncated, asked again over TCP.', [],
      () => [[{}, plugin.client.stats.oversize]]),
    publishMetric(metrics, 'counter', 'dnsmesh_forward_udp_socket_waits_total', 'Tries that waited for an outgoing UDP socket (max_udp_sockets open).', [],
      () => [[{}, plugin.client.udpPool.waits]]),
  ];
  return () => { for (const fn of off) fn(); };
}
