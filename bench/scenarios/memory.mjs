// Memory per cached entry (memory.mjs, perf.mjs): a server filled with `n` unique names from the
// echo upstream through its real UDP port, RSS read from /proc before and after. dnsmesh also reports
// what its byte budget counts (dnsmesh_cache_bytes), so the budget can be compared with the RSS it costs.
import { dnsperf, queryFile } from '../lib/dnsperf.mjs';
import { metricSum } from '../lib/metrics.mjs';
import { rssBytes, sleep } from '../lib/procs.mjs';
import { startDnsmesh, startEchoUpstream, startUnbound, tempDir } from '../lib/servers.mjs';

const ZONE = 'bench.example';

/** Starts `which` ('dnsmesh' or 'unbound') with a cache that holds `n` names without evicting. */
function start(which, upstreamPort, n) {
  return which === 'unbound'
    ? startUnbound('unbound-memory.conf', upstreamPort)
    : startDnsmesh('dnsmesh-memory.Corefile', upstreamPort, { vars: { CAPACITY: n + 1000 } });
}

/**
 * One row per server in `servers` (in that order), each a fresh server filled with `n` names at
 * `rate` qps: { server, entries, completed, lost, before, after, perEntry[, stored, budgetPerEntry] }.
 * dnsperf stops at 4x the fill time plus 30 s, so a loaded machine fills fewer names (`entries` says how many).
 */
export async function memoryPerEntry(n, servers, { rate, log }) {
  const upstream = await startEchoUpstream();
  const dir = tempDir();
  const file = queryFile(dir, 'names.txt', Array.from({ length: n }, (_, i) => `n${i}.${ZONE} A`));
  // A few queries first, so the baseline includes the code paths' own warm-up allocations.
  const warm = queryFile(dir, 'warm.txt', Array.from({ length: 200 }, (_, i) => `warm${i}.other.example A`));
  const rows = [];
  try {
    for (const which of servers) {
      const server = await start(which, upstream.port, n);
      try {
        await dnsperf(server.port, { file: warm, runs: 1, seconds: 10, clients: 1, outstanding: 20 });
        await sleep(1000);
        const before = rssBytes(server.pid);
        const asked0 = (await upstream.count()).count;
        const seconds = Math.ceil((4 * n) / rate) + 30;
        const run = await dnsperf(server.port, { file, runs: 1, seconds, qps: rate, clients: 4, outstanding: 500, timeout: 5 });
        await sleep(3000);
        const after = rssBytes(server.pid);
        // RSS grows by what the entries cost; the 200 warm-up names are in the baseline (and in the metric).
        const entries = (await upstream.count()).count - asked0;
        const row = { server: server.label, which, entries, completed: run.completed, lost: run.lost, before, after, perEntry: (after - before) / entries };
        if (which === 'dnsmesh') {
          const stored = await metricSum(server.metricsPort, 'dnsmesh_cache_entries');
          const budget = await metricSum(server.metricsPort, 'dnsmesh_cache_bytes');
          Object.assign(row, { stored, budgetPerEntry: budget / stored });
        }
        rows.push(row);
        log(`${server.label} ${n}: ${JSON.stringify(row)}`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await upstream.stop();
  }
  return rows;
}
