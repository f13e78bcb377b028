#!/usr/bin/env node
// The "Node ceiling": the cheapest DNS responder a Node program can be. It never parses the query: it
// copies the query's ID into a fixed, prebuilt reply and sends it back with node:dgram. Whatever a
// Node DNS server does per query costs at least this much; dnsmesh's hit path is compared to it.
//
//   node bench/ceiling.mjs --port P [--name n0.bench.example] [--answers 1] [--edns] [--tc] [--uncompressed] [--batch]
//
// --batch uses dnsmesh's batched transport (@dnsmesh/udp-batch: recvmmsg/sendmmsg, one JavaScript call
// per batch, the reply written in place) instead of node:dgram: the ceiling for a Node program on
// that transport. Exits with status 3 when the addon does not load here.
//
// --uncompressed writes each answer's owner name in full instead of a pointer to the question, as
// the bench upstream (dns-packet, which never compresses) does: dnsmesh passes those bytes on as they
// came, so this is the reply of the same size for the ceiling to send.
// Listens on 127.0.0.1 only. Prints "ceiling listening on 127.0.0.1:PORT" when ready.
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    name: { type: 'string', default: 'n0.bench.example' },
    answers: { type: 'string', default: '1' },
    edns: { type: 'boolean', default: false },
    tc: { type: 'boolean', default: false },
    uncompressed: { type: 'boolean', default: false },
    batch: { type: 'boolean', default: false },
  },
});

/** A reply for `name` A with `answers` A records (none when tc), an OPT when edns. */
function fixedReply(name, answers, edns, tc, uncompressed) {
  const qname = Buffer.concat([...name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  const n = tc ? 0 : answers;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x8400 | (tc ? 0x0200 : 0) | 0x0100 | 0x0080, 2); // QR AA [TC] RD RA, NOERROR
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(n, 6);
  header.writeUInt16BE(edns ? 1 : 0, 10);
  const question = Buffer.concat([qname, Buffer.from([0, 1, 0, 1])]);
  const rrs = [];
  for (let i = 0; i < n; i++) {
    // the owner (a pointer to the question name, or the name in full), A IN, TTL 3600, 10.0.x.y
    const owner = uncompressed ? qname : Buffer.from([0xc0, 12]);
    rrs.push(owner, Buffer.from([0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 10, 0, i >> 8, (i & 255) + 1]));
  }
  const opt = edns ? Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]) : Buffer.alloc(0);
  return Buffer.concat([header, question, ...rrs, opt]);
}

const template = fixedReply(values.name, Number(values.answers), values.edns, values.tc, values.uncompressed);
const BUFFER = 4 << 20; // the socket buffers dnsmesh asks for

if (values.batch) await batchCeiling();
else dgramCeiling();

function dgramCeiling() {
  // A small ring of copies: dgram may queue a send when the socket buffer is full, so the reply being
  // patched must not be one still waiting to go out.
  const RING = 64;
  const ring = Array.from({ length: RING }, () => Buffer.from(template));
  let next = 0;
  const socket = dgram.createSocket('udp4');
  socket.on('error', (err) => { process.stderr.write(`ceiling: ${err.message}\n`); });
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    const reply = ring[next];
    next = (next + 1) & (RING - 1);
    reply[0] = msg[0];
    reply[1] = msg[1];
    socket.send(reply, rinfo.port, rinfo.address);
  });
  socket.bind(Number(values.port), '127.0.0.1', () => {
    socket.setRecvBufferSize(BUFFER);
    socket.setSendBufferSize(BUFFER);
    ready(socket.address().port, () => socket.close());
  });
}

async function batchCeiling() {
  const udpBatch = await import('@dnsmesh/udp-batch').catch((err) => ({ available: false, loadError: err }));
  if (!udpBatch.available) {
    process.stderr.write(`ceiling: the batched transport does not load here: ${udpBatch.loadError?.message}\n`);
    process.exit(3);
  }
  const len = template.length;
  const socket = udpBatch.BatchSocket.open({
    host: '127.0.0.1', port: Number(values.port), batchSize: 64, slotSize: 4096,
    recvBufferSize: BUFFER, sendBufferSize: BUFFER,
  }, (batch) => {
    const { buf, lens, slotSize, count } = batch;
    for (let i = 0, off = 0; i < count; i++, off += slotSize) {
      if (lens[i] < 12) { lens[i] = 0; continue; }
      const id0 = buf[off];
      const id1 = buf[off + 1];
      template.copy(buf, off);
      buf[off] = id0;
      buf[off + 1] = id1;
      lens[i] = len;
    }
  });
  ready(socket.port, () => socket.close());
}

function ready(port, close) {
  process.stdout.write(`ceiling listening on 127.0.0.1:${port}\n`);
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { close(); process.exit(0); });
}
