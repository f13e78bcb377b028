#!/usr/bin/env node
// The JavaScript cost of one cache hit, with no socket in the way: dnsmesh's real server (the
// production chain of peers/dnsmesh-chain.Corefile, built by the same Supervisor as the binary),
// its cache warmed by real queries over loopback from an in-process fake upstream, then the edge
// called directly in a loop the way the batched UDP transport calls it (the query in a reused slot,
// the reply written in place). Prints ns per hit and the allocation rate. For working on the hit
// path between full runs: the number that counts is run.mjs's, with the kernel in it.
//
//   node bench/hitpath.mjs [--hits 3000000] [--rounds 5]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Supervisor, builtinRegistry } from '@dnsmesh/server';
import { systemClock } from '@dnsmesh/core';
import { buildQuery, fakeUpstream, freePort, query } from '@dnsmesh/testkit';
import pino from 'pino';
import { render, tempDir } from './lib/servers.mjs';

const { values } = parseArgs({ options: { hits: { type: 'string', default: '3000000' }, rounds: { type: 'string', default: '5' }, thrash: { type: 'string', default: '0' } } });
const NAMES = 1000;
const table = {};
for (let i = 0; i < NAMES; i++) table[`n${i}.bench.example A`] = { ttl: 3600, data: [`10.0.${i >> 8}.${i & 255}`] };
const upstream = await fakeUpstream(table);
const port = await freePort();
const dir = tempDir();
const conf = join(dir, 'Corefile');
const text = render('dnsmesh-chain.Corefile', { PORT: port, UPSTREAM_PORT: upstream.port, METRICS_PORT: await freePort() });
(await import('node:fs')).writeFileSync(conf, text);
const supervisor = new Supervisor({ conf, dnsPort: 53, registry: builtinRegistry(), clock: systemClock, logger: pino({ level: 'warn' }) });
const server = await supervisor.start();
try {
  for (let i = 0; i < NAMES; i++) await query(`127.0.0.1:${port}`, `n${i}.bench.example`, 'A', { edns: 4096 });
  const edge = server.edges.get(port) ?? [...server.edges.values()][0]; // keyed by port (older builds) or by scheme and port
  const queries = Array.from({ length: NAMES }, (_, i) => buildQuery(`n${i}.bench.example`, 'A', { edns: 4096, id: i }));
  const SLOT = 4096;
  const mem = Buffer.alloc(SLOT * 64);
  const slot = { buf: mem, at: 0, max: SLOT };
  const client = { transport: 'udp', family: 4, address: '127.0.0.1', port: 5353, detach() {} };
  const hits = Number(values.hits);
  let bytesOut = 0;
  // --thrash N: every 10 hits, touch N KiB of other memory, as the kernel's work between batches
  // does to the caches (the hit then finds its entry cold, as in a real run).
  const thrash = new Uint8Array(Number(values.thrash) * 1024);
  let sink = 0;
  for (let round = 0; round < Number(values.rounds); round++) {
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < hits; i++) {
      const q = queries[i % NAMES];
      const at = (i & 63) * SLOT;
      q.copy(mem, at);
      slot.at = at;
      const r = edge.handle(mem.subarray(at, at + q.length), client, true, slot);
      if (typeof r !== 'number') throw new Error(`not answered in place: ${typeof r}`);
      bytesOut += r;
      if (thrash.length > 0 && (i % 10) === 9) for (let k = 0; k < thrash.length; k += 64) sink += thrash[k]++;
    }
    let ns = Number(process.hrtime.bigint() - t0) / hits;
    if (thrash.length > 0) { // take off what the thrashing itself costs
      const c0 = process.hrtime.bigint();
      for (let i = 0; i < hits; i += 10) for (let k = 0; k < thrash.length; k += 64) sink += thrash[k]++;
      ns -= Number(process.hrtime.bigint() - c0) / hits;
    }
    process.stdout.write(`round ${round + 1}: ${ns.toFixed(0)} ns per hit (${(1e3 / ns).toFixed(2)} M hits/s on one core), heap +${((process.memoryUsage().heapUsed - heap0) / 1048576).toFixed(1)} MiB\n`);
  }
  if (bytesOut === 0 || sink === -1) throw new Error('no bytes written');
} finally {
  await server.stop(0);
  upstream.close();
}
