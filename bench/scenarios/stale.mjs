// Scenario `stale` (issue 5): the serve-stale story, scaled down. The upstream answers every query
// after 3 s with a 3 s TTL (the story's 30 s, scaled down), so it is slower than the TTL: without
// serve-stale every client that comes after an expiry waits 3 s. A steady client load (200 queries a
// second over 20 names for 60 s, each with 5 s to be answered) goes to dnsmesh (cache, prefetch,
// serve_stale with client_timeout 500ms, forward) and to Unbound (prefetch, serve-expired with
// serve-expired-client-timeout 500), one after another, in two variants: the upstream slow all along,
// and the upstream going dark (a blackhole: queries received, never answered) halfway through, when
// stale answers must keep flowing. Each run gets a fresh upstream and a fresh server, warmed with one
// query per name (each answered after the upstream's 3 s).
import { loadavg } from 'node:os';
import { query } from '@dnsmesh/testkit';
import { pacedLoad, summarize } from '../lib/paced-client.mjs';
import { fmt, ratio, table } from '../lib/report.mjs';
import { startDnsmesh, startUnbound } from '../lib/servers.mjs';
import { startSlowUpstream } from '../lib/slow-upstream.mjs';

const ZONE = 'bench.example';
const NAMES = 20;
const TTL = 3;              // s: the story's 30 s, scaled down
const DELAY = 3000;         // ms before the upstream answers
const RATE = 200;           // client queries a second
const SECONDS = 60;         // of client load per run
const TIMEOUT = 5000;       // ms the client waits for each answer
const BUCKET = 5;           // s per row of the timelines

const SERVERS = [
  { role: 'unbound', start: (up) => startUnbound('unbound-stale.conf', up.port, 'unbound (serve-expired)') },
  { role: 'dnsmesh', start: (up) => startDnsmesh('dnsmesh-stale.Corefile', up.port) },
];

export async function stale({ rounds, log, duration = SECONDS }) {
  const names = Array.from({ length: NAMES }, (_, i) => `n${i}.${ZONE}`);
  const variants = [
    { key: 'slow', title: `upstream slow (every answer after ${DELAY / 1000} s) all along`, darkAt: undefined },
    { key: 'dark', title: `upstream slow, then dark (blackhole) from ${duration / 2} s`, darkAt: duration / 2 },
  ];
  const sections = [];
  for (let round = 1; round <= rounds; round++) {
    for (const variant of variants) {
      const load = loadavg()[0];
      const order = round % 2 === 0 ? [...SERVERS].reverse() : SERVERS;
      const runs = {};
      for (const s of order) {
        log(`stale round ${round}, ${variant.key}: ${s.role} (${duration} s of load)`);
        runs[s.role] = await runOne(s, variant, names, duration);
      }
      sections.push(render(variant, SERVERS.map((s) => runs[s.role]), { round, rounds, load, duration }));
    }
  }
  return sections.join('\n\n');
}

/** One server in one variant: fresh upstream, fresh server, warm-up, then the load. */
async function runOne(spec, variant, names, duration) {
  const upstream = await startSlowUpstream({ zone: ZONE, names: NAMES, ttl: TTL, delay: DELAY });
  let server;
  try {
    server = await spec.start(upstream);
    // Warm-up: each name once, all at once; each answer takes the upstream's 3 s. Names without a
    // NOERROR are asked again (up to 4 passes): Unbound times out on a 3 s upstream until its
    // RTT estimate for it has grown past 3 s.
    const w0 = Date.now();
    let todo = names;
    let passes = 0;
    let warm = [];
    while (todo.length > 0 && passes < 4) {
      passes++;
      warm = await Promise.all(todo.map((n) => query(server.address, n, 'A', { edns: 1232, timeout: 10000 })
        .then((r) => ({ n, rcode: r.rcode }), () => ({ n, rcode: 'no reply' }))));
      todo = warm.filter((w) => w.rcode !== 'NOERROR').map((w) => w.n);
    }
    const warmMs = Date.now() - w0;
    const up0 = await upstream.count();
    const cpu0 = server.cpu();
    let upMid;
    const marks = variant.darkAt === undefined ? [] : [{
      at: variant.darkAt,
      run: async () => { upMid = await upstream.count(); await upstream.blackhole(true); },
    }];
    const res = await pacedLoad(server.port, { names, rate: RATE, seconds: duration, timeoutMs: TIMEOUT, marks });
    const cpu1 = server.cpu();
    const up1 = await upstream.count();
    const phases = variant.darkAt === undefined
      ? [{ label: `0-${duration} s`, from: 0, to: Infinity, up: diff(up1, up0) }]
      : [
        { label: `0-${variant.darkAt} s (slow)`, from: 0, to: variant.darkAt, up: diff(upMid, up0) },
        { label: `${variant.darkAt}-${duration} s (dark)`, from: variant.darkAt, to: Infinity, up: diff(up1, upMid) },
      ];
    for (const p of phases) {
      p.sum = summarize(res.records.filter((r) => r.sentMs >= p.from * 1000 && r.sentMs < p.to * 1000), { freshTtl: TTL });
    }
    const buckets = [];
    for (let t = 0; t < duration; t += BUCKET) {
      const to = t + BUCKET >= duration ? Infinity : (t + BUCKET) * 1000;
      buckets.push({ from: t, sum: summarize(res.records.filter((r) => r.sentMs >= t * 1000 && r.sentMs < to), { freshTtl: TTL }) });
    }
    return {
      server: server.label, role: spec.role, phases, buckets, late: res.late,
      warm: { ms: warmMs, passes, missing: todo.length },
      serverCpu: cpu1 - cpu0,
    };
  } finally {
    await server?.stop();
    await upstream.stop();
  }
}

const diff = (a, b) => (a === undefined || b === undefined ? { zone: NaN, other: NaN } : { zone: a.zone - b.zone, other: a.other - b.other });

function render(variant, runs, { round, rounds, load, duration }) {
  const rows = runs.flatMap((r) => r.phases.map((p) => ({ ...p.sum, server: r.server, role: r.role, phase: p.label, up: p.up, run: r })));
  const ms = (x) => fmt(x, x < 10 ? 1 : 0);
  const abs = table([
    ['server', 'l', (r) => r.server],
    ['queries sent', 'l', (r) => r.phase],
    ['sent', 'r', (r) => fmt(r.sent)],
    ['answered', 'r', (r) => fmt(r.answered)],
    ['lost', 'r', (r) => fmt(r.lost)],
    ['NOERROR', 'r', (r) => fmt(r.noerror)],
    ['of which stale', 'r', (r) => fmt(r.stale)],
    ['SERVFAIL', 'r', (r) => fmt(r.servfail)],
    ['other rcodes', 'l', (r) => r.otherRcodes || '-'],
    ['p50 ms', 'r', (r) => ms(r.p50)],
    ['p99 ms', 'r', (r) => ms(r.p99)],
    ['max ms', 'r', (r) => ms(r.max)],
    ['answers > 1 s', 'r', (r) => fmt(r.slow)],
    ['upstream queries (names / other)', 'r', (r) => `${fmt(r.up.zone)} / ${fmt(r.up.other)}`],
  ], rows);
  const u = rows.filter((r) => r.role === 'unbound');
  const rel = table([
    ['queries sent', 'l', (r) => r.phase],
    ['p50 dnsmesh ÷ U', 'r', (r) => ratio(r.p50, u.find((x) => x.phase === r.phase)?.p50)],
    ['p99 dnsmesh ÷ U', 'r', (r) => ratio(r.p99, u.find((x) => x.phase === r.phase)?.p99)],
    ['max dnsmesh ÷ U', 'r', (r) => ratio(r.max, u.find((x) => x.phase === r.phase)?.max)],
    ['upstream queries dnsmesh ÷ U', 'r', (r) => ratio(r.up.zone, u.find((x) => x.phase === r.phase)?.up.zone)],
  ], rows.filter((r) => r.role === 'dnsmesh'));
  // Timeline: per 5 s of send time, each server's answers (stale) / SERVFAIL / lost and its max latency.
  const timeline = table([
    ['sent at', 'l', (b) => `${b.from}-${b.from + BUCKET} s${variant.darkAt !== undefined && b.from >= variant.darkAt ? ' (dark)' : ''}`],
    ...runs.map((r, i) => [`${r.role}: answered (stale) / SERVFAIL / lost, max ms`, 'r', (b) => {
      const s = r.buckets[b.i].sum;
      return `${fmt(s.answered)} (${fmt(s.stale)}) / ${fmt(s.servfail)} / ${fmt(s.lost)}, ${ms(s.max)}`;
    }]),
  ], runs[0].buckets.map((b, i) => ({ ...b, i })));
  const warm = runs.map((r) => `${r.server} ${fmt(r.warm.ms / 1000, 1)} s in ${r.warm.passes} pass${r.warm.passes > 1 ? 'es' : ''}`
    + `${r.warm.missing > 0 ? `, ${r.warm.missing} names still without an answer` : ''}`).join('; ');
  const extra = runs.map((r) => `${r.server}: server CPU ${fmt(r.serverCpu, 2)} s, ${fmt(r.late)} replies after the client's timeout`).join('; ');
  return `### stale: ${variant.title}${rounds > 1 ? ` (round ${round} of ${rounds})` : ''}\n\n`
    + `Upstream: ${NAMES} names (n0..n${NAMES - 1}.${ZONE} A), TTL ${TTL} s, every answer after ${DELAY / 1000} s`
    + `${variant.darkAt !== undefined ? `, no answer at all from ${variant.darkAt} s of the load on` : ''}. `
    + `Client: ${RATE} queries/s for ${duration} s round-robin over the names (EDNS 1232), ${TIMEOUT / 1000} s timeout each (lost after it). `
    + `Servers one after another${round % 2 === 0 ? ' (in reverse order)' : ''}, each with a fresh upstream, warmed with one query per name `
    + `(warm-up took: ${warm}); 1-minute load average ${load.toFixed(2)} when the set started. `
    + `"stale" = a NOERROR answer with TTL above ${TTL} s (the stale reply TTL, 30 s on both) or an EDE 3 (Stale Answer); `
    + `upstream queries "other" are forward's health probes. Latencies are per query, sent to answered, at the client.\n\n`
    + `${abs}\n\n${rel}\n\n${timeline}\n\n${extra}.`;
}
