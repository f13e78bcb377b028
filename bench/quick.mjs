#!/usr/bin/env node
// A quick look at the cache-hit path while working on it: dnsmesh (peers/dnsmesh-chain.Corefile,
// the production chain) and Unbound, warmed, then max-throughput dnsperf runs in turn (servers on
// CPU 0, dnsperf on CPU 1, the order rotating each round); prints qps per server CPU-second, the
// user share of that CPU, each dnsmesh's ratio to Unbound per round and the medians, and the mean
// UDP batch. Not a report: run.mjs writes the figures that count.
//
//   node bench/quick.mjs [--pairs 3] [--seconds 5] [--corefile dnsmesh-chain.Corefile] [--dgram]
//                        [--base DIR] [--forward]
//
// --forward looks at the miss path instead: every answer TTL 0, dnsmesh-forward.Corefile (forward
// only) against Unbound with its cache off (unbound-nocache.conf).
//
// --base DIR adds a second dnsmesh run from another built checkout (DIR/apps/server/dist/main.js),
// e.g. the commit before a change: the two alternate in one session, so the VM's drift cancels
// and "new ÷ base" shows what the change did.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dnsperf } from './lib/dnsperf.mjs';
import { measure } from './lib/measure.mjs';
import { installCleanup, pinSelf, stopAll } from './lib/procs.mjs';
import { fmt } from './lib/report.mjs';
import { CLIENT_CPU, startDnsmesh, startUnbound, tempDir } from './lib/servers.mjs';
import { startForwardUpstream, startUnboundNoCache } from './scenarios/forward.mjs';
import { namesFile, startHitsUpstream, warmNames } from './scenarios/hits.mjs';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '5' },
    corefile: { type: 'string', default: 'dnsmesh-chain.Corefile' }, dgram: { type: 'boolean', default: false },
    base: { type: 'string' }, forward: { type: 'boolean', default: false },
  },
});
installCleanup();
pinSelf(CLIENT_CPU);
const dir = tempDir();
const names = namesFile(dir);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2; };
try {
  const fwd = values.forward;
  const corefile = fwd ? 'dnsmesh-forward.Corefile' : values.corefile;
  const upstream = await (fwd ? startForwardUpstream() : startHitsUpstream());
  const unbound = await (fwd ? startUnboundNoCache(upstream.port) : startUnbound('unbound.conf', upstream.port));
  const dnsmesh = await startDnsmesh(corefile, upstream.port, { dgram: values.dgram, label: 'dnsmesh' });
  const servers = [unbound, dnsmesh];
  if (values.base !== undefined) {
    servers.push(await startDnsmesh(corefile, upstream.port, { dgram: values.dgram, label: 'base', main: join(values.base, 'apps/server/dist/main.js') }));
  }
  for (const s of servers) await warmNames(s, names);
  for (const s of servers.slice(1)) await dnsperf(s.port, { file: names, edns: true, seconds: 3 }); // JIT warm-up
  const ratios = new Map(servers.slice(1).map((s) => [s.label, []]));
  const vsBase = [];
  for (let i = 0; i < Number(values.pairs); i++) {
    const order = servers.map((_, k) => servers[(k + i) % servers.length]);
    const r = new Map();
    for (const s of order) {
      const t0 = userSys(s.pid);
      const m = await measure(s, upstream, { file: names, edns: true, seconds: Number(values.seconds) });
      const t1 = userSys(s.pid);
      m.userShare = (t1.user - t0.user) / (t1.user - t0.user + t1.sys - t0.sys);
      r.set(s.label, m);
    }
    const u = r.get(unbound.label);
    const parts = servers.map((s) => { const m = r.get(s.label); return `${s.label} ${fmt(m.qpsPerCpu)} (${fmt(m.usPerQuery, 2)} µs, ${fmt(100 * m.userShare)}% user)`; });
    for (const s of servers.slice(1)) ratios.get(s.label).push(r.get(s.label).qpsPerCpu / u.qpsPerCpu);
    if (servers.length === 3) vsBase.push(r.get(servers[1].label).qpsPerCpu / r.get(servers[2].label).qpsPerCpu);
    process.stdout.write(`round ${i + 1}: ${parts.join(', ')}; ÷ unbound: ${servers.slice(1).map((s) => `${s.label} ${fmt(ratios.get(s.label).at(-1), 2)}x`).join(', ')}${vsBase.length > 0 ? `; dnsmesh ÷ base ${fmt(vsBase.at(-1), 3)}` : ''}\n`);
  }
  for (const s of servers.slice(1)) {
    const text = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined))?.text();
    const sum = (name) => (text ?? '').split('\n').filter((l) => l.startsWith(`${name}{`)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    const batches = sum('dnsmesh_udp_batches_total');
    process.stdout.write(`${s.label}: median ${fmt(median(ratios.get(s.label)), 2)}x Unbound (qps per server CPU-second)${batches > 0 ? `, mean batch ${fmt(sum('dnsmesh_udp_batch_datagrams_total') / batches, 1)} datagrams` : ''}\n`);
  }
  if (vsBase.length > 0) process.stdout.write(`dnsmesh ÷ base: median ${fmt(median(vsBase), 3)}\n`);
} finally {
  await stopAll();
}

/** User and system CPU ticks of a process (proc(5) fields 14 and 15). */
function userSys(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]), sys: Number(f[12]) };
}
