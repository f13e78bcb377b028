#!/usr/bin/env node
// An upstream that answers every A query at once with one A record for the name asked (owner a
// pointer to the question, TTL 3600), built from the query's bytes: any number of unique names
// without a table (bench/memory.mjs fills caches with a million). Other types get NODATA.
// Same IPC as bench/upstream.mjs: { ready, port } once listening; { cmd: 'count', id } -> { count, id }.
import dgram from 'node:dgram';

const socket = dgram.createSocket('udp4');
let count = 0;
socket.on('message', (q, rinfo) => {
  if (q.length < 17 || (q[2] & 0x80) !== 0 || q.readUInt16BE(4) !== 1) return;
  let p = 12;
  while (p < q.length && q[p] !== 0) p += q[p] + 1;
  const qEnd = p + 5;
  if (qEnd > q.length) return;
  count++;
  const isA = q.readUInt16BE(qEnd - 4) === 1;
  const out = Buffer.alloc(qEnd + (isA ? 16 : 0));
  q.copy(out, 0, 0, qEnd);
  out.writeUInt16BE(0x8400 | (q.readUInt16BE(2) & 0x0100), 2); // QR AA, RD echoed
  out.writeUInt16BE(isA ? 1 : 0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  if (isA) {
    out.writeUInt16BE(0xc00c, qEnd);
    out.writeUInt16BE(1, qEnd + 2);
    out.writeUInt16BE(1, qEnd + 4);
    out.writeUInt32BE(3600, qEnd + 6);
    out.writeUInt16BE(4, qEnd + 10);
    out.writeUInt32BE((10 << 24) | (count & 0xffffff), qEnd + 12);
  }
  socket.send(out, rinfo.port, rinfo.address);
});
process.on('message', (msg) => {
  if (msg?.cmd === 'count') process.send({ count, id: msg.id });
  else if (msg?.cmd === 'close') { socket.close(); process.exit(0); }
});
process.on('disconnect', () => process.exit(0));
socket.bind(0, '127.0.0.1', () => process.send({ ready: true, port: socket.address().port }));
