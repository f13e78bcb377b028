#!/usr/bin/env node
// What a cache shared across workers would cost per hit (bench/README.md, "Shared cache across
// workers"), against today's per-worker cache, all in a worker_thread with nothing else on the hit
// path:
//   - map: today's read, CacheStore.get(key) (a Map), the freshness check and the copy of the
//     message into a reply slot (what the edge's writeReply does for a hit);
//   - shared: the same from bench/lib/shared-table.mjs (a SharedArrayBuffer table, seqlock per
//     record): hash the key, probe a set, compare the key bytes, copy, check the sequence;
//   - shared+writer: the same while the main thread rewrites records as fast as it can (readers
//     then retry when a record changed under them; the retries are counted);
//   - ipc: a round trip to an owner of the cache over a MessagePort (threads) and over the
//     process IPC channel `-workers` uses today (cluster): the price of "ask the primary".
// Keys are fresh strings for every lookup (as request.key is), so their hashes are never cached.
//
// With --upstream, it also runs dnsmesh with -workers 1 and 2 in front of the echo upstream and
// counts how many times the upstream is asked per name when each name is asked R times by many
// clients: what a shared cache would bring to 1.
//
//   node bench/shared-cache.mjs [--entries 100000] [--lookups 1000000] [--rounds 3] [--upstream] [--names 5000] [--repeat 4]
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MessageChannel, Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { aAnswer, buildQuery } from '@dnsmesh/testkit';
import { SharedTable } from './lib/shared-table.mjs';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    lookups: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    upstream: { type: 'boolean', default: false },
    names: { type: 'string', default: '5000' },
    repeat: { type: 'string', default: '4' },
    child: { type: 'boolean', default: false },
  },
});

/** The query and answer bench/lib/echo-upstream.mjs gives for `n<i>.bench.example A`. */
function exchange(i) {
  const q = buildQuery(`n${i}.bench.example`, 'A', { id: 0 });
  return { q, a: aAnswer(q, [0x0a000000 | i], 3600) };
}

// ---- the IPC child (a process, as a cluster worker is): answers each request at once ----
if (values.child) {
  process.on('message', (m) => process.send(m));
  process.on('disconnect', () => process.exit(0));
}

// ---- the worker thread: every measure of the read path ----
else if (!isMainThread) {
  const { DnsMessage, scanLayout } = await import('@dnsmesh/core');
  const { CacheEntry, CacheStore, resolveOptions } = await import('@dnsmesh/cache');
  const { entries, lookups, rounds, sab, port, now } = workerData;
  const table = new SharedTable(sab);
  const store = new CacheStore(resolveOptions({ success: { capacity: entries + 10 }, maxBytes: 1024 ** 3 }));
  const keys = [];
  for (let i = 0; i < entries; i++) {
    const { q, a } = exchange(i);
    const key = new DnsMessage(q).key;
    keys.push(key);
    store.put(new CacheEntry(key, a, scanLayout(a), 'success', now, 3600, undefined, 1, 0, '127.0.0.1:53', false));
  }
  const keyBytes = Buffer.from(keys.join(''), 'latin1');
  const starts = [];
  for (let i = 0, p = 0; i < entries; i++) { starts.push(p); p += keys[i].length; }
  /** `lookups` fresh key strings in a pseudo-random order (a new string each: its hash is not cached). */
  const freshKeys = () => {
    const out = new Array(lookups);
    let x = 12345;
    for (let i = 0; i < lookups; i++) {
      x = Math.imul(x ^ (x >>> 15), 2246822519) + 0x9e3779b9 | 0;
      const k = (x >>> 0) % entries;
      out[i] = keyBytes.latin1Slice(starts[k], starts[k] + keys[k].length);
    }
    return out;
  };
  const out = Buffer.alloc(4096 * 64);
  const at = (i) => (i & 63) * 4096;

  const mapRead = (list) => {
    let bytes = 0;
    for (let i = 0; i < list.length; i++) {
      const e = store.get(list[i]);
      if (e === undefined || !(now < e.expiresAt)) continue;
      const src = e.wire;
      const n = e.length;
      const o = at(i);
      for (let j = 0; j < n; j++) out[o + j] = src[j];
      bytes += n;
    }
    return bytes;
  };
  const sharedRead = (list) => {
    let bytes = 0;
    for (let i = 0; i < list.length; i++) {
      const n = table.read(list[i], now, out, at(i));
      if (n > 0) bytes += n;
    }
    return bytes;
  };
  // CPU time of the process (the main thread waits meanwhile, so it is this thread's), which a
  // loaded machine disturbs far less than wall time; with the writer running, wall time (the
  // writer's CPU would count too).
  const time = (fn, wall = false) => {
    const list = freshKeys();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const bytes = fn(list);
    const c = process.cpuUsage(c0);
    const ns = wall ? Number(process.hrtime.bigint() - t0) / list.length : ((c.user + c.system) * 1000) / list.length;
    if (bytes === 0) throw new Error('nothing read');
    return ns;
  };
  const results = { map: [], shared: [], sharedWall: [], sharedWriter: [], retries: 0 };
  for (let r = 0; r < rounds; r++) {
    results.map.push(time(mapRead));
    results.shared.push(time(sharedRead));
    results.sharedWall.push(time(sharedRead, true));
  }
  // With a writer: ask the main thread to start rewriting, measure, ask it to stop.
  const ask = (cmd) => new Promise((resolve) => { parentPort.once('message', resolve); parentPort.postMessage(cmd); });
  await ask('write');
  table.retries = 0;
  for (let r = 0; r < rounds; r++) results.sharedWriter.push(time(sharedRead, true));
  results.retries = table.retries;
  const writes = await ask('stop');
  results.writes = writes;
  // MessagePort round trips (thread to thread), sequential.
  const ipcN = Math.min(20000, lookups);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ipcN; i++) {
    await new Promise((resolve) => { port.once('message', resolve); port.postMessage(i); });
  }
  results.portRoundTrip = Number(process.hrtime.bigint() - t0) / ipcN;
  parentPort.postMessage({ results });
}

// ---- the main thread ----
else {
  const { fmt, table: mdTable } = await import('./lib/report.mjs');
  const entries = Number(values.entries);
  const lookups = Number(values.lookups);
  const rounds = Number(values.rounds);
  const now = performance.timeOrigin + performance.now();
  const shared = SharedTable.create(entries);
  for (let i = 0; i < entries; i++) {
    const { q, a } = exchange(i);
    const { DnsMessage } = await import('@dnsmesh/core');
    const key = new DnsMessage(q).key;
    const wire = Buffer.alloc(a.length + 2);
    a.copy(wire);
    wire.writeUInt16BE(q.length + 6, a.length); // the TTL offset of the one record
    if (!shared.put(key, wire, q.length, 1, now, now + 3600_000)) throw new Error('table full');
  }
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (m) => port1.postMessage(m));
  const worker = new Worker(new URL(import.meta.url), { workerData: { entries, lookups, rounds, sab: shared.sab, port: port2, now }, transferList: [port2] });
  // The writer: rewrites records (same key, new bytes) until told to stop; yields now and then so
  // the worker's messages get through.
  let writing = false;
  let writes = 0;
  const keysForWriter = [];
  const wires = [];
  {
    const { DnsMessage } = await import('@dnsmesh/core');
    for (let i = 0; i < Math.min(entries, 10000); i++) {
      const { q, a } = exchange(i);
      keysForWriter.push(new DnsMessage(q).key);
      const wire = Buffer.alloc(a.length + 2);
      a.copy(wire);
      wire.writeUInt16BE(q.length + 6, a.length);
      wires.push({ wire, qEnd: q.length });
    }
  }
  const writeLoop = () => {
    if (!writing) return;
    const stop = performance.now() + 5;
    while (performance.now() < stop) {
      const k = writes % keysForWriter.length;
      if (shared.put(keysForWriter[k], wires[k].wire, wires[k].qEnd, 1, now, now + 3600_000)) writes++;
    }
    setImmediate(writeLoop);
  };
  const results = await new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (m) => {
      if (m === 'write') { writing = true; writes = 0; setImmediate(writeLoop); worker.postMessage('writing'); return; }
      if (m === 'stop') { writing = false; worker.postMessage(writes); return; }
      resolve(m.results);
    });
  });
  await worker.terminate();
  port1.close();

  // Process IPC round trips (what a cluster worker asking its primary pays), sequential.
  const child = fork(new URL(import.meta.url).pathname, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ipcN = 20000;
  await new Promise((resolve) => { child.once('message', resolve); child.send(-1); });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ipcN; i++) await new Promise((resolve) => { child.once('message', resolve); child.send(i); });
  const processRoundTrip = Number(process.hrtime.bigint() - t0) / ipcN;
  child.disconnect();

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const map = median(results.map);
  const rows = [
    { what: 'map: CacheStore.get + copy (today, per worker)', ns: map },
    { what: 'shared: SharedArrayBuffer table read + copy', ns: median(results.shared) },
    { what: 'shared, wall time (to compare with the next row)', ns: median(results.sharedWall) },
    { what: `shared, wall time, a writer rewriting meanwhile (${fmt(results.writes)} writes, ${fmt(results.retries)} retries)`, ns: median(results.sharedWriter) },
    { what: 'ipc: MessagePort round trip (threads)', ns: results.portRoundTrip },
    { what: 'ipc: process IPC round trip (cluster workers)', ns: processRoundTrip },
  ];
  console.log(`\nnode bench/shared-cache.mjs --entries ${entries} --lookups ${lookups} --rounds ${rounds}\n`);
  console.log(`Read path per hit, in a worker_thread (median of ${rounds} rounds of ${fmt(lookups)} lookups over ${fmt(entries)} names; CPU time unless said; IPC rows: wall time of sequential round trips):\n`);
  console.log(mdTable([
    ['read path', 'l', (r) => r.what],
    ['ns per lookup', 'r', (r) => fmt(r.ns)],
    ['× map', 'r', (r) => `${(r.ns / map).toFixed(2)}×`],
  ], rows));

  if (values.upstream) await upstreamCount(Number(values.names), Number(values.repeat));
  process.exit(0);
}

/** dnsmesh -workers 1 and 2: upstream queries per name when each name is asked `repeat` times by many clients. */
async function upstreamCount(names, repeat) {
  const { freePort } = await import('@dnsmesh/testkit');
  const { dnsperf, queryFile } = await import('./lib/dnsperf.mjs');
  const { spawnPinned, stop, waitForOutput, sleep } = await import('./lib/procs.mjs');
  const { CLIENT_CPU, DNSMESH_MAIN, render, tempDir } = await import('./lib/servers.mjs');
  const { fmt, table: mdTable } = await import('./lib/report.mjs');
  const echo = spawnPinned(CLIENT_CPU, process.execPath, [new URL('./lib/echo-upstream.mjs', import.meta.url).pathname], { ipc: true, label: 'echo upstream' });
  const upPort = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('upstream not ready')), 15000);
    echo.once('message', (m) => { clearTimeout(timer); resolve(m.port); });
  });
  let seq = 0;
  const count = () => new Promise((resolve) => {
    const id = ++seq;
    const on = (m) => { if (m.id === id) { echo.off('message', on); resolve(m.count); } };
    echo.on('message', on);
    echo.send({ cmd: 'count', id });
  });
  const dir = tempDir();
  const rows = [];
  try {
    for (const workers of [1, 2]) {
      const port = await freePort();
      const conf = join(dir, `Corefile-${workers}`);
      writeFileSync(conf, render('dnsmesh-memory.Corefile', { PORT: port, UPSTREAM_PORT: upPort, METRICS_PORT: await freePort(), CAPACITY: names * 2 }));
      const child = spawnPinned('0-1', process.execPath, [DNSMESH_MAIN, '-conf', conf, '-workers', String(workers)], { label: `dnsmesh -workers ${workers}` });
      try {
        await waitForOutput(child, /dnsmesh-\d/);
        await sleep(500);
        // Each name `repeat` times in a row in the file; dnsperf's clients take lines in turn, so
        // the copies of one name leave from different sockets (different source ports).
        const lines = [];
        for (let i = 0; i < names; i++) for (let r = 0; r < repeat; r++) lines.push(`w${workers}n${i}.bench.example A`);
        const file = queryFile(dir, `names-${workers}.txt`, lines);
        const before = await count();
        const run = await dnsperf(port, { file, runs: 1, seconds: 60, clients: 16, outstanding: 64, qps: 5000 });
        const asked = (await count()) - before;
        rows.push({ workers, names, repeat, completed: run.completed, asked, perName: asked / names });
      } finally {
        await stop(child);
      }
    }
  } finally {
    await stop(echo);
  }
  console.log(`\nUpstream queries per name, each name asked ${repeat} times from 16 client sockets (dnsmesh-memory.Corefile):\n`);
  console.log(mdTable([
    ['workers', 'r', (r) => r.workers],
    ['names', 'r', (r) => fmt(r.names)],
    ['answered', 'r', (r) => fmt(r.completed)],
    ['upstream queries', 'r', (r) => fmt(r.asked)],
    ['per name', 'r', (r) => r.perName.toFixed(2)],
  ], rows));
}
