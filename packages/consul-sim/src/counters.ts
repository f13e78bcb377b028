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
}

export function newCounters(): Counters {
  return {
    dns_queries: 0, dns_queries_udp: 0, dns_queries_tcp: 0, rpc_health_service_nodes: 0,
    rpc_catalog_node_services: 0, rpc_prepared_query_execute: 0, http_requests: { total: 0, by_path: {} },
    blocking_waiters: 0,
  };
}

export function resetCounters(c: Counters): void {
  const waiters = c.blocking_waiters;
  Object.assign(c, newCounters(), { blocking_waiters: waiters });
}
