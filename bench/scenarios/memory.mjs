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
 * `rate` qps: { server, entries, completed, lost, before, mid, after, perEntry, marginal[, stored,
 * budgetPerEntry] }. `perEntry` is the growth from the idle server, `marginal` the second half's.
 * dnsperf stops each half at 4x its fill time plus 15 s, so a loaded machine fills fewer names
 * (`entries` says how many).
 */
export async function memoryPerEntry(n, servers, { rate, log }) {
  const upstream = await startEchoUpstream();
  const dir = tempDir();
  // Filled in two halves, RSS read after each: the second half's growth per entry is the marginal
  // cost, free of what the baseline holds (dnsmesh's start-up warm-up grows its heap before it).
  const half = Math.floor(n / 2);
  const first = queryFile(dir, 'names1.txt', Array.from({ length: half }, (_, i) => `n${i}.${ZONE} A`));
  const second = queryFile(dir, 'names2.txt', Array.from({ length: n - half }, (_, i) => `n${half + i}.${ZONE} A`));
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
        const fill = async (names, count) => dnsperf(server.port, { file: names, runs: 1, seconds: Math.ceil((4 * count) / rate) + 15, qps: rate, clients: 4, outstanding: 500, timeout: 5 });
        const run1 = await fill(first, half);
        await sleep(3000);
        const mid = rssBytes(server.pid);
        const asked1 = (await upstream.count()).count;
        const run2 = await fill(second, n - half);
        await sleep(3000);
        const after = rssBytes(server.pid);
        // RSS grows by what the entries cost; the 200 warm-up names are in the baseline (and in the metric).
        const asked2 = (await upstream.count()).count;
        const entries = asked2 - asked0;
        const row = {
          server: server.label, which, entries, completed: run1.completed + run2.completed, lost: run1.lost + run2.lost, before, mid, after,
          perEntry: (after - before) / entries, marginal: (after - mid) / (asked2 - asked1),
        };
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
