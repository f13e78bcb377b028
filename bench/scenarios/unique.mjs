// The unique-name flood (abuse.mjs `unique`, perf.mjs): dnsperf sends names no server has seen, all
// answered by the bench upstream, at a fixed 8,000 qps; every query is a miss. Run it on a fresh
// server and upstream (lib/servers.mjs withFreshServer), or the names are cached from the last run.
// `warmSeconds` first floods the server with other unique names for that long at the same rate (a
// server that has been running: dnsmesh's JIT has compiled its miss path and its upstream sockets
// are open, Unbound's caches and buffers are in use), then measures on names it has never seen.
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

/** The bench upstream's spec: a name for every query of a `seconds` run (and of its warm-up). */
export const uniqueUpstream = (seconds, warmSeconds = 0) => ({ names: UNIQUE_QPS * (seconds + warmSeconds), fast: true });

/**
 * The flood against `server` for `seconds` (after `warmSeconds` of other names, if set): latency,
 * loss, RSS (MiB) and what reached `up`, all of the measured part only.
 */
export async function uniqueFlood(server, up, seconds, warmSeconds = 0) {
  const dir = tempDir();
  const file = queryFile(dir, 'unique.txt', Array.from({ length: UNIQUE_QPS * seconds }, (_, i) => `n${i}.bench.example A`));
  if (warmSeconds > 0) {
    const warm = queryFile(dir, 'warm.txt', Array.from({ length: UNIQUE_QPS * warmSeconds }, (_, i) => `n${UNIQUE_QPS * seconds + i}.bench.example A`));
    await dnsperf(server.port, { file: warm, seconds: warmSeconds, qps: UNIQUE_QPS, clients: 10, outstanding: 2000, timeout: 2 });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the warm-up's last answers and retries are over
  }
  const rssMb = () => rssBytes(server.pid) / 1048576;
  const rss = peakSampler(rssMb, 200);
  const before = rssMb();
  const upBefore = (await up.count()).count;
  const counted = () => Promise.all(['dnsmesh_forward_udp_socket_waits_total', 'dnsmesh_forward_max_concurrent_rejects_total'].map((m) => metricSum(server.metricsPort, m)));
  const [waits0, rejects0] = await counted();
  const r = await dnsperf(server.port, { file, seconds, qps: UNIQUE_QPS, clients: 10, outstanding: 2000, timeout: 2 });
  const upstreamQueries = (await up.count()).count - upBefore;
  const [waits1, rejects1] = await counted();
  const waits = waits1 === undefined ? undefined : waits1 - (waits0 ?? 0);
  const rejects = rejects1 === undefined ? undefined : rejects1 - (rejects0 ?? 0);
  return {
    upstreamQueries, rcodes: r.rcodes, waits, rejects, before, rssPeak: rss.stop(), after: rssMb(),
    avgMs: r.avgLatencyUs / 1000, sent: r.sent, lost: r.lost, lossPct: (100 * r.lost) / r.sent, qps: r.qps,
  };
}
