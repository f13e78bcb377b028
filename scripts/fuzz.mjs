#!/usr/bin/env node
// The long fuzz run (issue 15): the built dnsmesh binary in front of the testkit's fake upstream,
// fuzzed over UDP and TCP with random, valid and mutated queries, bounded by --iterations and
// --seconds; then it checks the process is alive, no reply broke the rules, a normal query is answered
// rightly, and prints the figures (and the drop counters from /metrics). Needs `npm run build` first.
//
//   node scripts/fuzz.mjs [--iterations 200000] [--seconds 300] [--transport udp|tcp|both] [--seed N]
//                         [--concurrency 32] [--hostile]
//
// --hostile also asks, for each hostile-upstream behaviour (garbage, pointer loops, lies, injected NS,
// question-less errors, odd TTLs, cut TC, silence), one name that the upstream answers that way, and
// checks the server answers every client within 6 s and keeps serving.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { fakeUpstream, freePort, fuzzServer, hostileUpstream, HOSTILITIES, query, queryRaw, buildQuery } = await import(`${root}packages/testkit/dist/index.js`);

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '200000' },
    seconds: { type: 'string', default: '300' },
    transport: { type: 'string', default: 'both' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    hostile: { type: 'boolean', default: false },
  },
});
const iterations = Number(values.iterations);
const seconds = Number(values.seconds);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const concurrency = Number(values.concurrency);
if (!(iterations > 0) || !(seconds > 0) || !(concurrency > 0 && concurrency <= 256)) {
  console.error('--iterations and --seconds must be positive, --concurrency 1-256');
  process.exit(2);
}

const upstream = values.hostile
  ? await hostileUpstream({ 'www.test A': { ttl: 300, data: ['192.0.2.1'] } }, { soa: { zone: 'test', ttl: 300, minimum: 60 } })
  : await fakeUpstream({ 'www.test A': { ttl: 300, data: ['192.0.2.1'] } }, { soa: { zone: 'test', ttl: 300, minimum: 60 } });
const port = await freePort();
const metricsPort = await freePort('tcp');
const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-fuzz-'));
writeFileSync(join(dir, 'Corefile'), `.:${port} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${metricsPort}\n  cache\n  tcp_retry\n  forward . ${upstream.address}\n}\n`);
const child = spawn(process.execPath, [join(root, 'apps/server/dist/main.js'), '-conf', 'Corefile'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d) => { stderr += d; });
child.stdout.resume();
const address = `127.0.0.1:${port}`;
let failed = false;
const fail = (msg) => { failed = true; console.error(`FAIL: ${msg}`); };

try {
  for (let i = 0; ; i++) {
    if ((await queryRaw(address, buildQuery('www.test', 'A'), { timeout: 200 })) !== undefined) break;
    if (i > 50 || child.exitCode !== null) throw new Error(`dnsmesh did not start:\n${stderr}`);
  }
  const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const sum = (text, name) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const before = await scrape();
  const started = Date.now();
  const transports = values.transport === 'both' ? ['udp', 'tcp'] : [values.transport];
  const results = {};
  for (const [i, transport] of transports.entries()) {
    const stats = await fuzzServer(address, {
      transport, iterations: Math.ceil(iterations / transports.length), durationMs: (seconds * 1000) / transports.length,
      seed: seed + i, concurrency, replyTimeoutMs: 500,
    });
    results[transport] = stats;
    if (stats.badReplies.length > 0) fail(`${transport}: replies that break the rules: ${JSON.stringify(stats.badReplies.slice(0, 5))}`);
  }
  if (values.hostile) {
    const hostile = {};
    for (const h of HOSTILITIES) {
      const name = `${h}.test`;
      upstream.behave(h, name);
      const t = Date.now();
      const reply = await queryRaw(address, buildQuery(name, 'A', { edns: 1232 }), { timeout: 6000 });
      hostile[h] = reply === undefined ? `no reply in 6 s` : `rcode ${reply[3] & 0x0f} in ${Date.now() - t} ms`;
      if (reply === undefined) fail(`hostile upstream '${h}': no reply within 6 s`);
    }
    results.hostile = hostile;
  }
  const after = await scrape();
  if (child.exitCode !== null) fail(`dnsmesh exited with ${child.exitCode}:\n${stderr}`);
  const ok = await query(address, 'www.test', 'A', { timeout: 3000 }).catch((e) => e);
  if (ok instanceof Error || ok.answers[0]?.data !== '192.0.2.1') fail(`a normal query afterwards: ${ok instanceof Error ? ok.message : JSON.stringify(ok.answers)}`);
  const rss = await (async () => { try { return Number((await import('node:fs')).readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024; } catch { return undefined; } })();
  console.log(JSON.stringify({
    seed, seconds: (Date.now() - started) / 1000, results,
    metrics: Object.fromEntries(['dnsmesh_edge_queries_total', 'dnsmesh_edge_dropped_total', 'dnsmesh_edge_replies_total', 'dnsmesh_dns_requests_total']
      .map((m) => [m, sum(after, m) - sum(before, m)])),
    rssBytesAfter: rss,
  }, null, 2));
} catch (err) {
  fail(err.stack ?? String(err));
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => { if (child.exitCode !== null) r(); else child.once('exit', r); setTimeout(() => { child.kill('SIGKILL'); r(); }, 6000).unref(); });
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
}
if (failed) { console.error(`seed ${seed}: replay with --seed ${seed}`); process.exit(1); }
