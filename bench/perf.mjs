#!/usr/bin/env node
// Issue 17's table in one command: each figure for dnsmesh and Unbound side by side, `--runs` times
// (default 2), the median per server, dnsmesh ÷ Unbound and the issue's goal, met or not.
//
//   node bench/perf.mjs [p99] [flood] [warmflood] [forward] [memory] [--runs 2] [--seconds 10] [--rate 20000]
//                       [--entries 100000,1000000] [--max-minutes 60] [--no-write]
//
// Figures (default: all four), each from the scenario code the other tools use:
//   p99      p99 latency at a fixed --rate qps of cache hits (scenarios/hits.mjs, as run.mjs `cache`:
//            dnsmesh's production chain against Unbound, both warmed; dnsperf -Q RATE -v, --seconds)
//   flood    unique names at 8,000 qps, every one a miss (scenarios/unique.mjs, as abuse.mjs
//            `unique`; a fresh server and upstream each run, 2 × --seconds): average latency and loss
//   warmflood  the same after 5 s of other unique names at the same rate on that fresh server (the
//            miss path of a server that has been running: JIT compiled, upstream sockets open)
//   forward  forwarding throughput per server CPU-second, every answer TTL 0 (scenarios/forward.mjs,
//            as run.mjs `forward`; dnsperf at max throughput for --seconds)
//   memory   RSS per cached entry after filling each size of --entries (scenarios/memory.mjs, as
//            memory.mjs; a fresh server per size and run), from the idle server and over the fill's
//            second half alone (what one more entry costs, whatever the idle server held)
// Within a run the two servers go one after another, in reverse order in even runs (a steady drift
// then favours neither). The ratio is the median of the per-run ratios, so drift between runs cancels.
// The whole run is bounded by --max-minutes: once past it no new measurement starts (the table says
// which were not taken), and 3 minutes later every process is stopped.
// Servers on CPU 0; dnsperf, the upstreams and this harness on CPU 1; only 127.0.0.1 is used.
// Appends the table, dated, to bench/RESULTS.md unless --no-write.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runFooter, runHeader } from './lib/header.mjs';
import { measure } from './lib/measure.mjs';
import { installCleanup, pinSelf, stopAll } from './lib/procs.mjs';
import { appendResults, fmt, ratio, table } from './lib/report.mjs';
import { cleanupDirs, CLIENT_CPU, preflight, startDnsmesh, startUnbound, tempDir, withFreshServer } from './lib/servers.mjs';
import { startDnsmeshForward, startForwardUpstream, startUnboundNoCache } from './scenarios/forward.mjs';
import { namesFile, startHitsUpstream, warmNames } from './scenarios/hits.mjs';
import { memoryPerEntry } from './scenarios/memory.mjs';
import { abuseServers, UNIQUE_QPS, uniqueFlood, uniqueUpstream } from './scenarios/unique.mjs';

const RESULTS = fileURLToPath(new URL('RESULTS.md', import.meta.url));
const FIGURES = ['p99', 'flood', 'warmflood', 'forward', 'memory'];
/** How long the warm flood warms the server up with other names first (s). */
const WARM_SECONDS = 5;
/** memory.mjs's default fill rate. */
const FILL_QPS = 10000;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '20000' },
    entries: { type: 'string', default: '100000,1000000' },
    'max-minutes': { type: 'string', default: '60' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const USAGE = 'usage: node bench/perf.mjs [p99] [flood] [warmflood] [forward] [memory] [--runs 2] [--seconds 10] [--rate 20000] [--entries 100000,1000000] [--max-minutes 60] [--no-write]\n';
if (values.help) { process.stdout.write(USAGE); process.exit(0); }
const figures = positionals.length > 0 ? positionals : FIGURES;
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const sizes = values.entries.split(',').map(Number);
const maxMinutes = Number(values['max-minutes']);
const bad = figures.filter((f) => !FIGURES.includes(f));
if (bad.length > 0 || !(runs >= 1) || !(seconds >= 1) || !(rate > 0) || !sizes.every((n) => n >= 1) || !(maxMinutes > 0)) {
  process.stderr.write(`perf: ${bad.length > 0 ? `unknown figure '${bad[0]}' (known: ${FIGURES.join(', ')})` : 'bad option value'}\n${USAGE}`);
  process.exit(2);
}
preflight('perf', ['dnsperf', 'unbound', 'taskset']);
/** The flood runs twice as long as the other runs (abuse.mjs's default is 20 s), at most 30 s. */
const floodSeconds = Math.min(30, 2 * seconds);
const log = (m) => process.stderr.write(`perf: ${m}\n`);

// ---- the figures ------------------------------------------------------------------------------
// Each measures one run: run(r) gives { dnsmesh, unbound } rows with `value` and a `note`.
// `met(dm, ub, ratio)` judges the goal on the medians and the median of the per-run ratios.
/**
 * The unique-name flood on a fresh server and upstream each run: `warm` 0 measures from the start
 * (the first seconds of a process, JIT compilation included), else after `warm` s of other names.
 */
function floodFigure(warm) {
  const what = warm > 0 ? `after a ${warm} s warm-up` : 'from a fresh start';
  return {
    rows: [
      { key: 'avgMs', label: `unique-name flood at ${fmt(UNIQUE_QPS)} qps ${what}: average latency (ms)`, digits: 2, goal: '≤ 2× Unbound', met: (dm, ub, x) => x <= 2 },
      { key: 'lossPct', label: `unique-name flood at ${fmt(UNIQUE_QPS)} qps ${what}: loss (%)`, digits: 2, goal: '≤ Unbound', met: (dm, ub) => dm <= ub },
    ],
    estimate: () => runs * 2 * (floodSeconds + warm + 7),
    async setup() {
      const pair = [abuseServers.unbound, abuseServers.dnsmesh];
      return {
        async run(r) {
          const out = {};
          for (const start of order(r, pair)) {
            const row = await withFreshServer(uniqueUpstream(floodSeconds, warm), start, (s, up) => {
              log(`${warm > 0 ? 'warm ' : ''}flood run ${r}: ${s.label}`);
              return uniqueFlood(s, up, floodSeconds, warm);
            });
            out[role(row)] = { ...row, note: `${fmt(row.qps)} qps answered, ${fmt(row.upstreamQueries)} upstream, RSS peak ${fmt(row.rssPeak)} MiB${row.rejects ? `, ${fmt(row.rejects)} max_concurrent REFUSED` : ''}` };
          }
          return out;
        },
        stop: async () => {},
      };
    },
  };
}
const order = (r, pair) => (r % 2 === 0 ? [...pair].reverse() : pair);
const k = `${rate / 1000}k`;
const FIGURE = {
  p99: {
    rows: [{ key: 'p99', label: `p99 latency at a fixed ${k} qps, cache hits (µs)`, digits: 0, goal: '≤ 1.5× Unbound', met: (dm, ub, x) => x <= 1.5 }],
    estimate: () => 2 * (runs * (seconds + 2) + 12),
    async setup() {
      const up = await startHitsUpstream();
      const file = namesFile(tempDir());
      const pair = [await startUnbound('unbound.conf', up.port), await startDnsmesh('dnsmesh-chain.Corefile', up.port)];
      for (const s of pair) await warmNames(s, file);
      // JIT: a short max-throughput pass each, so the fixed-rate runs see compiled code.
      for (const s of pair) await measure(s, up, { file, edns: true, seconds: Math.min(3, seconds) });
      return {
        async run(r) {
          const out = {};
          for (const s of order(r, pair)) {
            log(`p99 run ${r}: ${s.label}`);
            const m = await measure(s, up, { file, edns: true, seconds, qps: rate, latency: true });
            out[role(s)] = { server: s.label, p99: m.p99Us, note: `p50 ${fmt(m.p50Us)} µs, ${fmt(m.completed)} answered, ${fmt(m.lost)} lost, ${fmt(m.upstreamQueries)} upstream` };
          }
          return out;
        },
        stop: () => Promise.all([...pair, up].map((s) => s.stop())),
      };
    },
  },
  flood: floodFigure(0),
  warmflood: floodFigure(WARM_SECONDS),
  forward: {
    rows: [{ key: 'qpsPerCpu', label: 'forwarding, every answer TTL 0: qps per server CPU-second', digits: 0, goal: '≥ 1.0× Unbound', met: (dm, ub, x) => x >= 1 }],
    estimate: () => 2 * (runs * (seconds + 1) + 8),
    async setup() {
      const up = await startForwardUpstream();
      const file = namesFile(tempDir());
      const pair = [await startUnboundNoCache(up.port), await startDnsmeshForward(up.port)];
      for (const s of pair) await warmNames(s, file); // JIT and upstream sockets; nothing is cached
      return {
        async run(r) {
          const out = {};
          for (const s of order(r, pair)) {
            log(`forward run ${r}: ${s.label}`);
            const m = await measure(s, up, { file, edns: true, seconds });
            out[role(s)] = { server: s.label, qpsPerCpu: m.qpsPerCpu, note: `${fmt(m.qps)} qps, ${fmt(m.serverCpu, 2)} CPU-s, ${fmt(m.upstreamQueries)} upstream / ${fmt(m.completed)} answered` };
          }
          return out;
        },
        stop: () => Promise.all([...pair, up].map((s) => s.stop())),
      };
    },
  },
  memory: {
    rows: sizes.flatMap((n) => [
      { key: `perEntry${n}`, label: `RSS per cached entry at ${fmt(n)} entries (bytes)`, digits: 0, goal: '≤ 1.0× Unbound', met: (dm, ub, x) => x <= 1 },
      // The same fill's second half alone: what one more entry costs, whatever the idle server held.
      { key: `marginal${n}`, label: `RSS per entry, second half of the ${fmt(n)} fill (bytes)`, digits: 0, goal: '≤ 1.0× Unbound', met: (dm, ub, x) => x <= 1 },
    ]),
    estimate: () => runs * sizes.reduce((t, n) => t + 2 * (n / FILL_QPS + 8), 0),
    async setup() {
      return {
        async run(r) {
          const out = { dnsmesh: { note: [] }, unbound: { note: [] } };
          for (const n of sizes) {
            for (const row of await memoryPerEntry(n, order(r, ['unbound', 'dnsmesh']), { rate: FILL_QPS, log })) {
              const o = out[row.which];
              o.server = row.server;
              o[`perEntry${n}`] = row.perEntry;
              o[`marginal${n}`] = row.marginal;
              o.note.push(`${fmt(n)}: ${fmt(row.entries)} filled${row.budgetPerEntry === undefined ? '' : `, budget ${fmt(row.budgetPerEntry)} B/entry`}`);
            }
          }
          for (const o of Object.values(out)) o.note = o.note.join('; ');
          return out;
        },
        stop: async () => {},
      };
    },
  },
};
const role = (s) => (/^unbound/.test(s.label ?? s.server) ? 'unbound' : 'dnsmesh');

// ---- main -------------------------------------------------------------------------------------
const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim(); // before pinning
installCleanup();
pinSelf(CLIENT_CPU);
const started = new Date();
const deadline = started.getTime() + maxMinutes * 60_000;
const estimate = figures.reduce((t, f) => t + FIGURE[f].estimate(), 0);
log(`${figures.join(', ')}: ${runs} run(s) each, about ${fmt(estimate / 60, 1)} min on an idle machine (bound: ${maxMinutes} min)`);
if (estimate > maxMinutes * 60) log(`the estimate exceeds --max-minutes: the last measurements will not be taken`);
// Past the bound plus 3 minutes, stop every process: the measurement under way fails, the rest is skipped.
let killed = false;
const hardStop = setTimeout(() => { killed = true; log('time bound passed: stopping every process'); stopAll(); }, deadline - Date.now() + 180_000);

/** results[figure] = { runs: [{ dnsmesh, unbound } | undefined], error } */
const results = {};
for (const f of figures) {
  const res = { runs: [], error: undefined };
  results[f] = res;
  if (Date.now() > deadline || killed) continue;
  let fig;
  try {
    fig = await FIGURE[f].setup();
    for (let r = 1; r <= runs; r++) {
      if (Date.now() > deadline || killed) break;
      res.runs.push(await fig.run(r));
    }
  } catch (err) {
    res.error = killed ? 'stopped at the time bound' : String(err.message ?? err).split('\n')[0];
    log(`${f}: ${err.stack ?? err}`);
  } finally {
    await fig?.stop().catch(() => undefined);
  }
}
clearTimeout(hardStop);
await stopAll();
cleanupDirs();

// ---- the table --------------------------------------------------------------------------------
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const list = (xs, d) => (xs.length === 0 ? '-' : xs.map((x) => fmt(x, d)).join(', '));
const rows = [];
const notes = [];
for (const f of figures) {
  const res = results[f];
  for (const spec of FIGURE[f].rows) {
    const dm = res.runs.map((x) => x.dnsmesh?.[spec.key] ?? NaN);
    const ub = res.runs.map((x) => x.unbound?.[spec.key] ?? NaN);
    const perRun = dm.map((d, i) => d / ub[i]);
    const dmMed = median(dm);
    const ubMed = median(ub);
    const x = median(perRun);
    const have = Number.isFinite(dmMed) && Number.isFinite(ubMed);
    const met = have ? spec.met(dmMed, ubMed, x) : undefined;
    const missing = runs - res.runs.length;
    rows.push({
      figure: spec.label, goal: spec.goal,
      dm: list(dm, spec.digits), dmMed: fmt(dmMed, spec.digits),
      ub: list(ub, spec.digits), ubMed: fmt(ubMed, spec.digits),
      ratios: perRun.length > 0 && perRun.every((v) => Number.isFinite(v)) ? perRun.map((v) => ratio(v, 1)).join(', ') : '-',
      ratio: Number.isFinite(x) ? `${x.toFixed(2)}×` : '-',
      met: met === undefined ? `not measured (${res.error ?? 'time bound'})`
        : `${met ? '**met**' : '**not met**'}${missing > 0 ? ` (${res.runs.length} of ${runs} runs${res.error ? `: ${res.error}` : ', time bound'})` : ''}`,
    });
  }
  res.runs.forEach((x, i) => {
    for (const who of ['dnsmesh', 'unbound']) if (x[who]) notes.push({ figure: f, run: i + 1, server: x[who].server, note: x[who].note });
  });
}
const summary = table([
  ['figure', 'l', (r) => r.figure],
  ['dnsmesh per run', 'r', (r) => r.dm],
  ['dnsmesh median', 'r', (r) => r.dmMed],
  ['Unbound per run', 'r', (r) => r.ub],
  ['Unbound median', 'r', (r) => r.ubMed],
  ['dnsmesh ÷ Unbound per run', 'r', (r) => r.ratios],
  ['dnsmesh ÷ Unbound (median)', 'r', (r) => r.ratio],
  ['goal (issue 17)', 'l', (r) => r.goal],
  ['met', 'l', (r) => r.met],
], rows);
const detail = table([
  ['figure', 'l', (r) => r.figure],
  ['run', 'r', (r) => String(r.run)],
  ['server', 'l', (r) => r.server],
  ['what else the run saw', 'l', (r) => r.note],
], notes);
const head = runHeader({ title: `issue 17's figures (perf.mjs), ${runs} run(s)`, command: `node bench/perf.mjs ${process.argv.slice(2).join(' ')}`, nproc, started });
const how = `p99: dnsperf \`-Q ${rate} -v\` for ${seconds} s over 1000 cached names (dnsmesh-chain.Corefile, unbound.conf); `
  + `flood: ${fmt(UNIQUE_QPS)} qps of unique names for ${floodSeconds} s on a fresh server (dnsmesh-abuse.Corefile, unbound.conf); `
  + `warmflood: the same after ${WARM_SECONDS} s of other unique names at that rate; `
  + `forward: max throughput for ${seconds} s, TTL 0 (dnsmesh-forward.Corefile, unbound-nocache.conf); `
  + `memory: ${sizes.map((n) => fmt(n)).join(' and ')} names filled at ${fmt(FILL_QPS)} qps on a fresh server (dnsmesh-memory.Corefile, unbound-memory.conf). `
  + 'Servers one after another, reversed in even runs; the ratio is the median of the per-run ratios.';
const text = [head, how, summary, detail, runFooter(started)].join('\n\n');
process.stdout.write(`${text}\n`);
if (!values['no-write']) {
  appendResults(RESULTS, text);
  log(`appended to ${RESULTS}`);
}
if (Object.values(results).some((r) => r.error !== undefined)) process.exitCode = 1;
