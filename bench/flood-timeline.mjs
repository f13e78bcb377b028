#!/usr/bin/env node
// Where a unique-name flood's latency goes over time: a fresh server and upstream (as perf.mjs's
// `flood`), dnsperf at 8,000 qps of names it has never seen, every answer's latency kept, then
// average / p99 / max per window of answers (--window, in seconds of queries at that rate) and the
// percentiles of the whole run. A fresh dnsmesh spends its first second or so compiling its hot
// paths (V8's JIT shares the pinned core), which is most of the flood's average; `--warm S` floods
// other names for S seconds first, as perf.mjs's `warmflood`, then waits `--pause` seconds (1).
// dnsmesh's start-up warm-up (`-warmup`, apps/server/src/warmup/) does the same in-process before
// it opens its ports; `--dnsmesh-arg=-warmup=0` turns it off to see the difference. `--node-arg`
// passes a node flag to dnsmesh (after the launcher's), e.g. `--node-arg=--trace-gc` or
// `--node-arg=--interrupt-budget=270336`. `--compiles` runs dnsmesh with `--trace-opt --trace-deopt`
// and counts the functions V8 compiled and threw away during the flood (what the warm-up missed); the
// tracing costs time, so its latencies are not to be compared with a run without it. `--gc` runs
// dnsmesh with `--trace-gc` and sums the flood's pauses by kind: count, total, largest, and Σd² a
// second (a pause d every T adds about d²/2T to the average answer, so this is the GC's share of it).
// `--bands` adds where the average comes from: the answers in each latency band (under 0.15 ms, ...,
// 5 ms and over), as a share of the answers and as milliseconds of the average.
//
//   node bench/flood-timeline.mjs [dnsmesh|unbound ...] [--seconds 10] [--warm 0] [--pause 1] [--window 0.25]
//                                 [--node-arg FLAG ...] [--dnsmesh-arg FLAG ...] [--compiles] [--gc] [--bands]
//
// Servers on CPU 0; dnsperf, the upstream (lib/fast-answers.mjs) and this harness on CPU 1. Keeping
// every latency (dnsperf -v) costs that core too: compare servers within one run. Writes nothing.
import { parseArgs } from 'node:util';
import { dnsperf, queryFile } from './lib/dnsperf.mjs';
import { installCleanup, pinSelf, sleep, stopAll } from './lib/procs.mjs';
import { fmt } from './lib/report.mjs';
import { CLIENT_CPU, preflight, startDnsmesh, startUnbound, startUpstream, tempDir } from './lib/servers.mjs';
import { UNIQUE_QPS, uniqueUpstream } from './scenarios/unique.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    warm: { type: 'string', default: '0' },
    pause: { type: 'string', default: '1' },
    window: { type: 'string', default: '0.25' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    'dnsmesh-arg': { type: 'string', multiple: true, default: [] },
    compiles: { type: 'boolean', default: false },
    gc: { type: 'boolean', default: false },
    bands: { type: 'boolean', default: false },
  },
});
const who = positionals.length > 0 ? positionals : ['dnsmesh', 'unbound'];
const seconds = Number(values.seconds);
const warm = Number(values.warm);
const perWindow = Math.max(1, Math.round(Number(values.window) * UNIQUE_QPS));
if (who.some((w) => w !== 'dnsmesh' && w !== 'unbound') || !(seconds >= 1) || !(warm >= 0) || !(Number(values.pause) >= 0) || !(perWindow >= 1)) {
  process.stderr.write('usage: node bench/flood-timeline.mjs [dnsmesh|unbound ...] [--seconds 10] [--warm 0] [--pause 1] [--window 0.25] [--node-arg FLAG ...] [--dnsmesh-arg FLAG ...] [--compiles] [--gc] [--bands]\n');
  process.exit(2);
}
preflight('flood-timeline', ['dnsperf', 'taskset', ...(who.includes('unbound') ? ['unbound'] : [])]);
installCleanup();
pinSelf(CLIENT_CPU);

const ms = (s) => fmt(1000 * s, 2);
const TRACE = ['--trace-opt', '--trace-deopt'];

/** V8 writes an anonymous function as `<JSFunction (sfi = 0x...)>`. */
const named = (name) => (name === '' || name.startsWith('(sfi') ? '(anonymous)' : name);

/** Reads V8's --trace-opt/--trace-deopt lines from the child's stdout from now until `stop()`. */
function traceOf(child) {
  let rest = '';
  const compiled = [];
  const deopts = [];
  let compileMs = 0;
  const onData = (d) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      const c = /^\[completed compiling \S+ <JSFunction (\S*) .*took [\d.]+, ([\d.]+), [\d.]+ ms\]/.exec(line);
      if (c) { compiled.push(named(c[1])); compileMs += Number(c[2]); continue; }
      const o = /^\[bailout \(kind: [^,]+, reason: ([^)]*)\): begin\. deoptimizing \S+ <JSFunction (\S*) /.exec(line);
      if (o) deopts.push(`${named(o[2])} (${o[1]})`);
    }
  };
  child.stdout.on('data', onData);
  return { stop() { child.stdout.off('data', onData); return { compiled, deopts, compileMs }; } };
}
/** Reads V8's --trace-gc lines from the child's stdout from now until `stop()`: pause ms by kind. */
function gcOf(child) {
  let rest = '';
  const pauses = {};
  const onData = (d) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      const m = /: (Scavenge|Mark-Compact|Mark-Sweep)\b[^,]*, ([\d.]+) \/ [\d.]+ ms/.exec(line);
      if (m) (pauses[m[1]] ??= []).push(Number(m[2]));
    }
  };
  child.stdout.on('data', onData);
  return { stop() { child.stdout.off('data', onData); return pauses; } };
}
/** Upper edges (ms) of the --bands table's latency bands; the last is open. */
const BANDS = [0.15, 0.2, 0.3, 0.5, 1, 2, 5, Infinity];

/** Per latency band: the share of the answers and the milliseconds it adds to the average. */
function bandsOf(latencies) {
  const n = new Array(BANDS.length).fill(0);
  const sum = new Array(BANDS.length).fill(0);
  for (const s of latencies) {
    const b = BANDS.findIndex((edge) => 1000 * s < edge);
    n[b]++;
    sum[b] += 1000 * s;
  }
  const head = BANDS.map((edge, i) => (edge === Infinity ? `≥ ${BANDS[i - 1]} ms` : `< ${edge} ms`));
  return `| answers | ${head.join(' | ')} |\n|---|${head.map(() => '---:').join('|')}|\n`
    + `| share of the answers | ${n.map((k) => `${fmt((100 * k) / latencies.length, 1)}%`).join(' | ')} |\n`
    + `| ms of the average | ${sum.map((t) => fmt(t / latencies.length, 3)).join(' | ')} |`;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const flood = (port, file, s, latency) => dnsperf(port, { file, seconds: s, qps: UNIQUE_QPS, clients: 10, outstanding: 2000, timeout: 2, latency });

try {
  const dir = tempDir();
  const file = queryFile(dir, 'unique.txt', Array.from({ length: UNIQUE_QPS * seconds }, (_, i) => `n${i}.bench.example A`));
  const warmFile = warm > 0 ? queryFile(dir, 'warm.txt', Array.from({ length: UNIQUE_QPS * warm }, (_, i) => `n${UNIQUE_QPS * seconds + i}.bench.example A`)) : undefined;
  for (const name of who) {
    const up = await startUpstream(uniqueUpstream(seconds, warm));
    const server = name === 'unbound'
      ? await startUnbound('unbound.conf', up.port)
      : await startDnsmesh('dnsmesh-abuse.Corefile', up.port, { nodeArgs: [...values['node-arg'], ...(values.compiles ? TRACE : []), ...(values.gc ? ['--trace-gc'] : [])], args: values['dnsmesh-arg'] });
    await sleep(500);
    if (warmFile !== undefined) { await flood(server.port, warmFile, warm, false); await sleep(1000 * Number(values.pause)); }
    const trace = name === 'dnsmesh' && values.compiles ? traceOf(server.child) : undefined;
    const gc = name === 'dnsmesh' && values.gc ? gcOf(server.child) : undefined;
    const cpu0 = server.cpu();
    const r = await flood(server.port, file, seconds, true);
    const cpu = server.cpu() - cpu0;
    const lat = (r.latencies ?? []).filter((x) => Number.isFinite(x)); // dnsperf prints a few other "> " lines
    const flags = name === 'dnsmesh' ? [...values['node-arg'], ...values['dnsmesh-arg']] : [];
    console.log(`\n## ${server.label}${flags.length > 0 ? ` ${flags.join(' ')}` : ''}: ${seconds} s at ${fmt(UNIQUE_QPS)} qps${warm > 0 ? ` after ${warm} s of other names` : ', fresh'}`);
    console.log('\n| answers from | avg ms | p99 ms | max ms |\n|---:|---:|---:|---:|');
    for (let i = 0; i < lat.length; i += perWindow) {
      const w = lat.slice(i, i + perWindow).sort((a, b) => a - b);
      console.log(`| ${fmt(i / UNIQUE_QPS, 2)} s | ${ms(w.reduce((a, b) => a + b, 0) / w.length)} | ${ms(pct(w, 0.99))} | ${ms(w[w.length - 1])} |`);
    }
    const all = lat.slice().sort((a, b) => a - b);
    console.log(`\nwhole run: average ${ms(r.avgLatencyUs / 1e6)} ms, p50 ${ms(pct(all, 0.5))}, p90 ${ms(pct(all, 0.9))}, p99 ${ms(pct(all, 0.99))}, max ${ms(all[all.length - 1])} ms; `
      + `${fmt(r.completed)} answered, ${fmt(r.lost)} lost (${r.rcodes}); server CPU ${fmt(cpu, 2)} s (${fmt((1e6 * cpu) / r.completed, 1)} µs a query)`);
    if (values.bands && lat.length > 0) console.log(`\n${bandsOf(lat)}`);
    if (trace !== undefined) {
      const t = trace.stop();
      console.log(`\nduring the flood V8 compiled ${t.compiled.length} functions (${fmt(t.compileMs, 1)} ms of compiling) and threw ${t.deopts.length} away:`
        + `\n- compiled: ${t.compiled.join(' ') || '-'}\n- thrown away: ${t.deopts.join(' ') || '-'}`);
    }
    if (gc !== undefined) {
      console.log('\n| GC during the flood | pauses | ms in all | largest ms | Σd² (ms² a second) |\n|---|---:|---:|---:|---:|');
      for (const [kind, d] of Object.entries(gc.stop())) {
        console.log(`| ${kind} | ${d.length} | ${fmt(d.reduce((a, b) => a + b, 0), 1)} | ${fmt(Math.max(...d), 1)} | ${fmt(d.reduce((a, b) => a + b * b, 0) / seconds, 1)} |`);
      }
    }
    await server.stop();
    await up.stop();
  }
} finally {
  await stopAll();
}
