#!/usr/bin/env node --expose-gc
// What one cache entry costs, in process and without sockets: the cache plugin's own miss path
// (classify, store) fed the replies bench/lib/echo-upstream.mjs sends (one A record, owner a
// pointer), for N unique names, then a full GC and the growth of V8's heap, of memory outside it
// (Buffers' backing stores) and of RSS, per entry. With --snapshot, a heap snapshot after the fill
// is summed by constructor (self sizes), so the bytes an entry costs can be put down to the
// objects that hold them. bench/memory.mjs measures the same thing through a real server's UDP
// port beside Unbound; this is for working on the store between those runs.
//
// --records N answers with N A records instead of one (past 400 bytes an entry keeps its layout).
//
//   node --expose-gc bench/entry-cost.mjs [--entries 100000] [--records 1] [--snapshot]
import { writeHeapSnapshot } from 'node:v8';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DnsMessage } from '@dnsmesh/core';
import { CachePlugin, CacheStore, resolveOptions } from '@dnsmesh/cache';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '100000' }, records: { type: 'string', default: '1' }, snapshot: { type: 'boolean', default: false } } });
const n = Number(values.entries);
const records = Number(values.records);
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

/** A query for `n<i>.bench.example A`, as dnsperf sends it (no EDNS). */
function queryFor(i) {
  const label = `n${i}`;
  const name = Buffer.concat([Buffer.from([label.length]), Buffer.from(label), Buffer.from('\x05bench\x07example\x00', 'latin1')]);
  const q = Buffer.alloc(12 + name.length + 4);
  q.writeUInt16BE(i & 0xffff, 0);
  q.writeUInt16BE(0x0100, 2);
  q.writeUInt16BE(1, 4);
  name.copy(q, 12);
  q.writeUInt16BE(1, 12 + name.length);
  q.writeUInt16BE(1, 14 + name.length);
  return q;
}

/** bench/lib/echo-upstream.mjs's answer to a query (with --records, that many A records). */
function answerTo(q, i) {
  const qEnd = q.length;
  const out = Buffer.alloc(qEnd + 16 * records);
  q.copy(out, 0, 0, qEnd);
  out.writeUInt16BE(0x8500, 2);
  out.writeUInt16BE(records, 6);
  for (let r = 0, at = qEnd; r < records; r++, at += 16) {
    out.writeUInt16BE(0xc00c, at);
    out.writeUInt16BE(1, at + 2);
    out.writeUInt16BE(1, at + 4);
    out.writeUInt32BE(3600, at + 6);
    out.writeUInt16BE(4, at + 10);
    out.writeUInt32BE((10 << 24) | ((i + r) & 0xffffff), at + 12);
  }
  return out;
}

const options = { ...resolveOptions({ success: { capacity: n + 1000 }, maxBytes: 64 * 1024 ** 3 }), zones: ['.'] };
const store = new CacheStore(options);
// An hour into the process, on its clock (performance.now(): ms since the process started).
const now = 3_600_000.25;
const clock = { now: () => now };
const plugin = new CachePlugin(store, options, clock, ['.']);

function rss() {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
}
function sample() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, rss: rss() };
}

async function fill(from, to) {
  for (let i = from; i < to; i++) {
    const q = queryFor(i);
    const request = new DnsMessage(q);
    const ctx = { request, now, state: { cache: 'none', upstream: '127.0.0.1:53', refresh: false, plugin: undefined, ede: -1, stored: undefined, upstreamTransport: undefined, forceTcp: false } };
    const reply = await plugin.handle(ctx, () => Promise.resolve(new DnsMessage(answerTo(q, i))));
    if (ctx.state.stored !== 'stored') throw new Error(`entry ${i} not stored: ${ctx.state.stored}`);
    if (reply.bytes.length === 0) throw new Error('empty reply');
  }
}

await fill(0, 200); // the code paths' own first allocations, outside the measure
const before = sample();
await fill(200, 200 + n);
const after = sample();
if (store.size !== 200 + n) throw new Error(`store holds ${store.size}`);
const per = (k) => ((after[k] - before[k]) / n).toFixed(0);
const wire = store.get(new DnsMessage(queryFor(200)).key).wire.length;
console.log(`node --expose-gc bench/entry-cost.mjs --entries ${n} --records ${records}`);
console.log(`entries ${n} (${wire} bytes of wire image each): JS heap ${per('heap')} B, outside the heap ${per('external')} B, RSS ${per('rss')} B per entry; budget ${(store.bytes / store.size).toFixed(0)} B per entry`);

if (values.snapshot) {
  const file = writeHeapSnapshot(join(tmpdir(), `entry-cost-${process.pid}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  if (process.env.KEEP_SNAPSHOT) console.log(file); else rmSync(file);
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const stride = f.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const byClass = new Map();
  for (let p = 0; p < snap.nodes.length; p += stride) {
    const type = types[snap.nodes[p + iType]];
    const label = type === 'object' || type === 'native' ? snap.strings[snap.nodes[p + iName]] : `(${type})`;
    const c = byClass.get(label) ?? { count: 0, bytes: 0 };
    c.count++;
    c.bytes += snap.nodes[p + iSize];
    byClass.set(label, c);
  }
  const rows = [...byClass].filter(([, c]) => c.count >= n / 2 || c.bytes >= n * 8).sort((a, b) => b[1].bytes - a[1].bytes);
  console.log('\nheap snapshot, classes with at least one object per two entries or 8 B per entry:');
  console.log('class'.padEnd(34), 'objects'.padStart(10), 'per entry'.padStart(10), 'B per entry'.padStart(12));
  for (const [label, c] of rows) console.log(label.slice(0, 34).padEnd(34), String(c.count).padStart(10), (c.count / n).toFixed(2).padStart(10), (c.bytes / n).toFixed(1).padStart(12));
}
