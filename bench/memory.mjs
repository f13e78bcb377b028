#!/usr/bin/env node
// Memory per cached entry (issue 15): dnsmesh and Unbound side by side, each filled with the same
// unique names from the same bench upstream through its real UDP port, RSS read from /proc before
// and after. dnsmesh also reports what its byte budget counts (dnsmesh_cache_bytes), so the two
// can be compared: the budget should be close to the RSS it costs.
//
//   node bench/memory.mjs [--entries 100000,1000000] [--rate 10000] [--servers dnsmesh,unbound]
//
// Each size takes about entries/rate seconds per server (1M at 10k qps: under two minutes each on an
// idle machine; dnsperf stops at 4x that, so a loaded machine fills fewer names, which the table shows).
// Every dnsperf run is bounded by -l; every process started here is stopped at the end.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dnsperf, queryFile } from './lib/dnsperf.mjs';
import { sleep, spawnPinned, stop, waitForOutput } from './lib/procs.mjs';
import { fmt, table } from './lib/report.mjs';
import { CLIENT_CPU, DNSMESH_MAIN, SERVER_CPU, render, startUnbound, tempDir } from './lib/servers.mjs';
import { freePort } from '@dnsmesh/testkit';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000,1000000' },
    rate: { type: 'string', default: '10000' },
    servers: { type: 'string', default: 'dnsmesh,unbound' },
  },
});
const sizes = values.entries.split(',').map(Number);
const rate = Number(values.rate);
const servers = values.servers.split(',');
const ZONE = 'bench.example';

/** Resident set size of a process, in bytes (VmRSS). */
function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function metric(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** bench/lib/echo-upstream.mjs pinned to the client core; count() is how many queries it answered. */
async function startEcho() {
  const child = spawnPinned(CLIENT_CPU, process.execPath, [new URL('./lib/echo-upstream.mjs', import.meta.url).pathname], { ipc: true, label: 'echo upstream' });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`upstream not ready:\n${child.err}`)), 15000);
    child.once('message', (m) => { clearTimeout(timer); resolve(m.port); });
  });
  let seq = 0;
  return {
    port,
    stop: () => stop(child),
    count: () => new Promise((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => reject(new Error('upstream did not report its count')), 5000);
      const on = (m) => { if (m.id === id) { clearTimeout(timer); child.off('message', on); resolve(m); } };
      child.on('message', on);
      child.send({ cmd: 'count', id });
    }),
  };
}

async function startDnsmesh(upstreamPort, capacity) {
  const port = await freePort();
  const metricsPort = await freePort();
  const dir = tempDir();
  writeFileSync(join(dir, 'Corefile'), render('dnsmesh-memory.Corefile', { PORT: port, UPSTREAM_PORT: upstreamPort, METRICS_PORT: metricsPort, CAPACITY: capacity }));
  const child = spawnPinned(SERVER_CPU, process.execPath, [DNSMESH_MAIN, '-conf', 'Corefile'], { cwd: dir, label: 'dnsmesh' });
  await waitForOutput(child, /dnsmesh-\d/);
  return { label: 'dnsmesh', child, pid: child.pid, port, metricsPort, stop: () => stop(child) };
}

// RSS grows by what the entries cost; the 200 warm-up names are in the baseline (and in the metric).
const rows = [];
for (const n of sizes) {
  const upstream = await startEcho();
  const dir = tempDir();
  const file = queryFile(dir, 'names.txt', Array.from({ length: n }, (_, i) => `n${i}.${ZONE} A`));
  try {
    for (const which of servers) {
      const server = which === 'unbound' ? await startUnbound('unbound-memory.conf', upstream.port) : await startDnsmesh(upstream.port, n + 1000);
      try {
        // A few queries first, so the baseline includes the code paths' own warm-up allocations.
        const warm = queryFile(dir, 'warm.txt', Array.from({ length: 200 }, (_, i) => `warm${i}.other.example A`));
        await dnsperf(server.port, { file: warm, runs: 1, seconds: 10, clients: 1, outstanding: 20 });
        await sleep(1000);
        const before = rss(server.pid);
        const asked0 = (await upstream.count()).count;
        const seconds = Math.ceil((4 * n) / rate) + 30;
        const run = await dnsperf(server.port, { file, runs: 1, seconds, qps: rate, clients: 4, outstanding: 500, timeout: 5 });
        await sleep(3000);
        const after = rss(server.pid);
        const entries = (await upstream.count()).count - asked0;
        const row = { server: server.label, entries, completed: run.completed, lost: run.lost, before, after, perEntry: (after - before) / entries };
        if (server.label === 'dnsmesh') {
          const stored = await metric(server.metricsPort, 'dnsmesh_cache_entries');
          const budget = await metric(server.metricsPort, 'dnsmesh_cache_bytes');
          Object.assign(row, { stored, budgetPerEntry: budget / stored });
        }
        rows.push(row);
        console.error(`${server.label} ${n}: ${JSON.stringify(row)}`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await upstream.stop();
  }
}

const mib = (b) => fmt(b / 1048576, 1);
console.log(`\nnode bench/memory.mjs --entries ${values.entries} --rate ${rate} --servers ${values.servers}\n`);
console.log(table([
  ['server', 'l', (r) => r.server],
  ['names answered', 'r', (r) => fmt(r.completed)],
  ['upstream queries', 'r', (r) => fmt(r.entries)],
  ['entries (metric)', 'r', (r) => (r.stored === undefined ? '-' : fmt(r.stored))],
  ['RSS before MiB', 'r', (r) => mib(r.before)],
  ['RSS after MiB', 'r', (r) => mib(r.after)],
  ['RSS bytes / entry', 'r', (r) => fmt(r.perEntry)],
  ['budget bytes / entry', 'r', (r) => fmt(r.budgetPerEntry)],
], rows));

// Between two sizes, what is fixed (code, the young generation a fill at this rate grows, socket
// buffers) cancels: the RSS one more entry costs.
const between = [];
for (const server of servers) {
  const mine = rows.filter((r) => r.server === server).sort((a, b) => a.entries - b.entries);
  for (let i = 1; i < mine.length; i++) {
    const [a, b] = [mine[i - 1], mine[i]];
    between.push({ server, from: a.entries, to: b.entries, perEntry: ((b.after - b.before) - (a.after - a.before)) / (b.entries - a.entries) });
  }
}
if (between.length > 0) {
  console.log('\nRSS per entry between sizes (growth at the larger size minus growth at the smaller, over the extra entries):\n');
  console.log(table([
    ['server', 'l', (r) => r.server],
    ['entries', 'r', (r) => `${fmt(r.from)} → ${fmt(r.to)}`],
    ['RSS bytes / entry', 'r', (r) => fmt(r.perEntry)],
  ], between));
}
