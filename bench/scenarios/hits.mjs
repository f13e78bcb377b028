// The cache-hit set shared by the `cache` scenario (run.mjs), quick.mjs and perf.mjs: the bench
// upstream serving n0..n999.bench.example A (TTL 3600) and big.bench.example (40 records, UDP
// truncated over 512 bytes as Consul does), the names file, and the warm-up pass.
import { dnsperf, queryFile } from '../lib/dnsperf.mjs';
import { startUpstream } from '../lib/servers.mjs';

export const NAMES = 1000;
export const ZONE = 'bench.example';

/** The upstream for cache hits. */
export function startHitsUpstream() {
  return startUpstream({ zone: ZONE, names: NAMES, ttl: 3600, bigTtl: 3600, bigRecords: 40, truncateUdpAt: 512 });
}

/** A dnsperf file of the NAMES names (A) in `dir`. */
export function namesFile(dir) {
  return queryFile(dir, 'names.txt', Array.from({ length: NAMES }, (_, i) => `n${i}.${ZONE} A`));
}

/** One dnsperf pass over the names (EDNS), so a caching server holds them all. */
export function warmNames(server, file) {
  return dnsperf(server.port, { file, edns: true, runs: 1, seconds: 30 });
}
