#!/usr/bin/env node
// abuse.mjs's `unique` row (every query a miss: unique names at 8,000 qps, dnsmesh-abuse.Corefile against
// Unbound with peers/unbound.conf) in rounds, with `--base DIR` (another built checkout) beside them, so
// "new ÷ base" is taken in one session. Each server starts once with its own upstream; the fixed-rate
// dnsperf runs rotate order each round; per run: average latency, loss, rcodes and server CPU µs per
// answered query; then the medians. Writes nothing.
//
//   node bench/miss-rounds.mjs [--base DIR] [--rounds 2] [--seconds 10] [--qps 8000]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dnsperf, queryFile } from './lib/dnsperf.mjs';
import { installCleanup, pinSelf, stopAll, sleep } from './lib/procs.mjs';
import { CLIENT_CPU, startDnsmesh, startUnbound, startUpstream, tempDir } from './lib/servers.mjs';
const { values } = parseArgs({ options: { base: { type: 'string' }, seconds: { type: 'string', default: '10' }, qps: { type: 'string', default: '8000' }, rounds: { type: 'string', default: '2' } } });
installCleanup(); pinSelf(CLIENT_CPU);
const S = Number(values.seconds), Q = Number(values.qps), R = Number(values.rounds);
const dir = tempDir();
const file = queryFile(dir, 'unique.txt', Array.from({ length: Q * S }, (_, i) => `n${i}.bench.example A`));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
try {
  const servers = [];
  const u1 = await startUpstream({ names: Q * S }); servers.push(await startUnbound('unbound.conf', u1.port));
  const u2 = await startUpstream({ names: Q * S }); servers.push(await startDnsmesh('dnsmesh-abuse.Corefile', u2.port));
  if (values.base) { const u3 = await startUpstream({ names: Q * S }); servers.push(await startDnsmesh('dnsmesh-abuse.Corefile', u3.port, { label: 'base', main: join(values.base, 'apps/server/dist/main.js') })); }
  const res = new Map(servers.map((s) => [s.label, []]));
  for (let round = 0; round < R; round++) {
    const order = servers.map((_, k) => servers[(k + round) % servers.length]);
    for (const s of order) {
      await sleep(500);
      const c0 = s.cpu();
      const r = await dnsperf(s.port, { file, seconds: S, qps: Q, clients: 10, outstanding: 2000, timeout: 2 });
      const cpu = s.cpu() - c0;
      const row = { avg: r.avgLatencyUs / 1000, lossPct: (100 * r.lost) / r.sent, us: (1e6 * cpu) / r.completed, core: (100 * cpu) / S, rcodes: r.rcodes };
      res.get(s.label).push(row);
      console.log(`round ${round + 1} ${s.label.padEnd(16)} avg ${row.avg.toFixed(2)} ms, lost ${row.lossPct.toFixed(2)}%, ${row.us.toFixed(1)} µs CPU/query, ${row.core.toFixed(0)}% of a core; ${r.rcodes}`);
    }
  }
  for (const [label, rows] of res) console.log(`median ${label.padEnd(16)} avg ${median(rows.map((r) => r.avg)).toFixed(2)} ms, lost ${median(rows.map((r) => r.lossPct)).toFixed(2)}%, ${median(rows.map((r) => r.us)).toFixed(1)} µs CPU/query`);
} finally { await stopAll(); }
