// The unique-name flood (abuse.mjs `unique`, perf.mjs): dnsperf sends names no server has seen, all
// answered by the bench upstream, at a fixed 8,000 qps; every query is a miss. Run it on a fresh
// server and upstream (lib/servers.mjs withFreshServer), or the names are cached from the last run.
import { dnsperf, queryFile } from '../lib/dnsperf.mjs';
import { metricSum } from '../lib/metrics.mjs';
import { peakSampler, rssBytes } from '../lib/procs.mjs';
import { startDnsmesh, startUnbound, tempDir } from '../lib/servers.mjs';

export const UNIQUE_QPS = 8000;

/**
 * The servers of issue 15's hostile-client rows (abuse.mjs runs every row on them): dnsmesh with
 * cache and forward and every limit at its default, Unbound as in the cache scenario.
 */
export const abuseServers = {
  dnsmesh: (up) => startDnsmesh('dnsmesh-abuse.Corefile', up.port, { label: 'dnsmesh' }),
  unbound: (up) => startUnbound('unbound.conf', up.port),
};

/** The bench upstream's spec: a name for every query of a `seconds` run. */
export const uniqueUpstream = (seconds) => ({ names: UNIQUE_QPS * seconds });

/** The flood against `server` for `seconds`: latency, loss, RSS (MiB) and what reached `up`. */
export async function uniqueFlood(server, up, seconds) {
  const file = queryFile(tempDir(), 'unique.txt', Array.from({ length: UNIQUE_QPS * seconds }, (_, i) => `n${i}.bench.example A`));
  const rssMb = () => rssBytes(server.pid) / 1048576;
  const rss = peakSampler(rssMb, 200);
  const before = rssMb();
  const upBefore = (await up.count()).count;
  const r = await dnsperf(server.port, { file, seconds, qps: UNIQUE_QPS, clients: 10, outstanding: 2000, timeout: 2 });
  const upstreamQueries = (await up.count()).count - upBefore;
  const waits = await metricSum(server.metricsPort, 'dnsmesh_forward_udp_socket_waits_total');
  const rejects = await metricSum(server.metricsPort, 'dnsmesh_forward_max_concurrent_rejects_total');
  return {
    upstreamQueries, rcodes: r.rcodes, waits, rejects, before, rssPeak: rss.stop(), after: rssMb(),
    avgMs: r.avgLatencyUs / 1000, sent: r.sent, lost: r.lost, lossPct: (100 * r.lost) / r.sent, qps: r.qps,
  };
}
