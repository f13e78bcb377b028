#!/usr/bin/env node
// The benchmark's authoritative upstream: the testkit fake upstream in a process of its own, so its CPU
// is not the harness's and it can be pinned (run.mjs pins it to the dnsperf core).
//
// Started by run.mjs with an IPC channel and a JSON spec in argv[2]:
//   { names: 1000, ttl: 3600, bigTtl: 3600, bigRecords: 40, truncateUdpAt: 512, blackhole: false }
// Messages: it sends { ready: true, port } once listening; it answers { cmd: 'count' } with
// { count, udp, tcp } (queries received since start), { cmd: 'blackhole', on } by going silent (or
// not) and { cmd: 'close' } by closing and exiting.
import { fakeUpstream } from '@dnsmesh/testkit';

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
    process.send({ count: udp + tcp, udp, tcp, id: msg.id });
  } else if (msg?.cmd === 'blackhole') {
    upstream.blackhole(msg.on !== false);
  } else if (msg?.cmd === 'close') {
    clearInterval(timer);
    await upstream.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0)); // the harness went away: never outlive it
process.send({ ready: true, port: upstream.port });
