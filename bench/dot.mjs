#!/usr/bin/env node
// DoT forwarding: queries per second and latency, dnsmesh (`forward . tls://`) against Unbound
// (`forward-tls-upstream: yes`), in one run, against one TLS upstream (testkit's fake upstream behind
// a Node TLS server, in this process, pinned with dnsperf to the client core). Every query name is
// unique (under `bench.dnsmesh.`: Unbound answers `test.` itself, RFC 6761), so both servers ask the
// upstream for each one; the upstream counts TLS connections (the readiness probe's included).
//
//   node bench/dot.mjs [--seconds N] [--rate Q]
//
// Prints a markdown table, and the load average (the machine may be shared).
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fakeUpstream, freePort, makeCertificates, query, tlsUpstream } from '@dnsmesh/testkit';
import { dnsperf, queryFile } from './lib/dnsperf.mjs';
import { installCleanup, pinSelf, sleep, spawnPinned, stop, waitForOutput, cpuSeconds } from './lib/procs.mjs';
import { CLIENT_CPU, DNSMESH_MAIN, SERVER_CPU, render, tempDir } from './lib/servers.mjs';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const SECONDS = arg('seconds', 5);
const RATE = arg('rate', 1000);

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const loadBefore = load();
installCleanup();
pinSelf(CLIENT_CPU);
const certs = makeCertificates();
process.on('exit', () => certs.remove());
const up = await fakeUpstream({});
const dot = await tlsUpstream(up, { cert: certs.read('server.pem'), key: certs.read('server.key') });

async function waitAnswers(port) {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    try { await query(`127.0.0.1:${port}`, 'ready-probe.bench.example', 'A', { timeout: 1000 }); return; } catch { await sleep(200); }
  }
  throw new Error(`nothing answers on ${port}`);
}

async function start(kind) {
  const port = await freePort();
  const dir = tempDir();
  const vars = { PORT: port, UPSTREAM_PORT: dot.port, CA: certs.ca, NAME: certs.hostname, DIR: dir };
  let child;
  if (kind === 'dnsmesh') {
    writeFileSync(join(dir, 'Corefile'), render('dnsmesh-dot.Corefile', vars));
    child = spawnPinned(SERVER_CPU, process.execPath, [DNSMESH_MAIN, '-conf', 'Corefile'], { cwd: dir, label: 'dnsmesh' });
    await waitForOutput(child, /dnsmesh-\d/);
  } else {
    writeFileSync(join(dir, 'unbound.conf'), render('unbound-dot.conf', vars));
    child = spawnPinned(SERVER_CPU, 'unbound', ['-d', '-c', join(dir, 'unbound.conf')], { label: 'unbound' });
  }
  await waitAnswers(port);
  return { kind, port, child, dir };
}

const rows = [];
let seq = 0;
for (const kind of ['dnsmesh', 'unbound']) {
  const connsBefore = dot.connections;
  const s = await start(kind);
  // Unique names: enough for the throughput run and the latency run, never asked twice.
  const names = (n) => Array.from({ length: n }, () => `q${++seq}.${kind}.bench.dnsmesh A`);
  const dir = s.dir;
  const queriesBefore = up.queries.length;
  const cpuBefore = cpuSeconds(s.child.pid);
  const tput = await dnsperf(s.port, { file: queryFile(dir, 'tput.txt', names(200_000)), seconds: SECONDS, clients: 10, outstanding: 200, timeout: 3 });
  const cpu = cpuSeconds(s.child.pid) - cpuBefore;
  const lat = await dnsperf(s.port, { file: queryFile(dir, 'lat.txt', names(RATE * SECONDS * 2)), seconds: SECONDS, qps: RATE, clients: 10, outstanding: 100, latency: true, timeout: 3 });
  rows.push({
    kind, qps: tput.qps, lost: tput.lost, cpu, qpsPerCpu: tput.completed / Math.max(cpu, 1e-9),
    p50: lat.p50Us, p99: lat.p99Us, latLost: lat.lost,
    upstreamQueries: up.queries.length - queriesBefore, tlsConnections: dot.connections - connsBefore,
    rcodes: tput.rcodes, command: tput.command,
  });
  up.reset();
  await stop(s.child);
}

const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log(`\n## DoT forwarding (bench/dot.mjs, ${new Date().toISOString()}, ${SECONDS} s per run, latency at ${RATE} qps)\n`);
console.log(`nproc ${cpus().length}, load average (1/5/15 min) before: ${loadBefore}, after: ${load()}\n`);
console.log('| server | qps (max) | lost | server CPU s | qps per CPU s | p50 µs at fixed rate | p99 µs | lost (fixed rate) | upstream queries | TLS connections opened |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.kind} | ${f(r.qps)} | ${r.lost} | ${f(r.cpu, 2)} | ${f(r.qpsPerCpu)} | ${f(r.p50)} | ${f(r.p99)} | ${r.latLost} | ${r.upstreamQueries} | ${r.tlsConnections} |`);
}
console.log(`\nrcodes: ${rows.map((r) => `${r.kind}: ${r.rcodes}`).join('; ')}`);
console.log(`throughput command: ${rows[0]?.command}`);
await dot.close();
await up.close();
process.exit(0);
