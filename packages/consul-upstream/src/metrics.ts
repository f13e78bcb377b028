import { publishMetric, type ServerBlock } from '@dnsmesh/core';

/** Outcomes of one request to the agent (HTTP in catalog mode, a DNS exchange in DNS mode). */
export const OUTCOMES = ['ok', 'error', 'timeout', 'forbidden', 'rate_limited', 'http_4xx', 'http_5xx', 'invalid'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Plain counters of one consul plugin; metrics read them at scrape time. */
export class ConsulCounts {
  /** Requests to the agent, by outcome. */
  readonly requests: Record<Outcome, number> = { ok: 0, error: 0, timeout: 0, forbidden: 0, rate_limited: 0, http_4xx: 0, http_5xx: 0, invalid: 0 };
  /** Views that the agent refused (403): each time a view goes from serving to refused. */
  forbidden = 0;
  /** Views fetched again because the change feed saw their service or node change. */
  feedRefetches = 0;
  /** Index probes of watched services after the catalog feed moved (one small read each). */
  probes = 0;
  /** Change feeds not started because every feed slot of max_connections was taken (that scope waits for resync). */
  feedsRefused = 0;
  /** Connections to the agent open now (catalog mode), and the configured bound. */
  connectionsNow: () => number = () => 0;
  maxConnections = 0;
  /** Watches running now (catalog mode). */
  watches = 0;
  /** Watches started and stopped for being idle. */
  watchesStarted = 0;
  watchesIdled = 0;
  /** Times a watched service's answers changed. */
  changes = 0;
  /** Cache entries dropped because their names' answers changed. */
  flushed = 0;
  /** Answers given from a view while Consul could not be reached (within max_stale). */
  stale = 0;
  /** Queries answered SERVFAIL: no view yet, Consul unreachable past max_stale, or (DNS mode) no reply in 5 s. */
  servfails = 0;
  /** DNS mode: queries sent to the agent, by transport. */
  dnsUdp = 0;
  dnsTcp = 0;
  /** DNS mode: truncated UDP replies asked again over TCP. */
  dnsTruncated = 0;
}

/**
 * Publishes a consul plugin's counters on the block's registry (at 0 from now on). Several consul
 * plugins (one per server block) feed the same metrics. Returns the function that unpublishes it.
 */
export function registerConsulMetrics(metrics: ServerBlock['metrics'], c: ConsulCounts): () => void {
  const off = [
    publishMetric(metrics, 'counter', 'dnsmesh_consul_requests_total', 'Requests to the Consul agent (HTTP in catalog mode, DNS in DNS mode), by outcome.', ['outcome'],
      () => OUTCOMES.map((outcome) => [{ outcome }, c.requests[outcome]] as const)),
    publishMetric(metrics, 'gauge', 'dnsmesh_consul_watches', 'Blocking-query watches running (catalog mode).', [],
      () => [[{}, c.watches]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_watches_idle_total', 'Watches stopped because nobody asked for their names for `idle`.', [],
      () => [[{}, c.watchesIdled]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_changes_total', 'Changes of a watched service or node that changed its answers.', [],
      () => [[{}, c.changes]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_cache_flushes_total', 'Cache entries dropped because the answers of their names changed.', [],
      () => [[{}, c.flushed]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_stale_answers_total', 'Answers from a view while Consul was unreachable (within max_stale).', [],
      () => [[{}, c.stale]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_servfail_total', 'Queries answered SERVFAIL by the consul plugin.', [],
      () => [[{}, c.servfails]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_forbidden_total', 'Views the agent refused with 403 (unknown or revoked token); their names get SERVFAIL.', [],
      () => [[{}, c.forbidden]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_feed_refetches_total', 'Views read again because the change feed saw their service or node change.', [],
      () => [[{}, c.feedRefetches]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_probes_total', 'Index probes of watched services after the catalog feed showed a change it could not name.', [],
      () => [[{}, c.probes]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_feeds_refused_total', 'Change feeds not started because max_connections left no slot for them (the scope is followed by resync only).', [],
      () => [[{}, c.feedsRefused]]),
    publishMetric(metrics, 'gauge', 'dnsmesh_consul_connections', 'Connections to the agent open now (catalog mode).', [],
      () => [[{}, c.connectionsNow()]]),
    publishMetric(metrics, 'gauge', 'dnsmesh_consul_connections_max', 'The bound on connections to the agent (max_connections).', [],
      () => [[{}, c.maxConnections]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_dns_requests_total', 'DNS mode: queries sent to the agent, by transport.', ['transport'],
      () => [[{ transport: 'udp' }, c.dnsUdp], [{ transport: 'tcp' }, c.dnsTcp]]),
    publishMetric(metrics, 'counter', 'dnsmesh_consul_dns_truncated_total', 'DNS mode: truncated UDP replies asked again over TCP.', [],
      () => [[{}, c.dnsTruncated]]),
  ];
  return () => { for (const fn of off) fn(); };
}
