// Scenario `metrics-cost` (issue 7): what `prometheus` (always on in production) and `log` (when on)
// cost on the cache-hit path. Three dnsmesh servers from the `cache` scenario's Corefile
// (peers/dnsmesh-cache.Corefile: cache, tcp_retry, forward): as it is ("plain"), with `prometheus`
// added, and with `prometheus` and `log` added. Each server's stdout (the query log) goes to a file
// (sh -c 'exec node ... >FILE', so the harness never reads it); its growth is reported. The `cache`
// scenario's method: 1000 names, warmed with one pass, dnsmesh pinned to CPU 0, dnsperf to CPU 1; per
// server a max-throughput run (qps per server CPU-second) and a fixed-rate run (-Q rate -v: CPU at
// that rate, p50/p99). Every server is measured twice per round (the second pass in reverse order),
// and every figure is given as a ratio to the plain server's in the same pass.
import { loadavg } from 'node:os';
import { dnsperf, queryFile } from '../lib/dnsperf.mjs';
import { startDnsmeshExtra } from '../lib/dnsmesh-extra.mjs';
import { measure } from '../lib/measure.mjs';
import { cpuColumns, fmt, latencyColumns, ratio, table } from '../lib/report.mjs';
import { startUpstream, tempDir } from '../lib/servers.mjs';

const NAMES = 1000;
const ZONE = 'bench.example';
const PASSES = 2;
const JIT_SECONDS = 5;

const CONFIGS = [
  { key: 'plain', label: 'plain', extra: () => [] },
  { key: 'prom', label: '+ prometheus', extra: ({ metricsPort }) => [`prometheus 127.0.0.1:${metricsPort}`] },
  { key: 'promlog', label: '+ prometheus + log', extra: ({ metricsPort }) => [`prometheus 127.0.0.1:${metricsPort}`, 'log'] },
];

export async function metricsCost({ seconds, rate, rounds, log }) {
  const dir = tempDir();
  const hits = queryFile(dir, 'names.txt', Array.from({ length: NAMES }, (_, i) => `n${i}.${ZONE} A`));
  const upstream = await startUpstream({ zone: ZONE, names: NAMES, ttl: 3600, bigTtl: 3600, bigRecords: 40, truncateUdpAt: 512 });
  const started = [upstream];
  try {
    const servers = [];
    for (const c of CONFIGS) {
      const s = await startDnsmeshExtra('dnsmesh-cache.Corefile', upstream.port, { extra: c.extra, label: `dnsmesh ${c.label}` });
      started.push(s);
      servers.push({ ...s, key: c.key, config: c.label });
    }
    log(`metrics-cost: warming ${servers.map((s) => s.label).join(', ')} (one pass over the names, then ${JIT_SECONDS} s at full load)`);
    const up0 = await upstream.count();
    for (const s of servers) await dnsperf(s.port, { file: hits, edns: true, runs: 1, seconds: 30 });
    const up1 = await upstream.count();
    // A few seconds of full load per server before anything is measured, so the first measured run
    // of each is not also its JIT warm-up (the effects looked for are ~10%).
    for (const s of servers) await dnsperf(s.port, { file: hits, edns: true, seconds: JIT_SECONDS });

    const passes = [];
    for (let round = 1; round <= rounds; round++) {
      for (let pass = 1; pass <= PASSES; pass++) {
        const load = loadavg()[0];
        const order = pass % 2 === 0 ? [...servers].reverse() : servers;
        const by = {};
        for (const s of order) {
          log(`metrics-cost round ${round}, pass ${pass}: ${s.label}`);
          const m0 = await requestsCounted(s);
          const b0 = s.stdoutBytes();
          const max = await measure(s, upstream, { file: hits, edns: true, seconds });
          const b1 = s.stdoutBytes();
          const lat = await measure(s, upstream, { file: hits, edns: true, seconds, qps: rate, latency: true });
          const b2 = s.stdoutBytes();
          const m1 = await requestsCounted(s);
          by[s.key] = {
            ...max, key: s.key, config: s.config, lat,
            logBytes: b1 - b0, latLogBytes: b2 - b1,
            counted: m0 === undefined ? undefined : m1 - m0,
          };
        }
        passes.push({ round, pass, load, rows: servers.map((s) => by[s.key]) });
      }
    }
    const head = `Servers: ${servers.map((s) => `${s.label} (\`${s.corefile.split('\n').filter((l) => /^\s+(prometheus|log)\b/.test(l)).map((l) => l.trim().replace(/:\d+$/, ':PORT')).join('`, `') || 'peers/dnsmesh-cache.Corefile'}\`)`).join(', ')}; `
      + `each one's stdout to a file. Warm-up: one dnsperf pass over the ${NAMES} names per server (the upstream received ${fmt(up1.count - up0.count)} queries during it), then ${JIT_SECONDS} s of max-throughput load each, not measured.`;
    return [head, ...passes.map((p) => render(p, { rounds, seconds, rate })), renderSummary(passes, rounds)].join('\n\n');
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}

/** dnsmesh_dns_requests_total summed over its labels, from /metrics; undefined without prometheus. */
async function requestsCounted(s) {
  if (s.key === 'plain') return undefined;
  const text = await s.scrape();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^dnsmesh_dns_requests_total(?:\{[^}]*\})?\s+([\d.e+]+)/.exec(line);
    if (m) sum += Number(m[1]);
  }
  return sum;
}

function render({ round, pass, load, rows }, { rounds, seconds, rate }) {
  const p = rows[0];
  const cmd = p.command.replace(/-p \d+ -d \S+/, '-p PORT -d FILE');
  const k = `${rate / 1000}k`;
  const abs = table([
    ...cpuColumns(2),
    ...latencyColumns(rate),
    ['log bytes / query (max / fixed)', 'r', (r) => `${fmt(r.logBytes / r.completed)} / ${fmt(r.latLogBytes / r.lat.completed)}`],
    ['log MB (max + fixed)', 'r', (r) => fmt((r.logBytes + r.latLogBytes) / 1e6, 1)],
    ['counted by /metrics ÷ answered', 'r', (r) => (r.counted === undefined ? '-' : ratio(r.counted, r.completed + r.lat.completed))],
    ['upstream queries', 'r', (r) => fmt(r.upstreamQueries + r.lat.upstreamQueries)],
    ['lost (max / fixed)', 'r', (r) => `${fmt(r.lost)} / ${fmt(r.lat.lost)}`],
    ['dnsperf CPU %', 'r', (r) => fmt((100 * r.clientCpu) / r.runTime)],
  ], rows);
  const rel = table([
    ['server', 'l', (r) => r.server],
    ['qps/CPU-s × plain', 'r', (r) => ratio(r.qpsPerCpu, p.qpsPerCpu)],
    ['µs CPU / query − plain', 'r', (r) => (r === p ? '-' : `${r.usPerQuery - p.usPerQuery >= 0 ? '+' : ''}${fmt(r.usPerQuery - p.usPerQuery, 2)}`)],
    ['qps × plain', 'r', (r) => ratio(r.qps, p.qps)],
    [`CPU @${k} × plain`, 'r', (r) => ratio(r.lat.serverCpu, p.lat.serverCpu)],
    [`p50 @${k} × plain`, 'r', (r) => ratio(r.lat.p50Us, p.lat.p50Us)],
    [`p99 @${k} × plain`, 'r', (r) => ratio(r.lat.p99Us, p.lat.p99Us)],
  ], rows);
  const title = `### metrics-cost: cache hits, 1000 names, EDNS 4096 (${rounds > 1 ? `round ${round}, ` : ''}pass ${pass} of ${PASSES})`;
  return `${title}\n\nMax: \`${cmd}\` (${seconds} s); fixed rate: the same with \`-Q ${rate} -v\`. `
    + `Servers one after another${pass % 2 === 0 ? ', in reverse order' : ''}; 1-minute load average ${load.toFixed(2)} when the pass started. `
    + `Ratios are to the plain server (peers/dnsmesh-cache.Corefile as it is) in the same pass.\n\n${abs}\n\n${rel}`;
}

function renderSummary(passes, rounds) {
  const keys = CONFIGS.map((c) => c.key).filter((k) => k !== 'plain');
  const rows = passes.map((p) => ({ label: rounds > 1 ? `round ${p.round}, pass ${p.pass}` : `pass ${p.pass}`, by: Object.fromEntries(p.rows.map((r) => [r.key, r])) }));
  const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '-');
  const plus = (x) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${fmt(x, 2)}` : '-');
  const figures = [
    ['qps/CPU-s × plain', (by, k) => by[k].qpsPerCpu / by.plain.qpsPerCpu, times],
    ['µs CPU/query − plain', (by, k) => by[k].usPerQuery - by.plain.usPerQuery, plus],
    ['CPU at the fixed rate × plain', (by, k) => by[k].lat.serverCpu / by.plain.lat.serverCpu, times],
  ];
  const mean = (f) => rows.reduce((a, r) => a + f(r.by), 0) / rows.length;
  const cols = [['pass', 'l', (r) => r.label]];
  for (const k of keys) {
    const name = CONFIGS.find((c) => c.key === k).label;
    for (const [h, f, show] of figures) {
      cols.push([`${name}: ${h}`, 'r', (r) => (r.mean ? `**${show(mean((by) => f(by, k)))}**` : show(f(r.by, k)))]);
    }
  }
  return `### Summary: cost of prometheus and log on cache hits (to the plain server in the same pass)\n\n${table(cols, [...rows, { label: '**mean**', mean: true }])}`;
}
