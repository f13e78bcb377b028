#!/usr/bin/env node
// `node bench/scaling.mjs [--rounds 2] [--seconds 10]`: cache-hit throughput of dnsmesh with
// -workers 1 and -workers 2 on this 2-core box (issue 9's scaling run). The workers are not
// pinned; dnsperf and the upstream are pinned to CPU 1, so with 2 workers one worker shares its
// core with dnsperf: the figure shows what a second core buys here, not a clean 2x.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@dnsmesh/testkit';
import { dnsperf, queryFile } from './lib/dnsperf.mjs';
import { cpuSeconds, installCleanup, sleep, spawnPinned, stop, waitForOutput } from './lib/procs.mjs';
import { appendResults, fmt, ratio, table } from './lib/report.mjs';
import { DNSMESH_MAIN, render, startUpstream, tempDir } from './lib/servers.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const rounds = arg('rounds', 2);
const seconds = arg('seconds', 10);
installCleanup();

/** CPU seconds of a process and its children (the primary and its workers). */
function treeCpu(pid) {
  let kids = [];
  try { kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number); } catch { /* none */ }
  return [pid, ...kids].reduce((sum, p) => { try { return sum + cpuSeconds(p); } catch { return sum; } }, 0);
}

const upstream = await startUpstream({ names: 1000, ttl: 3600 });
const dir = tempDir();
const names = queryFile(dir, 'names.txt', Array.from({ length: 1000 }, (_, i) => `n${i}.bench.example A`));
const template = 'dnsmesh-chain.Corefile';
const rows = [];
for (let round = 1; round <= rounds; round++) {
  for (const workers of [1, 2]) {
    const port = await freePort();
    const conf = join(tempDir(), 'Corefile');
    writeFileSync(conf, render(template, { PORT: port, UPSTREAM_PORT: upstream.port, METRICS_PORT: await freePort() }));
    const child = spawnPinned('0-1', process.execPath, [DNSMESH_MAIN, '-conf', conf, '-workers', String(workers)], { label: `dnsmesh -workers ${workers}` });
    await waitForOutput(child, /dnsmesh-\d/);
    await sleep(300);
    await dnsperf(port, { file: names, seconds: 3, edns: true }); // warm every worker's cache
    const before = treeCpu(child.pid);
    const run = await dnsperf(port, { file: names, seconds, edns: true });
    const cpu = treeCpu(child.pid) - before;
    rows.push({ round, workers, qps: run.qps, cpu, perCpu: run.completed / cpu, client: run.clientCpu / seconds, lost: run.lost });
    await stop(child);
  }
}
await stop(upstream.child);

const byRound = (r, w) => rows.find((x) => x.round === r && x.workers === w);
const md = `## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: scaling (-workers 1 vs 2)

- command: \`node bench/scaling.mjs --rounds ${rounds} --seconds ${seconds}\`
- dnsmesh unpinned (both cores); dnsperf and the upstream pinned to CPU 1, so a second worker shares a core with dnsperf.

${table([
  ['round', 'r', (r) => r.round], ['workers', 'r', (r) => r.workers], ['qps', 'r', (r) => fmt(r.qps)],
  ['dnsmesh CPU-s (all processes)', 'r', (r) => fmt(r.cpu, 2)], ['qps / CPU-s', 'r', (r) => fmt(r.perCpu)],
  ['dnsperf CPU %', 'r', (r) => fmt(r.client * 100)], ['lost', 'r', (r) => fmt(r.lost)],
  ['qps × workers 1', 'r', (r) => ratio(r.qps, byRound(r.round, 1).qps)],
], rows)}
`;
console.log(md);
appendResults(join(BENCH, 'RESULTS.md'), md);
process.exit(0);
