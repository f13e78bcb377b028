#!/usr/bin/env node
// Memory per cached entry (issue 15): dnsmesh and Unbound side by side, each filled with the same
// unique names from the same bench upstream through its real UDP port, RSS read from /proc before
// and after (scenarios/memory.mjs). dnsmesh also reports what its byte budget counts
// (dnsmesh_cache_bytes), so the two can be compared: the budget should be close to the RSS it costs.
//
//   node bench/memory.mjs [--entries 100000,1000000] [--rate 10000] [--servers dnsmesh,unbound]
//
// Each size takes about entries/rate seconds per server (1M at 10k qps: under two minutes each on an
// idle machine; dnsperf stops at 4x that, so a loaded machine fills fewer names, which the table shows).
// Every dnsperf run is bounded by -l; every process started here is stopped at the end.
import { parseArgs } from 'node:util';
import { installCleanup, stopAll } from './lib/procs.mjs';
import { fmt, table } from './lib/report.mjs';
import { memoryPerEntry } from './scenarios/memory.mjs';

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

installCleanup();
const rows = [];
try {
  for (const n of sizes) rows.push(...await memoryPerEntry(n, servers, { rate, log: (m) => console.error(m) }));
} finally {
  await stopAll();
}

const mib = (b) => fmt(b / 1048576, 1);
console.log(`\nnode bench/memory.mjs --entries ${values.entries} --rate ${rate} --servers ${values.servers}\n`);
console.log(table([
  ['server', 'l', (r) => r.server],
  ['names answered', 'r', (r) => fmt(r.completed)],
  ['upstream queries', 'r', (r) => fmt(r.entries)],
  ['entries (metric)', 'r', (r) => (r.stored === undefined ? '-' : fmt(r.stored))],
  ['RSS before MiB', 'r', (r) => mib(r.before)],
  ['RSS half-way MiB', 'r', (r) => mib(r.mid)],
  ['RSS after MiB', 'r', (r) => mib(r.after)],
  ['RSS bytes / entry', 'r', (r) => fmt(r.perEntry)],
  ['2nd half bytes / entry', 'r', (r) => fmt(r.marginal)],
  ['budget bytes / entry', 'r', (r) => fmt(r.budgetPerEntry)],
], rows));

// Between two sizes, what is fixed (code, the young generation a fill at this rate grows, socket
// buffers) cancels: the RSS one more entry costs.
const between = [];
for (const server of servers) {
  const mine = rows.filter((r) => (r.which ?? r.server) === server).sort((a, b) => a.entries - b.entries);
  for (let i = 1; i < mine.length; i++) {
    const [a, b] = [mine[i - 1], mine[i]];
    between.push({ server: b.server, from: a.entries, to: b.entries, perEntry: ((b.after - b.before) - (a.after - a.before)) / (b.entries - a.entries) });
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
