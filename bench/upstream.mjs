#!/usr/bin/env node
// The benchmark's authoritative upstream: the testkit fake upstream in a process of its own, so its CPU
// is not the harness's and it can be pinned (run.mjs pins it to the dnsperf core).
//
// Started by run.mjs with an IPC channel and a JSON spec in argv[2]:
//   { names: 1000, ttl: 3600, bigTtl: 3600, bigRecords: 40, truncateUdpAt: 512, blackhole: false }
// With `fast: true` (the unique-name scenarios) UDP is served by lib/fast-answers.mjs on a socket of
// its own, and whatever that does not answer is relayed to the fake. TCP stays on the fake's own
// port, which is not the one reported: these scenarios never truncate.
// Messages: it sends { ready: true, port } once listening; it answers { cmd: 'count' } with
// { count, udp, tcp } (queries received since start), { cmd: 'blackhole', on } by going silent (or
// not) and { cmd: 'close' } by closing and exiting.
import dgram from 'node:dgram';
import { fakeUpstream } from '@dnsmesh/testkit';
import { fastAnswers } from './lib/fast-answers.mjs';

const spec = JSON.parse(process.argv[2] ?? '{}');
const zone = spec.zone ?? 'bench.example';
const table = {};
for (let i = 0; i < (spec.names ?? 1000); i++) {
  table[`n${i}.${zone} A`] = { ttl: spec.ttl ?? 3600, data: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] };
}
const bigRecords = spec.bigRecords ?? 40;
table[`big.${zone} A`] = {
  ttl: spec.bigTtl ?? spec.ttl ?? 3600,
  data: Array.from({ length: bigRecords }, (_, i) => `10.200.${i >> 8}.${(i & 255) + 1}`),
};

const upstream = await fakeUpstream(table, {
  truncateUdpAt: spec.truncateUdpAt,
  blackhole: spec.blackhole === true,
  soa: { zone, ttl: 60, minimum: 60 },
});

let fastCount = 0;
let silent = spec.blackhole === true;
let port = upstream.port;
let closeFast = async () => {};
if (spec.fast === true) {
  const answer = fastAnswers({ zone, names: spec.names ?? 1000, ttl: spec.ttl ?? 3600 });
  const front = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const relay = dgram.createSocket('udp4');
  /** relay ID -> where the query came from and its own ID */
  const waiting = new Map();
  let nextId = 0;
  front.on('message', (q, from) => {
    if (silent) return;
    const reply = answer(q);
    if (reply !== undefined) { fastCount++; front.send(reply, from.port, from.address); return; }
    if (q.length < 12) return;
    if (waiting.size >= 1000) waiting.delete(waiting.keys().next().value); // the oldest: its reply is not coming
    nextId = (nextId + 1) & 0xffff;
    waiting.set(nextId, { port: from.port, address: from.address, id: q.readUInt16BE(0) });
    const copy = Buffer.from(q);
    copy.writeUInt16BE(nextId, 0);
    relay.send(copy, upstream.port, '127.0.0.1');
  });
  relay.on('message', (r) => {
    const to = waiting.get(r.readUInt16BE(0));
    if (to === undefined) return;
    waiting.delete(r.readUInt16BE(0));
    r.writeUInt16BE(to.id, 0);
    front.send(r, to.port, to.address);
  });
  await new Promise((resolve) => front.bind(0, '127.0.0.1', resolve));
  await new Promise((resolve) => relay.bind(0, '127.0.0.1', resolve));
  port = front.address().port;
  closeFast = () => Promise.all([front, relay].map((x) => new Promise((resolve) => x.close(resolve))));
}

// The fake keeps every query it received; fold them into counters every 200 ms so a long run
// does not grow the array without bound.
let udp = 0;
let tcp = 0;
function fold() {
  for (const q of upstream.queries) { if (q.transport === 'tcp') tcp++; else udp++; }
  upstream.reset();
}
const timer = setInterval(fold, 200);

process.on('message', async (msg) => {
  if (msg?.cmd === 'count') {
    fold();
    process.send({ count: udp + tcp + fastCount, udp: udp + fastCount, tcp, id: msg.id });
  } else if (msg?.cmd === 'blackhole') {
    silent = msg.on !== false;
    upstream.blackhole(silent);
  } else if (msg?.cmd === 'close') {
    clearInterval(timer);
    await closeFast();
    await upstream.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0)); // the harness went away: never outlive it
process.send({ ready: true, port });
