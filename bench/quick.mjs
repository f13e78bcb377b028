#!/usr/bin/env node
// A quick look at the cache-hit path while working on it: dnsmesh (peers/dnsmesh-chain.Corefile,
// the production chain) and Unbound, warmed, then max-throughput dnsperf runs alternating between
// them (servers on CPU 0, dnsperf on CPU 1); prints qps per server CPU-second and the ratio per pair
// and their median. Not a report: run.mjs writes the figures that count.
//
//   node bench/quick.mjs [--pairs 3] [--seconds 5] [--corefile dnsmesh-chain.Corefile] [--dgram]
import { parseArgs } from 'node:util';
import { dnsperf, queryFile } from './lib/dnsperf.mjs';
import { measure } from './lib/measure.mjs';
import { readFileSync } from 'node:fs';
import { installCleanup, pinSelf, stopAll } from './lib/procs.mjs';
import { fmt } from './lib/report.mjs';
import { CLIENT_CPU, startDnsmesh, startUnbound, startUpstream, tempDir } from './lib/servers.mjs';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '5' },
    corefile: { type: 'string', default: 'dnsmesh-chain.Corefile' }, dgram: { type: 'boolean', default: false },
  },
});
installCleanup();
pinSelf(CLIENT_CPU);
const dir = tempDir();
const names = queryFile(dir, 'names.txt', Array.from({ length: 1000 }, (_, i) => `n${i}.bench.example A`));
try {
  const upstream = await startUpstream({ zone: 'bench.example', names: 1000, ttl: 3600, bigTtl: 3600, bigRecords: 40, truncateUdpAt: 512 });
  const unbound = await startUnbound('unbound.conf', upstream.port);
  const dnsmesh = await startDnsmesh(values.corefile, upstream.port, { dgram: values.dgram });
  for (const s of [unbound, dnsmesh]) await dnsperf(s.port, { file: names, edns: true, runs: 1, seconds: 30 });
  await dnsperf(dnsmesh.port, { file: names, edns: true, seconds: 3 }); // JIT warm-up
  const ratios = [];
  for (let i = 0; i < Number(values.pairs); i++) {
    const order = i % 2 === 0 ? [unbound, dnsmesh] : [dnsmesh, unbound];
    const r = {};
    for (const s of order) {
      const t0 = userSys(s.pid);
      r[s.label] = await measure(s, upstream, { file: names, edns: true, seconds: Number(values.seconds) });
      const t1 = userSys(s.pid);
      r[s.label].userShare = (t1.user - t0.user) / (t1.user - t0.user + t1.sys - t0.sys);
    }
    const u = r[unbound.label];
    const d = r[dnsmesh.label];
    ratios.push(d.qpsPerCpu / u.qpsPerCpu);
    process.stdout.write(`pair ${i + 1}: unbound ${fmt(u.qpsPerCpu)} qps/CPU-s (${fmt(u.usPerQuery, 1)} µs, ${fmt(100 * u.userShare)}% user), ${dnsmesh.label} ${fmt(d.qpsPerCpu)} (${fmt(d.usPerQuery, 1)} µs, ${fmt(100 * d.userShare)}% user, ${fmt(d.qps)} qps, upstream ${d.upstreamQueries}): ${fmt(ratios.at(-1), 2)}x\n`);
  }
  const text = await (await fetch(`http://127.0.0.1:${dnsmesh.metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined))?.text();
  const sum = (name) => (text ?? '').split('\n').filter((l) => l.startsWith(`${name}{`)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  if (sum('dnsmesh_udp_batches_total') > 0) process.stdout.write(`mean batch: ${fmt(sum('dnsmesh_udp_batch_datagrams_total') / sum('dnsmesh_udp_batches_total'), 1)} datagrams\n`);
  const sorted = [...ratios].sort((a, b) => a - b);
  process.stdout.write(`median ${fmt(sorted[Math.floor(sorted.length / 2)], 2)}x Unbound (qps per server CPU-second)\n`);
} finally {
  await stopAll();
}

/** User and system CPU ticks of a process (proc(5) fields 14 and 15). */
function userSys(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]), sys: Number(f[12]) };
}
