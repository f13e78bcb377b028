// Load the simulator saw, as plain fields, so a test can prove a client removed per-query work.

export interface Counters {
  dns_queries: number;
  dns_queries_udp: number;
  dns_queries_tcp: number;
  /** +1 per DNS service lookup when use_cache is off: the RPC a real agent makes to a server. */
  rpc_health_service_nodes: number;
  /** +1 per DNS node lookup (Catalog.NodeServices) when use_cache is off. */
  rpc_catalog_node_services: number;
  /** +1 per prepared-query execution, over DNS or HTTP. */
  rpc_prepared_query_execute: number;
  /** Requests to /v1/... (the /_sim control endpoints are not counted). */
  http_requests: { total: number; by_path: Record<string, number> };
  /** Blocking queries being held right now (not reset). */
  blocking_waiters: number;
  /** HTTP(S) connections open now, per client address, and the most ever open at once (not reset). */
  http_connections: number;
  http_connections_max: number;
  /** Connections refused with 429 past http_max_conns_per_client. */
  http_connections_refused: number;
}

export function newCounters(): Counters {
  return {
    dns_queries: 0, dns_queries_udp: 0, dns_queries_tcp: 0, rpc_health_service_nodes: 0,
    rpc_catalog_node_services: 0, rpc_prepared_query_execute: 0, http_requests: { total: 0, by_path: {} },
    blocking_waiters: 0, http_connections: 0, http_connections_max: 0, http_connections_refused: 0,
  };
}

export function resetCounters(c: Counters): void {
  const kept = { blocking_waiters: c.blocking_waiters, http_connections: c.http_connections, http_connections_max: c.http_connections };
  Object.assign(c, newCounters(), kept);
}
