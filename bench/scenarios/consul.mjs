// Scenario `consul` (the consul benchmark issue): what reaches Consul per 1000 lookups, and the
// cache-hit qps, for dnsmesh in catalog mode, dnsmesh in DNS mode and dnsmasq in front of the agent's
// DNS port, all against the Consul simulator (lib/consul-sim.mjs) in the same run.
//
// Consul answers with TTL 0: dnsmasq caches nothing with TTL 0 (nor truncated answers), so it
// forwards every query; dnsmesh's cache raises TTL 0 to its MINTTL (5 s) in DNS mode, and catalog
// mode answers from a view fed by blocking queries with its own TTL (5 s).
import { join } from 'node:path';
import { freePort, query } from '@dnsmesh/testkit';
import { startConsulSimProc } from '../lib/consul-sim.mjs';
import { dnsperf, queryFile } from '../lib/dnsperf.mjs';
import { cpuSeconds, sleep, spawnPinned, stop } from '../lib/procs.mjs';
import { fmt, ratio, table } from '../lib/report.mjs';
import { render, SERVER_CPU, startDnsmesh, tempDir } from '../lib/servers.mjs';

const SERVICES = ['web', 'api', 'db', 'cache', 'queue'];
const LOOKUP_QPS = 100; // (1): 100 a second for 10 s = ~1000 lookups

/** dnsmasq from peers/dnsmasq.args, its one server replaced by `/consul/` to the simulator's DNS port. */
async function startDnsmasqConsul(dnsPort) {
  const port = await freePort();
  const dir = tempDir();
  const args = render('dnsmasq.args', { PORT: port, UPSTREAM_PORT: dnsPort, CACHE_SIZE: 10000, DIR: dir })
    .split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => (l.startsWith('--server=') ? `--server=/consul/127.0.0.1#${dnsPort}` : l));
  const label = 'dnsmasq (cache-size 10000)';
  const child = spawnPinned(SERVER_CPU, 'dnsmasq', args, { label });
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited (${child.exitCode}):\n${child.err}${child.out}`);
    try { await query(`127.0.0.1:${port}`, 'ready-probe.service.consul', 'A', { timeout: 300 }); break; } catch (err) {
      if (Date.now() > deadline) throw new Error(`dnsmasq did not answer on ${port}: ${err.message}\n${child.err}`);
      await sleep(100);
    }
  }
  return { label, child, port, pid: child.pid, address: `127.0.0.1:${port}`, cpu: () => cpuSeconds(child.pid), stop: () => stop(child) };
}

const SERVERS = [
  { key: 'catalog', start: (sim) => startDnsmesh('dnsmesh-consul-catalog.Corefile', sim.httpPort, { label: 'dnsmesh catalog mode' }) },
  { key: 'dns', start: (sim) => startDnsmesh('dnsmesh-consul-dns.Corefile', sim.dnsPort, { label: 'dnsmesh DNS mode' }) },
  { key: 'dnsmasq', start: (sim) => startDnsmasqConsul(sim.dnsPort) },
];

function delta(a, b) {
  return {
    dns: b.dns_queries - a.dns_queries,
    dnsTcp: b.dns_queries_tcp - a.dns_queries_tcp,
    rpc: b.rpc_health_service_nodes - a.rpc_health_service_nodes,
    http: b.http_requests - a.http_requests,
  };
}

/** One dnsperf run with the server's and the simulator's CPU and the simulator's counters around it. */
async function run(server, sim, o) {
  const c0 = await sim.count();
  const cpu0 = server.cpu();
  const simCpu0 = sim.cpu();
  const r = await dnsperf(server.port, o);
  const serverCpu = server.cpu() - cpu0;
  const simCpu = sim.cpu() - simCpu0;
  const c1 = await sim.count();
  return { ...r, serverCpu, simCpu, up: delta(c0, c1), qpsPerCpu: r.completed / serverCpu, qpsPerBothCpu: r.completed / (serverCpu + simCpu) };
}

export async function consul({ seconds, rounds, log }) {
  const dir = tempDir();
  const file = queryFile(dir, 'services.txt', SERVICES.map((s) => `${s}.service.consul A`));
  const sim = await startConsulSimProc();
  const sections = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const rows = [];
      for (const spec of round % 2 === 0 ? [...SERVERS].reverse() : SERVERS) {
        const server = await spec.start(sim);
        try {
          log(`consul round ${round}: ${server.label}`);
          // (1) ~1000 lookups spread over 10 s, from a fresh server (no watch, nothing cached).
          const lookups = await run(server, sim, { file, edns: true, seconds: 10, qps: LOOKUP_QPS, clients: 1, outstanding: 10 });
          // What each server answers for the big service (40 instances), with EDNS 4096 and without.
          const edns = await query(server.address, 'web.service.consul', 'A', { edns: 4096, timeout: 3000 });
          const plain = await query(server.address, 'web.service.consul', 'A', { timeout: 3000 });
          // (2) cache hits at max throughput.
          const hits = await run(server, sim, { file, edns: true, seconds });
          rows.push({
            key: spec.key, server: server.label, lookups, hits,
            web: `${edns.answers.length}${edns.flags.tc ? ' TC' : ''} / ${plain.answers.length}${plain.flags.tc ? ' TC' : ''}`,
          });
        } finally {
          await server.stop();
        }
        await sleep(1000); // the simulator catches up with what it still holds
      }
      rows.sort((a, b) => SERVERS.findIndex((s) => s.key === a.key) - SERVERS.findIndex((s) => s.key === b.key));
      sections.push(renderRows(rows, round, rounds, seconds));
    }
  } finally {
    await sim.stop();
  }
  return sections.join('\n\n');
}

function renderRows(rows, round, rounds, seconds) {
  const base = rows.find((r) => r.key === 'dnsmasq') ?? rows[0];
  const per1000 = (n, r) => fmt((1000 * n) / r.completed, 1);
  const title = `### consul: ${SERVICES.length} service names (A, EDNS 4096) against the Consul simulator (TTL 0, enable_truncate)${rounds > 1 ? ` (round ${round} of ${rounds})` : ''}`;
  const cmd = (r) => r.command.replace(/-p \d+ -d \S+/, '-p PORT -d services.txt');
  const lookups = table([
    ['server', 'l', (r) => r.server],
    ['lookups answered', 'r', (r) => fmt(r.lookups.completed)],
    ['lost', 'r', (r) => fmt(r.lookups.lost)],
    ['Consul DNS queries / 1000', 'r', (r) => per1000(r.lookups.up.dns, r.lookups)],
    ['Health.ServiceNodes RPCs / 1000', 'r', (r) => per1000(r.lookups.up.rpc, r.lookups)],
    ['Consul HTTP requests / 1000', 'r', (r) => per1000(r.lookups.up.http, r.lookups)],
    ['upstream requests / 1000 (DNS + HTTP)', 'r', (r) => per1000(r.lookups.up.dns + r.lookups.up.http, r.lookups)],
    ['web A answers (EDNS 4096 / plain)', 'r', (r) => r.web],
  ], rows);
  const hits = table([
    ['server', 'l', (r) => r.server],
    ['qps', 'r', (r) => fmt(r.hits.qps)],
    ['server CPU-s', 'r', (r) => fmt(r.hits.serverCpu, 2)],
    ['server CPU %', 'r', (r) => fmt((100 * r.hits.serverCpu) / r.hits.runTime)],
    ['qps / server CPU-s', 'r', (r) => fmt(r.hits.qpsPerCpu)],
    ['Consul CPU %', 'r', (r) => fmt((100 * r.hits.simCpu) / r.hits.runTime)],
    ['qps / (server + Consul) CPU-s', 'r', (r) => fmt(r.hits.qpsPerBothCpu)],
    ['Consul DNS queries', 'r', (r) => fmt(r.hits.up.dns)],
    ['Health.ServiceNodes RPCs', 'r', (r) => fmt(r.hits.up.rpc)],
    ['Consul HTTP requests', 'r', (r) => fmt(r.hits.up.http)],
    ['dnsperf CPU %', 'r', (r) => fmt((100 * r.hits.clientCpu) / r.hits.runTime)],
    ['lost', 'r', (r) => fmt(r.hits.lost)],
    ['rcodes', 'l', (r) => r.hits.rcodes],
  ], rows);
  const rel = table([
    ['server', 'l', (r) => r.server],
    ['upstream requests / 1000 × dnsmasq', 'r', (r) => ratio(r.lookups.up.dns + r.lookups.up.http, base.lookups.up.dns + base.lookups.up.http)],
    ['RPCs / 1000 × dnsmasq', 'r', (r) => ratio(r.lookups.up.rpc, base.lookups.up.rpc)],
    ['hit qps × dnsmasq', 'r', (r) => ratio(r.hits.qps, base.hits.qps)],
    ['qps/server CPU-s × dnsmasq', 'r', (r) => ratio(r.hits.qpsPerCpu, base.hits.qpsPerCpu)],
    ['qps/(server + Consul) CPU-s × dnsmasq', 'r', (r) => ratio(r.hits.qpsPerBothCpu, base.hits.qpsPerBothCpu)],
  ], rows);
  return `${title}\n\n`
    + `**(1) Upstream load**: ${cmd(rows[0].lookups)}, on a fresh server (nothing cached), one server after another (reversed in even rounds). `
    + `Counters from the simulator: DNS queries it received, the Health.ServiceNodes RPCs a real agent would make for them, and HTTP API requests (catalog mode's reads and blocking queries), per 1000 answered lookups.\n\n${lookups}\n\n`
    + `**(2) Cache hits** right after (1): ${cmd(rows[0].hits)}, ${seconds} s. The simulator shares CPU 1 with dnsperf; what dnsmasq forwards costs the simulator's CPU, hence the (server + Consul) column.\n\n${hits}\n\n${rel}`;
}
