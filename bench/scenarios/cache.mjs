// Scenario `cache` (issues 4, 9): cache hits. Unbound, dnsmesh (the production chain: prometheus,
// serve_stale, prefetch, cache, tcp_retry, forward; peers/dnsmesh-chain.Corefile), the Node
// ceiling and dnsmasq, all warmed with one pass, then for each query set a max-throughput run and a
// fixed-rate run (latency) per server, the servers one after another within the set (in reverse
// order in even rounds).
// Where dnsmesh runs on the batched UDP transport (@dnsmesh/udp-batch), a second dnsmesh on Node's
// dgram and a second ceiling on the batched transport join, so each dnsmesh has a ceiling on its own
// transport.
// The upstream truncates UDP answers over 512 bytes (as Consul does), so the 40-record name reaches
// every cache only through a TCP retry.
import { loadavg } from 'node:os';
import { query } from '@dnsmesh/testkit';
import { queryFile } from '../lib/dnsperf.mjs';
import { measure } from '../lib/measure.mjs';
import { cpuColumns, fmt, latencyColumns, ratio, table } from '../lib/report.mjs';
import {
  startBatchCeiling, startCeiling, startDnsmasq, startDnsmesh, startUnbound, tempDir,
} from '../lib/servers.mjs';
import { namesFile, startHitsUpstream, warmNames, ZONE } from './hits.mjs';

const BIG = `big.${ZONE}`;
/** The ceiling's fixed reply per query set: the size of what dnsmesh sends. */
const CEILING_REPLY = {
  hits: ['--name', `n0.${ZONE}`, '--answers', '1', '--edns'],
  // Uncompressed: the bench upstream (dns-packet) never compresses, and dnsmesh passes its bytes on.
  bigEdns: ['--name', BIG, '--answers', '40', '--edns', '--uncompressed'],
  bigPlain: ['--name', BIG, '--answers', '40', '--tc'],
};

export async function cache({ seconds, rate, rounds, log }) {
  const dir = tempDir();
  const hits = namesFile(dir);
  const big = queryFile(dir, 'big.txt', [`${BIG} A`]);
  const upstream = await startHitsUpstream();
  const started = [upstream];
  const start = async (p) => { const s = await p; if (s !== undefined) started.push(s); return s; };
  try {
    // role: what the row is for the ratios; caching: warmed, and checked for the big answer.
    const unbound = { ...await start(startUnbound('unbound.conf', upstream.port)), role: 'unbound', caching: true };
    const dnsmesh = { ...await start(startDnsmesh('dnsmesh-chain.Corefile', upstream.port)), caching: true };
    dnsmesh.role = dnsmesh.transport === 'batch' ? 'dnsmesh-batch' : 'dnsmesh-dgram';
    const servers = [unbound, dnsmesh];
    if (dnsmesh.transport === 'batch') {
      servers.push({ ...await start(startDnsmesh('dnsmesh-chain.Corefile', upstream.port, { dgram: true })), role: 'dnsmesh-dgram', caching: true });
    }
    const ceilings = {};
    for (const [set, flags] of Object.entries(CEILING_REPLY)) {
      ceilings[set] = [{ ...await start(startCeiling(flags)), role: 'ceiling-dgram' }];
      const batch = await start(startBatchCeiling(flags));
      if (batch !== undefined) ceilings[set].push({ ...batch, role: 'ceiling-batch' });
    }
    const dnsmasq = { ...await start(startDnsmasq(upstream.port, 10000)), role: 'dnsmasq', caching: true };
    const caching = [...servers, dnsmasq];

    log(`cache: warming ${caching.map((s) => s.label).join(', ')} (one pass over the names, one big query each way)`);
    const up0 = await upstream.count();
    for (const s of caching) {
      await warmNames(s, hits);
      await query(s.address, BIG, 'A', { edns: 4096, timeout: 3000 }).catch(() => undefined);
      await query(s.address, BIG, 'A', { timeout: 3000 }).catch(() => undefined);
    }
    const up1 = await upstream.count();
    const checks = await checkAnswers([...caching, ceilings.bigEdns[0]], ceilings.bigPlain[0]);

    const sets = [
      { key: 'hits', title: `cache hits: 1000 names (n0..n999.${ZONE} A, 1 record, TTL 3600), EDNS 4096`, file: hits, edns: true },
      { key: 'bigEdns', title: `big RRset: ${BIG} A (40 records, fetched over TCP), EDNS 4096`, file: big, edns: true },
      { key: 'bigPlain', title: `big RRset without EDNS: ${BIG} A, every server answers TC with an empty answer`, file: big, edns: false },
    ];
    const sections = [];
    const summary = [];
    for (let round = 1; round <= rounds; round++) {
      for (const set of sets) {
        const listed = [...servers, ...ceilings[set.key], dnsmasq];
        const load = loadavg()[0];
        // Even rounds go in reverse order, so a steady drift does not always favour the same server.
        const order = round % 2 === 0 ? [...listed].reverse() : listed;
        const byRole = {};
        for (const s of order) {
          log(`cache round ${round}, ${set.key}: ${s.label}`);
          const max = await measure(s, upstream, { file: set.file, edns: set.edns, seconds });
          const lat = await measure(s, upstream, { file: set.file, edns: set.edns, seconds, qps: rate, latency: true });
          byRole[s.role] = { ...max, role: s.role, lat };
        }
        const rows = listed.map((s) => byRole[s.role]);
        sections.push(render(set, rows, byRole, { round, rounds, seconds, rate, load }));
        summary.push({ set: set.key, round, byRole });
      }
    }
    const warm = `Warm-up: one dnsperf pass over the 1000 names and one ${BIG} query with and without EDNS per caching server; the upstream received ${fmt(up1.count - up0.count)} queries (${fmt(up1.tcp - up0.tcp)} over TCP) during it.`;
    return [warm, checks, ...sections, renderSummary(summary, rounds)].join('\n\n');
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}

/** What each server answers for the big name with and without EDNS (after the warm-up). */
async function checkAnswers(servers, ceilingTc) {
  const one = async (s, edns) => {
    try {
      const r = await query(s.address, BIG, 'A', edns ? { edns: 4096, timeout: 3000 } : { timeout: 3000 });
      return `${r.rcode}${r.flags.tc ? ' TC' : ''}, ${r.answers.length} answers, ${r.size} B`;
    } catch (e) { return `no reply (${e.message.split('\n')[0]})`; }
  };
  const rows = [];
  for (const s of servers) {
    rows.push({ label: s.label, edns: await one(s, true), plain: s.caching ? await one(s, false) : await one(ceilingTc, false) });
  }
  return `Answers for ${BIG} A after the warm-up (the ceiling's are its fixed replies):\n\n${table([
    ['server', 'l', (r) => r.label],
    ['EDNS 4096', 'l', (r) => r.edns],
    ['no EDNS', 'l', (r) => r.plain],
  ], rows)}`;
}

function render(set, rows, byRole, { round, rounds, seconds, rate, load }) {
  const u = byRole.unbound;
  const cmd = u.command.replace(/-p \d+ -d \S+/, '-p PORT -d FILE');
  const k = `${rate / 1000}k`;
  const abs = table([
    ...cpuColumns(),
    ...latencyColumns(rate),
    ['upstream queries (max run / fixed run)', 'r', (r) => `${fmt(r.upstreamQueries)} / ${fmt(r.lat.upstreamQueries)}`],
    ['lost (max / fixed)', 'r', (r) => `${fmt(r.lost)} / ${fmt(r.lat.lost)}`],
    ['dnsperf CPU %', 'r', (r) => fmt((100 * r.clientCpu) / r.runTime)],
  ], rows);
  const rel = table([
    ['server', 'l', (r) => r.server],
    ['qps × U', 'r', (r) => ratio(r.qps, u.qps)],
    ['CPU-s × U', 'r', (r) => ratio(r.serverCpu, u.serverCpu)],
    ['qps/CPU-s × U', 'r', (r) => ratio(r.qpsPerCpu, u.qpsPerCpu)],
    ['p50 × U', 'r', (r) => ratio(r.lat.p50Us, u.lat.p50Us)],
    ['p99 × U', 'r', (r) => ratio(r.lat.p99Us, u.lat.p99Us)],
    [`CPU @${k} × U`, 'r', (r) => ratio(r.lat.serverCpu, u.lat.serverCpu)],
  ], rows);
  return `### ${set.title}${rounds > 1 ? ` (round ${round} of ${rounds})` : ''}\n\n`
    + `Max: \`${cmd}\` (${seconds} s); fixed rate: the same with \`-Q ${rate} -v\` (p50/p99 from every query's latency). `
    + `Servers one after another${round % 2 === 0 ? ', in reverse order' : ''}; 1-minute load average ${load.toFixed(2)} when the set started. `
    + `Ratios are to Unbound (U) in the same run.\n\n${abs}\n\n${rel}\n\n${goals(byRole).map((g) => `- ${g}`).join('\n')}`;
}

/** dnsmesh's qps per CPU-second against the ceilings (issue 4's goal: at least 0.8× the dgram ceiling). */
function goals(by) {
  const lines = [];
  const q = (role) => by[role]?.qpsPerCpu;
  if (by['dnsmesh-batch']) {
    lines.push(`dnsmesh (batch) ÷ node ceiling (dgram): **${ratio(q('dnsmesh-batch'), q('ceiling-dgram'))}** (issue 4's goal: ≥ 0.80×)`);
    if (by['ceiling-batch']) lines.push(`dnsmesh (batch) ÷ node ceiling (batch): **${ratio(q('dnsmesh-batch'), q('ceiling-batch'))}** (same transport)`);
  }
  lines.push(`dnsmesh (dgram) ÷ node ceiling (dgram): **${ratio(q('dnsmesh-dgram'), q('ceiling-dgram'))}**${by['dnsmesh-batch'] ? ' (same transport)' : " (issue 4's goal: ≥ 0.80×)"}`);
  return lines;
}

function renderSummary(summary, rounds) {
  const rows = summary.map(({ set, round, byRole }) => ({ set: rounds > 1 ? `${set} (round ${round})` : set, by: byRole }));
  const q = (r, role) => r.by[role]?.qpsPerCpu;
  const haveBatch = rows.some((r) => r.by['dnsmesh-batch']);
  const haveBatchCeiling = rows.some((r) => r.by['ceiling-batch']);
  const cols = [['query set', 'l', (r) => r.set]];
  if (haveBatch) {
    cols.push(['dnsmesh (batch) ÷ ceiling (dgram)', 'r', (r) => ratio(q(r, 'dnsmesh-batch'), q(r, 'ceiling-dgram'))]);
    if (haveBatchCeiling) cols.push(['dnsmesh (batch) ÷ ceiling (batch)', 'r', (r) => ratio(q(r, 'dnsmesh-batch'), q(r, 'ceiling-batch'))]);
    cols.push(['dnsmesh (batch) ÷ Unbound', 'r', (r) => ratio(q(r, 'dnsmesh-batch'), q(r, 'unbound'))]);
  }
  cols.push(
    ['dnsmesh (dgram) ÷ ceiling (dgram)', 'r', (r) => ratio(q(r, 'dnsmesh-dgram'), q(r, 'ceiling-dgram'))],
    ['dnsmesh (dgram) ÷ Unbound', 'r', (r) => ratio(q(r, 'dnsmesh-dgram'), q(r, 'unbound'))],
    ['ceiling (dgram) ÷ Unbound', 'r', (r) => ratio(q(r, 'ceiling-dgram'), q(r, 'unbound'))],
  );
  if (haveBatchCeiling) cols.push(['ceiling (batch) ÷ Unbound', 'r', (r) => ratio(q(r, 'ceiling-batch'), q(r, 'unbound'))]);
  cols.push(
    ['dnsmasq ÷ Unbound', 'r', (r) => ratio(q(r, 'dnsmasq'), q(r, 'unbound'))],
    ['dnsmesh upstream queries', 'r', (r) => fmt(['dnsmesh-batch', 'dnsmesh-dgram'].reduce((a, k) => a + (r.by[k] ? r.by[k].upstreamQueries + r.by[k].lat.upstreamQueries : 0), 0))],
  );
  return `### Summary: qps per server CPU-second\n\n${table(cols, rows)}`;
}
