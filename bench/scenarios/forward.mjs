// Scenario `forward` (issue 3): forwarding only, no cache. dnsmesh (forward plugin alone), Unbound
// (TTLs capped at 0: it cannot turn its cache off) and dnsmasq (--cache-size=0) in front of the same
// upstream, which answers with TTL 0. Every query should reach the upstream: the table shows how many
// did. The upstream shares the client core with dnsperf, so the client core bounds qps; the figure
// that compares servers is qps per server CPU-second.
import { measure } from '../lib/measure.mjs';
import { cpuColumns, fmt, ratio, table } from '../lib/report.mjs';
import { startDnsmasq, startDnsmesh, startUnbound, startUpstream, tempDir } from '../lib/servers.mjs';
import { NAMES, namesFile } from './hits.mjs';

/** The upstream for forwarding runs: the hit set's names, every answer TTL 0. */
export const startForwardUpstream = () => startUpstream({ names: NAMES, ttl: 0, bigTtl: 0 });
/** Unbound with its cache as good as off (TTLs capped at 0). */
export const startUnboundNoCache = (upstreamPort) => startUnbound('unbound-nocache.conf', upstreamPort, 'unbound (TTL cap 0)');
/** dnsmesh with `forward` alone. */
export const startDnsmeshForward = (upstreamPort) => startDnsmesh('dnsmesh-forward.Corefile', upstreamPort);

export async function forward({ seconds, rounds, log }) {
  const file = namesFile(tempDir());
  const upstream = await startForwardUpstream();
  const servers = [
    await startUnboundNoCache(upstream.port),
    await startDnsmeshForward(upstream.port),
    await startDnsmasq(upstream.port, 0, 'dnsmasq (cache-size 0)'),
  ];
  const sections = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const rows = [];
      // Even rounds go in reverse order, so a steady drift does not always favour the same server.
      for (const s of round % 2 === 0 ? [...servers].reverse() : servers) {
        log(`forward round ${round}: ${s.label}`);
        const upCpu0 = upstream.cpu();
        const r = await measure(s, upstream, { file, edns: true, seconds });
        r.upstreamCpu = upstream.cpu() - upCpu0;
        rows.push(r);
      }
      rows.sort((a, b) => servers.findIndex((s) => s.label === a.server) - servers.findIndex((s) => s.label === b.server));
      sections.push(render(rows, round, rounds, seconds));
    }
  } finally {
    await Promise.all([...servers, upstream].map((s) => s.stop()));
  }
  return sections.join('\n\n');
}

function render(rows, round, rounds, seconds) {
  const u = rows[0];
  const title = `### forward: 1000 names, EDNS, every answer TTL 0${rounds > 1 ? ` (round ${round} of ${rounds})` : ''}`;
  const abs = table([
    ...cpuColumns(),
    ['upstream queries / answered', 'r', (r) => `${fmt(r.upstreamQueries)} / ${fmt(r.completed)}`],
    ['upstream CPU %', 'r', (r) => fmt((100 * r.upstreamCpu) / r.runTime)],
    ['dnsperf CPU %', 'r', (r) => fmt((100 * r.clientCpu) / r.runTime)],
    ['lost', 'r', (r) => fmt(r.lost)],
  ], rows);
  const rel = table([
    ['server', 'l', (r) => r.server],
    ['qps × Unbound', 'r', (r) => ratio(r.qps, u.qps)],
    ['CPU-s × Unbound', 'r', (r) => ratio(r.serverCpu, u.serverCpu)],
    ['qps/CPU-s × Unbound', 'r', (r) => ratio(r.qpsPerCpu, u.qpsPerCpu)],
  ], rows);
  return `${title}\n\nMax-throughput runs (${rows[0].command.replace(/-p \d+ -d \S+/, '-p PORT -d names.txt')}), ${seconds} s each, one after another (reversed in even rounds).\n\n${abs}\n\n${rel}`;
}
