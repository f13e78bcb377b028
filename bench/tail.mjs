#!/usr/bin/env node
// Where dnsmesh's p99 goes at a fixed rate of cache hits (issue 17), and under a TCP client that
// pipelines 62 KB answers and never reads (issue 15): Unbound and one or more dnsmesh variants,
// warmed, then short fixed-rate dnsperf runs taken in turn (so a drift of the shared machine hits
// every server alike), repeated for --rounds. Each dnsmesh runs with bench/lib/tail-probe.mjs,
// which reports for each run's window its GC pauses, event-loop delay, CPU and context switches.
//
//   node bench/tail.mjs [--seconds 3] [--rounds 3] [--rate 20000] [--abuse]
//                       [--variant 'LABEL=NODEFLAG,NODEFLAG'] ... [--dgram] [--json FILE]
//
// --abuse: during every run, one TCP client pipelines 30,000 queries for big.bench.example
// (~62 KB each) and never reads (bench/abuse.mjs's pipeline row), against the same server.
// --variant: another dnsmesh with these node flags (e.g. 'semi64=--max-semi-space-size=64');
// without any, one dnsmesh with the flags its launcher sets.
// Prints a markdown table per round and the medians; writes nothing to RESULTS.md.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildQuery } from '@dnsmesh/testkit';
import { queryFile } from './lib/dnsperf.mjs';
import { installCleanup, pinSelf, sleep, spawnPinned, stop, stopAll } from './lib/procs.mjs';
import { fmt, ratio, table } from './lib/report.mjs';
import { CLIENT_CPU, cleanupDirs, startDnsmesh, startUnbound, startUpstream, tempDir } from './lib/servers.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '20000' },
    variant: { type: 'string', multiple: true, default: [] },
    abuse: { type: 'boolean', default: false },
    dgram: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const PROBE = fileURLToPath(new URL('lib/tail-probe.mjs', import.meta.url));
const log = (m) => process.stderr.write(`tail: ${m}\n`);

installCleanup();
pinSelf(CLIENT_CPU);

const variants = values.variant.length > 0
  ? values.variant.map((v) => { const [label, flags = ''] = v.split('='); return { label, flags: flags === '' ? [] : v.slice(label.length + 1).split(',') }; })
  : [{ label: 'dnsmesh', flags: [] }];

const dir = tempDir();
const NAMES = 1000;
const hits = queryFile(dir, 'names.txt', Array.from({ length: NAMES }, (_, i) => `n${i}.bench.example A`));
// bigRecords 1900: a ~62 KB answer, as abuse.mjs's pipeline row; UDP answers over 1232 B are truncated.
const upstream = await startUpstream(values.abuse ? { names: NAMES, bigRecords: 1900, truncateUdpAt: 1232 } : { names: NAMES, ttl: 3600 });
const servers = [];
try {
  servers.push({ ...await startUnbound('unbound.conf', upstream.port), kind: 'unbound' });
  for (const v of variants) {
    const s = await startDnsmesh('dnsmesh-chain.Corefile', upstream.port, { nodeArgs: ['--import', PROBE, ...v.flags], label: v.label, dgram: values.dgram });
    servers.push({ ...s, kind: 'dnsmesh', flags: v.flags });
  }
  for (const s of servers) {
    log(`warming ${s.label}`);
    await dnsperfRun(s.port, ['-n', '1', '-l', '30']);
    if (values.abuse) await tcpAsk(s.port, 'big.bench.example');
  }
  const rounds = [];
  for (let round = 1; round <= Number(values.rounds); round++) {
    const order = round % 2 === 0 ? [...servers].reverse() : servers;
    const rows = {};
    for (const s of order) {
      log(`round ${round}: ${s.label}`);
      const attacker = values.abuse ? await pipelineAttacker(s.port) : undefined;
      const probe = s.kind === 'dnsmesh' ? await probeWindow(s) : undefined;
      const csw0 = contextSwitches(s.pid);
      const r = await dnsperfRun(s.port, ['-l', String(SECONDS), '-Q', String(RATE), '-v']);
      const csw1 = contextSwitches(s.pid);
      rows[s.label] = { ...r, server: s.label, probe: probe ? await probe.end() : undefined, involuntary: csw1.involuntary - csw0.involuntary };
      attacker?.destroy();
      if (attacker) await sleep(500);
    }
    rounds.push(rows);
    process.stdout.write(`\n### round ${round}${round % 2 === 0 ? ' (reverse order)' : ''}\n\n${render(servers.map((s) => rows[s.label]), rows.unbound)}\n`);
  }
  process.stdout.write(`\n### median over ${rounds.length} rounds (p99 ÷ Unbound's in the same round)\n\n`);
  const med = (xs) => { const s = xs.filter(Number.isFinite).sort((a, b) => a - b); return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]; };
  process.stdout.write(`${table([
    ['server', 'l', (s) => s.label],
    ['p50 µs', 'r', (s) => fmt(med(rounds.map((r) => r[s.label].p50)))],
    ['p99 µs', 'r', (s) => fmt(med(rounds.map((r) => r[s.label].p99)))],
    ['p99.9 µs', 'r', (s) => fmt(med(rounds.map((r) => r[s.label].p999)))],
    ['p99 × U', 'r', (s) => ratio(med(rounds.map((r) => r[s.label].p99 / r.unbound.p99)), 1)],
    ['lost', 'r', (s) => fmt(med(rounds.map((r) => r[s.label].lost)))],
  ], servers)}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify(rounds, null, 1));
} finally {
  await stopAll();
  cleanupDirs();
}

function render(rows, u) {
  return table([
    ['server', 'l', (r) => r.server],
    ['p50 µs', 'r', (r) => fmt(r.p50)],
    ['p90 µs', 'r', (r) => fmt(r.p90)],
    ['p99 µs', 'r', (r) => fmt(r.p99)],
    ['p99.9 µs', 'r', (r) => fmt(r.p999)],
    ['max µs', 'r', (r) => fmt(r.max)],
    ['p99 × U', 'r', (r) => ratio(r.p99, u.p99)],
    ['lost', 'r', (r) => fmt(r.lost)],
    ['invol. csw', 'r', (r) => fmt(r.involuntary)],
    ['GC: scavenges / total ms / max ms', 'r', (r) => gcCell(r.probe?.gc?.scavenge)],
    ['GC ms per s', 'r', (r) => (r.probe ? (Object.values(r.probe.gc).reduce((a, g) => a + g.totalMs, 0) / SECONDS).toFixed(1) : '-')],
    ['GC: other', 'r', (r) => { const o = Object.entries(r.probe?.gc ?? {}).filter(([k]) => k !== 'scavenge'); return o.length === 0 ? (r.probe ? '0' : '-') : o.map(([k, g]) => `${k} ${gcCell(g)}`).join(', '); }],
    ['loop delay p99 / max ms', 'r', (r) => (r.probe ? `${r.probe.loop.p99} / ${r.probe.loop.max}` : '-')],
    ['CPU ms (user+sys)', 'r', (r) => (r.probe ? `${r.probe.cpu.userMs}+${r.probe.cpu.systemMs}` : '-')],
  ], rows);
}

function gcCell(g) {
  return g === undefined ? '0' : `${g.count} / ${g.totalMs.toFixed(1)} / ${g.maxMs.toFixed(2)}`;
}

/** dnsperf against the port (1000 names, EDNS, 10 clients, 100 outstanding), pinned to the client core. */
async function dnsperfRun(port, extra) {
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', hits, '-T', '1', '-c', '10', '-q', '100', '-t', '2', '-e', ...extra];
  const child = spawnPinned(CLIENT_CPU, 'dnsperf', args, { label: 'dnsperf' });
  const guard = setTimeout(() => stop(child, 1000), 60_000);
  const lat = [];
  let stats = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('> ')) lat.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
    else stats += `${line}\n`;
  });
  const code = await child.exited;
  clearTimeout(guard);
  if (code !== 0) throw new Error(`dnsperf exited ${code}:\n${child.err}${stats}`);
  const s = Float64Array.from(lat).sort();
  const pct = (p) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))] * 1e6);
  return {
    lost: Number(/Queries lost:\s+(\d+)/.exec(stats)?.[1] ?? NaN),
    p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), p999: pct(0.999), max: s.length === 0 ? NaN : s[s.length - 1] * 1e6,
  };
}

/** Asks the probe in the server for a new window now; end() gives what it saw since. */
async function probeWindow(server) {
  await readProbe(server); // closes whatever window was open (warm-up, the previous run)
  return { end: () => readProbe(server) };
}

function readProbe(server) {
  return new Promise((resolve, reject) => {
    const from = server.child.err.length;
    const timer = setTimeout(() => reject(new Error(`${server.label}: no tail-probe line`)), 20_000);
    const check = () => {
      const m = /tail-probe (\{.*\})\n/.exec(server.child.err.slice(Math.max(0, from - 1)));
      if (m) { clearTimeout(timer); server.child.stderr.off('data', check); setImmediate(() => resolve(JSON.parse(m[1]))); }
    };
    server.child.stderr.on('data', check);
    server.child.kill('SIGUSR2');
  });
}

function contextSwitches(pid) {
  // Every thread's (task/*/status), so the main thread's preemptions by the machine's other load show.
  let involuntary = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      involuntary += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))?.[1] ?? 0);
    }
  } catch { /* gone */ }
  return { involuntary };
}

/** One TCP query (to warm the big answer into the cache). */
function tcpAsk(port, name) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let got = 0;
    const timer = setTimeout(() => { s.destroy(); resolve(false); }, 5000);
    s.on('connect', () => s.write(frame(name)));
    s.on('data', (c) => { got += c.length; if (got >= 2) { clearTimeout(timer); s.destroy(); resolve(true); } });
    s.on('error', () => { clearTimeout(timer); resolve(false); });
  });
}

function frame(name, id = 1) {
  const q = buildQuery(name, 'A', { id });
  const f = Buffer.alloc(q.length + 2);
  f.writeUInt16BE(q.length, 0);
  q.copy(f, 2);
  return f;
}

/** abuse.mjs's attacker: 30,000 pipelined queries for the ~62 KB answer, and never a read. */
async function pipelineAttacker(port) {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  s.pause();
  const f = frame('big.bench.example');
  s.write(Buffer.concat(Array.from({ length: 30_000 }, () => f)));
  await sleep(300); // the server is busy with it when the measured run starts
  return s;
}
