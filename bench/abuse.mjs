#!/usr/bin/env node
// Issue 15's hostile-client rows, dnsmesh and Unbound side by side in one run (after `npm run build`):
//
//   node bench/abuse.mjs [pipeline] [slowloris] [silent] [unique] [--seconds 20] [--no-write]
//
// Rows (each bounded: a row is at most ~`--seconds` per server):
//   pipeline   one TCP client pipelines 30,000 queries for a ~62 KB answer and never reads: server RSS
//              before / peak / 2 s after the client closed; UDP latency of another client meanwhile
//   slowloris  1,200 TCP connections (from 24 source addresses, 50 each) send a byte every 5 s and
//              reconnect 5 s after being closed; meanwhile a new client (127.0.0.2) asks over TCP
//              every 0.5 s: answered / refused or reset / timed out
//   silent     dnsperf floods unique names at 5,000 qps while the upstream never answers: peak open
//              descriptors and RSS of the server
//   unique     dnsperf sends unique names (all answered by the upstream) at 8,000 qps: average
//              latency, loss, RSS at the end
// Servers are pinned to CPU 0, the upstream, dnsperf and this harness to CPU 1; everything is on
// 127.0.0.0/8; every process is stopped at the end. Appends a dated section to bench/RESULTS.md.
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildQuery } from '@dnsmesh/testkit';
import { dnsperf, queryFile } from './lib/dnsperf.mjs';
import { metricSeries } from './lib/metrics.mjs';
import { installCleanup, peakSampler as sampler, pinSelf, rssBytes, sleep, stopAll } from './lib/procs.mjs';
import { appendResults, fmt, table } from './lib/report.mjs';
import { CLIENT_CPU, cleanupDirs, tempDir, versions, withFreshServer } from './lib/servers.mjs';
import { abuseServers, uniqueFlood, uniqueUpstream } from './scenarios/unique.mjs';

const RESULTS = fileURLToPath(new URL('RESULTS.md', import.meta.url));
const ROWS = ['pipeline', 'slowloris', 'silent', 'unique'];
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string', default: '20' }, 'no-write': { type: 'boolean', default: false } },
});
const rows = positionals.length > 0 ? positionals : ROWS;
for (const r of rows) if (!ROWS.includes(r)) { process.stderr.write(`abuse: unknown row '${r}' (${ROWS.join(', ')})\n`); process.exit(2); }
const SECONDS = Math.min(30, Math.max(5, Number(values.seconds)));
const log = (m) => process.stderr.write(`abuse: ${m}\n`);

const rssMb = (pid) => rssBytes(pid) / 1048576;
const fds = (pid) => { try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return NaN; } };

/** Sends a UDP query for `name` every `every` ms until stopped; latencies (ms) and losses (2 s). */
function udpProbe(port, name, every = 20) {
  const socket = dgram.createSocket('udp4');
  const sent = new Map();
  const lat = [];
  let id = 0;
  let lost = 0;
  socket.on('message', (m) => {
    const at = sent.get(m.readUInt16BE(0));
    if (at !== undefined) { sent.delete(m.readUInt16BE(0)); lat.push(performance.now() - at); }
  });
  const timer = setInterval(() => {
    const now = performance.now();
    for (const [k, at] of sent) if (now - at > 2000) { sent.delete(k); lost++; }
    id = (id + 1) & 0xffff;
    sent.set(id, now);
    socket.send(buildQuery(name, 'A', { id }), port, '127.0.0.1');
  }, every);
  return {
    async stop() {
      clearInterval(timer);
      await sleep(300);
      lost += sent.size;
      socket.close();
      const s = Float64Array.from(lat).sort();
      const pct = (p) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]);
      return { answered: s.length, lost, p50: pct(0.5), p99: pct(0.99), max: s.length === 0 ? NaN : s[s.length - 1] };
    },
  };
}

/** One TCP query from `localAddress`: 'answered', 'refused' (reset or closed before a reply) or 'timeout'. */
function tcpAsk(port, name, localAddress, timeout = 2000) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    let buf = Buffer.alloc(0);
    const done = (r) => { clearTimeout(timer); s.destroy(); resolve(r); };
    const timer = setTimeout(() => done('timeout'), timeout);
    s.on('connect', () => {
      const q = buildQuery(name, 'A');
      const f = Buffer.alloc(q.length + 2);
      f.writeUInt16BE(q.length, 0);
      q.copy(f, 2);
      s.write(f);
    });
    s.on('data', (c) => { buf = Buffer.concat([buf, c]); if (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) done('answered'); });
    s.on('error', () => done('refused'));
    s.on('close', () => done('refused'));
  });
}

const metric = (server, name) => metricSeries(server.metricsPort, name);

const servers = abuseServers;

async function each(spec, run) {
  const out = [];
  const { silent: goSilent, ...upSpec } = spec;
  for (const start of Object.values(servers)) {
    out.push(await withFreshServer(upSpec, start, async (server, up) => {
      if (goSilent) { up.child.send({ cmd: 'blackhole', on: true }); await sleep(200); } // once the server answers
      log(`${server.label}: ${run.name}`);
      return run(server, up);
    }));
  }
  return out;
}

// ---- row: pipeline and never read -------------------------------------------------------------
async function pipeline(server) {
  const name = 'big.bench.example';
  await tcpAsk(server.port, name, '127.0.0.3', 5000);            // warm: the answer is cached
  await tcpAsk(server.port, 'n1.bench.example', '127.0.0.3');
  const before = rssMb(server.pid);
  const rss = sampler(() => rssMb(server.pid));
  const probe = udpProbe(server.port, 'n1.bench.example');
  const attacker = net.connect({ host: '127.0.0.1', port: server.port });
  attacker.on('error', () => {});
  await new Promise((r) => attacker.once('connect', r));
  attacker.pause();                                              // never reads
  const q = buildQuery(name, 'A', { id: 1 });
  const frame = Buffer.alloc(q.length + 2);
  frame.writeUInt16BE(q.length, 0);
  q.copy(frame, 2);
  attacker.write(Buffer.concat(Array.from({ length: 30_000 }, () => frame)));
  await sleep(Math.min(SECONDS, 10) * 1000);
  const other = await tcpAsk(server.port, name, '127.0.0.2', 3000);
  const during = await probe.stop();
  attacker.destroy();
  await sleep(2000);
  const peak = rss.stop();
  return { before, peak, after: rssMb(server.pid), other, udp: during };
}

// ---- row: slowloris --------------------------------------------------------------------------
async function slowloris(server) {
  await tcpAsk(server.port, 'n1.bench.example', '127.0.0.3');    // warm
  const conns = new Set();
  let stopped = false;
  let opened = 0;
  const open = (addr) => {
    if (stopped) return;
    const s = net.connect({ host: '127.0.0.1', port: server.port, localAddress: addr });
    opened++;
    conns.add(s);
    s.on('error', () => {});
    s.on('close', () => { conns.delete(s); if (!stopped) setTimeout(() => open(addr), 5000); });
  };
  for (let i = 0; i < 1200; i++) open(`127.0.1.${1 + (i % 24)}`);
  await sleep(1000);
  const trickle = setInterval(() => { for (const s of conns) if (s.writable) s.write(Buffer.from([0])); }, 5000);
  for (const s of conns) if (s.writable) s.write(Buffer.from([0]));
  await sleep(1000);
  const held = conns.size;
  const results = { answered: 0, refused: 0, timeout: 0 };
  const n = Math.max(10, Math.floor((SECONDS - 2) * 2));
  for (let i = 0; i < n; i++) {
    results[await tcpAsk(server.port, `n${i % 1000}.bench.example`, '127.0.0.2')]++;
    await sleep(500);
  }
  stopped = true;
  clearInterval(trickle);
  const fdPeak = fds(server.pid);
  for (const s of conns) s.destroy();
  const closed = await metric(server, 'dnsmesh_tcp_closed_total');
  return { held, opened, asked: n, ...results, fds: fdPeak, closed };
}

// ---- row: unique names at a silent upstream ----------------------------------------------------
async function silent(server) {
  const dir = tempDir();
  const file = queryFile(dir, 'silent.txt', Array.from({ length: 200_000 }, (_, i) => `s${i}.silent.example A`));
  const fd = sampler(() => fds(server.pid), 50);
  const rss = sampler(() => rssMb(server.pid), 100);
  const before = { fds: fds(server.pid), rss: rssMb(server.pid) };
  const r = await dnsperf(server.port, { file, seconds: SECONDS, qps: 5000, clients: 10, outstanding: 5000, timeout: 5 });
  const rej = await metric(server, 'dnsmesh_forward_max_concurrent_rejects_total');
  return { before, fdPeak: fd.stop(), rssPeak: rss.stop(), sent: r.sent, completed: r.completed, rcodes: r.rcodes.replace(/\s*Average packet size.*/, '') || 'none', rejects: rej?.value };
}

// ---- row: unique names at 8k qps (scenarios/unique.mjs) -----------------------------------------
const unique = (server, up) => uniqueFlood(server, up, SECONDS);

// ---- main -------------------------------------------------------------------------------------
const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim(); // before pinning: nproc counts usable CPUs
installCleanup();
pinSelf(CLIENT_CPU);
const md = [];
let failed;
const v = versions();
md.push(`## ${new Date().toISOString()} abuse (issue 15): ${rows.join(', ')}\n`);
md.push(`\`node bench/abuse.mjs ${process.argv.slice(2).join(' ')}\` · nproc ${nproc} · load ${loadavg().map((l) => l.toFixed(2)).join(' ')} · dnsperf ${v.dnsperf} · unbound ${v.unbound} · node ${v.node} · ${v.dnsmesh}\n`);
try {
  if (rows.includes('pipeline')) {
    const res = await each({ names: 1000, bigRecords: 1900, truncateUdpAt: 1232 }, pipeline);
    md.push('### pipeline: 30,000 pipelined TCP queries for a ~62 KB answer, never read\n');
    md.push(table([
      ['server', 'l', (r) => r.server],
      ['RSS before MB', 'r', (r) => fmt(r.before, 0)],
      ['RSS peak MB', 'r', (r) => fmt(r.peak, 0)],
      ['RSS 2 s after close MB', 'r', (r) => fmt(r.after, 0)],
      ['other TCP client', 'l', (r) => r.other],
      ['UDP answered / lost', 'r', (r) => `${r.udp.answered} / ${r.udp.lost}`],
      ['UDP p50 / p99 / max ms', 'r', (r) => `${fmt(r.udp.p50, 2)} / ${fmt(r.udp.p99, 2)} / ${fmt(r.udp.max, 1)}`],
    ], res));
  }
  if (rows.includes('slowloris')) {
    const res = await each({ names: 1000 }, slowloris);
    md.push('\n### slowloris: 1,200 TCP connections sending a byte every 5 s, then new clients every 0.5 s\n');
    md.push(table([
      ['server', 'l', (r) => r.server],
      ['slow connections held', 'r', (r) => fmt(r.held)],
      ['new clients', 'r', (r) => fmt(r.asked)],
      ['answered', 'r', (r) => fmt(r.answered)],
      ['refused / reset', 'r', (r) => fmt(r.refused)],
      ['timed out', 'r', (r) => fmt(r.timeout)],
      ['server fds at end', 'r', (r) => fmt(r.fds)],
      ['dnsmesh closes by reason', 'l', (r) => (r.closed === undefined ? '-' : Object.entries(r.closed).filter(([, n]) => n > 0).map(([k, n]) => `${/reason="(\w+)"/.exec(k)?.[1]} ${n}`).join(', ') || '0')],
    ], res));
  }
  if (rows.includes('silent')) {
    const res = await each({ names: 10, silent: true }, silent);
    md.push(`\n### silent upstream: unique names at 5,000 qps for ${SECONDS} s, the upstream never answers\n`);
    md.push(table([
      ['server', 'l', (r) => r.server],
      ['fds before', 'r', (r) => fmt(r.before.fds)],
      ['fds peak', 'r', (r) => fmt(r.fdPeak)],
      ['RSS before MB', 'r', (r) => fmt(r.before.rss, 0)],
      ['RSS peak MB', 'r', (r) => fmt(r.rssPeak, 0)],
      ['sent', 'r', (r) => fmt(r.sent)],
      ['answered', 'r', (r) => fmt(r.completed)],
      ['rcodes', 'l', (r) => r.rcodes || '-'],
    ], res));
  }
  if (rows.includes('unique')) {
    const res = await each(uniqueUpstream(SECONDS), unique);
    md.push(`\n### unique names: ${fmt(8000 * SECONDS)} names at 8,000 qps for ${SECONDS} s, every one answered upstream\n`);
    md.push(table([
      ['server', 'l', (r) => r.server],
      ['qps', 'r', (r) => fmt(r.qps)],
      ['avg latency ms', 'r', (r) => fmt(r.avgMs, 2)],
      ['lost', 'r', (r) => `${fmt(r.lost)} (${fmt(r.lossPct, 2)}%)`],
      ['RSS before MB', 'r', (r) => fmt(r.before, 0)],
      ['RSS peak MB', 'r', (r) => fmt(r.rssPeak, 0)],
      ['RSS at end MB', 'r', (r) => fmt(r.after, 0)],
      ['upstream queries', 'r', (r) => fmt(r.upstreamQueries)],
      ['rcodes', 'l', (r) => r.rcodes || '-'],
      ['dnsmesh UDP socket waits / max_concurrent SERVFAILs', 'r', (r) => (r.waits === undefined ? '-' : `${fmt(r.waits)} / ${fmt(r.rejects)}`)],
    ], res));
  }
} catch (err) {
  failed = err; // the rows done so far are still written
} finally {
  await stopAll();
  cleanupDirs();
}
const text = `${md.join('\n')}\n`;
if (failed !== undefined) process.stderr.write(`abuse: ${failed.stack ?? failed}\n`);
process.stdout.write(text);
if (!values['no-write']) appendResults(RESULTS, text);
if (failed !== undefined) process.exitCode = 1;
