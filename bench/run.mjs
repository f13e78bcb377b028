#!/usr/bin/env node
// dnsmesh's dnsperf harness. Usage (after `npm run build`):
//
//   node bench/run.mjs [forward] [cache] [--seconds 10] [--rate 20000] [--rounds 1] [--no-write]
//
// Runs each scenario (default: all), prints markdown to stdout and appends it, dated, to
// bench/RESULTS.md (unless --no-write). Servers are pinned to CPU 0, dnsperf, the upstream and this
// harness to CPU 1; everything listens on 127.0.0.1 and every process is stopped at the end.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { installCleanup, pinSelf, stopAll } from './lib/procs.mjs';
import { appendResults } from './lib/report.mjs';
import { runFooter, runHeader } from './lib/header.mjs';
import { cleanupDirs, CLIENT_CPU, preflight } from './lib/servers.mjs';
import { cache } from './scenarios/cache.mjs';
import { consul } from './scenarios/consul.mjs';
import { forward } from './scenarios/forward.mjs';
import { metricsCost } from './scenarios/metrics-cost.mjs';
import { stale } from './scenarios/stale.mjs';

const SCENARIOS = { forward, cache, stale, 'metrics-cost': metricsCost, consul };
const RESULTS = fileURLToPath(new URL('RESULTS.md', import.meta.url));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '1' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: node bench/run.mjs [forward] [cache] [consul] [stale] [metrics-cost] [--seconds 10] [--rate 20000] [--rounds 1] [--no-write]\n');
  process.exit(0);
}
const names = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
for (const n of names) {
  if (!(n in SCENARIOS)) { process.stderr.write(`bench: unknown scenario '${n}' (known: ${Object.keys(SCENARIOS).join(', ')})\n`); process.exit(2); }
}
preflight('bench', ['dnsperf', 'unbound', 'dnsmasq', 'taskset']);

const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim(); // before pinning: nproc counts usable CPUs
installCleanup();
pinSelf(CLIENT_CPU);
const opts = {
  seconds: Number(values.seconds),
  rate: Number(values.rate),
  rounds: Number(values.rounds),
  log: (msg) => process.stderr.write(`bench: ${msg}\n`),
};

const started = new Date();
const head = runHeader({ title: names.join(', '), command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`, nproc, started });
process.stdout.write(`${head}\n`);

const parts = [head];
try {
  for (const n of names) {
    const md = await SCENARIOS[n](opts);
    process.stdout.write(`\n${md}\n`);
    parts.push(md);
  }
} finally {
  await stopAll();
  cleanupDirs();
}
parts.push(runFooter(started));
process.stdout.write(`\n${parts.at(-1)}\n`);
if (!values['no-write']) {
  appendResults(RESULTS, parts.join('\n\n'));
  process.stderr.write(`bench: appended to ${RESULTS}\n`);
}
