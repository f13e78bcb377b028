#!/usr/bin/env node
// Where dnsmesh's CPU goes under dnsperf load: runs dnsmesh under `node --cpu-prof` (pinned to CPU 0)
// with the same upstream and Corefile as a run.mjs scenario, drives it with dnsperf for N seconds,
// stops it (SIGTERM: the profile is written on exit) and prints the top self-time functions.
//
//   node bench/profile.mjs [hits|big|forward|ceiling] [--dgram] [--seconds 10] [--top 25]
//
// --dgram runs dnsmesh on Node's dgram (DNSMESH_UDP_BATCH=0) instead of the batched transport.
//
// `ceiling` profiles bench/ceiling.mjs under the hits load instead: the baseline to hold dnsmesh's
// hit profile against (what is left once dnsmesh's own code is gone).
// The .cpuprofile stays in bench/out/ (git-ignored); open it in Chrome DevTools for the full tree.
// Profiling costs CPU of its own: use run.mjs for figures, this for the shape.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { query } from '@dnsmesh/testkit';
import { dnsperf, queryFile } from './lib/dnsperf.mjs';
import { installCleanup, pinSelf, stopAll } from './lib/procs.mjs';
import { fmt, table } from './lib/report.mjs';
import { CLIENT_CPU, startCeiling, startDnsmesh, startUpstream, tempDir } from './lib/servers.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string', default: '10' }, top: { type: 'string', default: '25' }, dgram: { type: 'boolean', default: false } },
});
const kind = positionals[0] ?? 'hits';
if (!['hits', 'big', 'forward', 'ceiling'].includes(kind)) { process.stderr.write(`profile: unknown kind '${kind}' (hits, big, forward, ceiling)\n`); process.exit(2); }

installCleanup();
pinSelf(CLIENT_CPU);
const out = fileURLToPath(new URL(`out/prof-${kind}-${Date.now()}`, import.meta.url));
mkdirSync(out, { recursive: true });
const dir = tempDir();
const names = queryFile(dir, 'names.txt', Array.from({ length: 1000 }, (_, i) => `n${i}.bench.example A`));
const big = queryFile(dir, 'big.txt', ['big.bench.example A']);
const forward = kind === 'forward';
try {
  const upstream = await startUpstream({ names: 1000, ttl: forward ? 0 : 3600, bigRecords: 40, truncateUdpAt: 512 });
  const prof = ['--cpu-prof', '--cpu-prof-dir', out];
  const dnsmesh = kind === 'ceiling'
    ? await startCeiling(['--name', 'n0.bench.example', '--answers', '1', '--edns'], 'node ceiling (dgram)', prof)
    : await startDnsmesh(forward ? 'dnsmesh-forward.Corefile' : 'dnsmesh-chain.Corefile', upstream.port, { nodeArgs: prof, dgram: values.dgram });
  if (kind === 'hits' || kind === 'big') {
    await dnsperf(dnsmesh.port, { file: names, edns: true, runs: 1, seconds: 30 });
    await query(dnsmesh.address, 'big.bench.example', 'A', { edns: 4096, timeout: 3000 });
  }
  const cpu0 = dnsmesh.cpu();
  const r = await dnsperf(dnsmesh.port, { file: kind === 'big' ? big : names, edns: true, seconds: Number(values.seconds) });
  const cpu = dnsmesh.cpu() - cpu0;
  await dnsmesh.stop();
  process.stdout.write(`${dnsmesh.label} under --cpu-prof, ${kind}: ${fmt(r.qps)} qps, ${fmt(cpu, 2)} CPU-s, ${fmt((1e6 * cpu) / r.completed, 1)} µs CPU/query\n\n`);
  const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${out}`);
  process.stdout.write(`${topSelf(JSON.parse(readFileSync(join(out, file), 'utf8')), Number(values.top))}\n\n(${join(out, file)})\n`);
} finally {
  await stopAll();
}

/** Self time per function (summed over call sites), as a markdown table. */
function topSelf(profile, top) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  // Percentages are of busy time: (idle) is left out of the total.
  const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const total = [...dt].reduce((a, [id, us]) => (idleIds.has(id) ? a : a + us), 0);
  const fns = new Map();
  for (const [id, us] of dt) {
    if (idleIds.has(id)) continue;
    const { callFrame: f } = byId.get(id);
    const where = f.url ? `${f.url.replace(/^file:\/\/.*?\/(packages|apps|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}\t${where}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  // Where the time goes, coarsely: dnsmesh's own code per package, Node's JS, the rest.
  const groups = new Map();
  for (const [key, us] of fns) {
    const [fn, where] = key.split('\t');
    const g = fn === 'doSend' ? 'dgram doSend (the native sendto, under it)'
      : /^(packages|apps)\/[^/]+/.exec(where)?.[0] ?? (where.startsWith('node:') ? 'node:* JS (dgram, buffer, ticks)'
        : where.startsWith('node_modules/') ? 'node_modules' : fn.startsWith('(') ? fn : 'V8 builtins and natives (named)');
    groups.set(g, (groups.get(g) ?? 0) + us);
  }
  const grouped = table([
    ['% of busy', 'r', (r) => fmt((100 * r[1]) / total, 1)],
    ['where', 'l', (r) => r[0]],
  ], [...groups].sort((a, b) => b[1] - a[1]));
  const rows = [...fns].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, us]) => {
    const [fn, where] = key.split('\t');
    return { fn, where, us, pct: (100 * us) / total };
  });
  return `${grouped}\n\n${table([
    ['self % of busy', 'r', (r) => fmt(r.pct, 1)],
    ['self ms', 'r', (r) => fmt(r.us / 1000)],
    ['function', 'l', (r) => `\`${r.fn}\``],
    ['where', 'l', (r) => r.where],
  ], rows)}`;
}
