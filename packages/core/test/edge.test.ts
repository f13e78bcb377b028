import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, DnsMessage, type DnsServer, type Plugin } from '../src/index.js';

/** Answers every name with one A record, synchronously. */
const answerA: Plugin = {
  name: 'answer',
  handle(ctx) {
    return DnsMessage.fromPacket({
      type: 'response', id: 0, flags: 0x8400, questions: [{ name: ctx.request.question!.name, type: 'A' }],
      answers: [{ name: ctx.request.question!.name, type: 'A', ttl: 60, data: '192.0.2.1' }],
    });
  },
};

/** Answers after `ms`, to show pipelined TCP answers come back out of order. */
const slowFor = (slowName: string, ms: number): Plugin => ({
  name: 'slow',
  handle(ctx, next) {
    if (ctx.request.question!.lname !== slowName) return next(ctx);
    return new Promise((resolve) => setTimeout(() => resolve(answerA.handle(ctx, next) as DnsMessage), ms));
  },
});

let server: DnsServer;
afterEach(async () => { await server?.stop(); });

function udp(bytes: Buffer, port: number, timeout = 500): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); resolve(undefined); }, timeout);
    s.on('message', (msg) => { clearTimeout(timer); s.close(); resolve(msg); });
    s.send(bytes, port, '127.0.0.1');
  });
}

const query = (name: string, extra: object = {}) =>
  dnsPacket.encode({ type: 'query', id: 4321, flags: 0x0100, questions: [{ name, type: 'A' }], ...extra });

describe('the edge', () => {
  it('answers through the chain, echoing ID and question case, with RA', async () => {
    server = await createServer({ zones: ['example.'], plugins: [answerA] }).start();
    const reply = dnsPacket.decode((await udp(query('WwW.ExAmPlE'), server.port))!);
    expect(reply.id).toBe(4321);
    expect(reply.questions[0].name).toBe('WwW.ExAmPlE');
    expect(reply.answers[0].data).toBe('192.0.2.1');
    expect(reply.flags & 0x0080).toBe(0x0080);
  });

  it('refuses names outside every zone, and the end of an empty chain refuses too', async () => {
    server = await createServer({ blocks: [{ zones: ['example.'], plugins: [answerA] }, { zones: ['empty.'], plugins: [] }] }).start();
    expect(dnsPacket.decode((await udp(query('other.test'), server.port))!).rcode).toBe('REFUSED');
    expect(dnsPacket.decode((await udp(query('x.empty'), server.port))!).rcode).toBe('REFUSED');
    expect([...server.edges.values()][0]!.stats.refused).toBe(1);
  });

  it('picks the block with the longest matching zone', async () => {
    const refuse: Plugin = { name: 'r', handle: (ctx) => DnsMessage.reply(ctx.request, 3) };
    server = await createServer({ blocks: [{ zones: ['.'], plugins: [refuse] }, { zones: ['svc.example.'], plugins: [answerA] }] }).start();
    expect(dnsPacket.decode((await udp(query('a.svc.example'), server.port))!).rcode).toBe('NOERROR');
    expect(dnsPacket.decode((await udp(query('a.example'), server.port))!).rcode).toBe('NXDOMAIN');
  });

  it('answers FORMERR or drops malformed input, and keeps answering', async () => {
    server = await createServer({ plugins: [answerA] }).start();
    const good = query('ok.test');
    const twoQuestions = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'a.test', type: 'A' }, { name: 'b.test', type: 'A' }] });
    const longLabel = Buffer.from(good); longLabel[12] = 64;
    const loop = Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    const forward = Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 20, 0, 1, 0, 1])]);
    const withAnswer = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'a.test', type: 'A' }], answers: [{ name: 'a.test', type: 'A', data: '1.2.3.4' }] });
    const twoOpts = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'a.test', type: 'A' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 }, { type: 'OPT', name: '.', udpPayloadSize: 1232 }] });
    for (const bad of [twoQuestions, longLabel, loop, forward, withAnswer, twoOpts]) {
      const reply = await udp(bad, server.port);
      expect(reply, bad.toString('hex')).toBeDefined();
      expect(reply![3]! & 0x0f).toBe(1); // FORMERR
    }
    // Too short, or a response: dropped.
    expect(await udp(Buffer.from([1, 2, 3]), server.port, 200)).toBeUndefined();
    const response = Buffer.from(good); response[2] |= 0x80;
    expect(await udp(response, server.port, 200)).toBeUndefined();
    for (let i = 0; i < 50; i++) await udp(Buffer.from(Array.from({ length: 12 + (i % 40) }, () => Math.floor(Math.random() * 256))), server.port, 20);
    expect(dnsPacket.decode((await udp(good, server.port))!).answers).toHaveLength(1);
  });

  it('answers NOTIMP to other opcodes and BADVERS to EDNS version 1', async () => {
    server = await createServer({ plugins: [answerA] }).start();
    const notify = Buffer.from(query('a.test')); notify[2] = (notify[2]! & 0x87) | (4 << 3);
    expect((await udp(notify, server.port))![3]! & 0x0f).toBe(4);
    const v1 = dnsPacket.encode({ type: 'query', id: 5, questions: [{ name: 'a.test', type: 'A' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1 }] });
    const reply = dnsPacket.decode((await udp(v1, server.port))!);
    const opt = reply.additionals.find((r: { type: string }) => r.type === 'OPT');
    expect(opt.extendedRcode).toBe(1); // BADVERS = 16: extended 1, header 0
    expect(opt.ednsVersion).toBe(0);
  });

  it('counts what it reads, drops and answers itself on the server registry, per port', async () => {
    server = await createServer({ zones: ['example.'], plugins: [answerA] }).start();
    const port = server.port;
    const twoQuestions = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'a.example', type: 'A' }, { name: 'b.example', type: 'A' }] });
    const notify = Buffer.from(query('a.example')); notify[2] = (notify[2]! & 0x87) | (4 << 3);
    const v1 = dnsPacket.encode({ type: 'query', id: 5, questions: [{ name: 'a.example', type: 'A' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1 }] });
    for (const bytes of [twoQuestions, notify, v1, query('other.test'), query('a.example'), query('b.example')]) expect(await udp(bytes, port)).toBeDefined();
    expect(await udp(Buffer.from([1, 2, 3]), port, 200)).toBeUndefined();
    const text = await server.metrics.metrics();
    const value = (line: string): number => Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value(`dnsmesh_edge_queries_total{port="${port}"}`)).toBe(7);
    expect(value(`dnsmesh_edge_dropped_total{port="${port}"}`)).toBe(1);
    for (const rcode of ['FORMERR', 'NOTIMP', 'BADVERS', 'REFUSED']) expect(value(`dnsmesh_edge_replies_total{port="${port}",rcode="${rcode}"}`), rcode).toBe(1);
    expect(value(`dnsmesh_edge_replies_total{port="${port}",rcode="SERVFAIL"}`)).toBe(0);
    expect(value(`dnsmesh_udp_send_failures_total{port="${port}"}`)).toBe(0);
    // The batched transport counts its batches and their datagrams (every datagram, the dropped one too); dgram has none.
    const datagrams = value(`dnsmesh_udp_batch_datagrams_total{port="${port}"}`);
    const batches = value(`dnsmesh_udp_batches_total{port="${port}"}`);
    if (server.udpTransport === 'batch') {
      expect(datagrams).toBe(7);
      expect(batches).toBeGreaterThanOrEqual(1);
      expect(batches).toBeLessThanOrEqual(7);
    } else {
      expect([datagrams, batches]).toEqual([0, 0]);
    }
  });

  it('answers pipelined TCP queries on one connection as each is ready', async () => {
    server = await createServer({ plugins: [slowFor('slow.test.', 150), answerA] }).start();
    const socket = net.connect(server.port, '127.0.0.1');
    const frames: Buffer[] = [];
    const names = ['slow.test', 'a.test', 'b.test', 'c.test'];
    const replies = new Promise<string[]>((resolve) => {
      let buf = Buffer.alloc(0);
      const got: string[] = [];
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
          const len = buf.readUInt16BE(0);
          got.push(dnsPacket.decode(buf.subarray(2, 2 + len)).questions[0].name);
          buf = buf.subarray(2 + len);
          if (got.length === names.length) resolve(got);
        }
      });
    });
    for (const name of names) frames.push(dnsPacket.streamEncode({ type: 'query', id: 9, questions: [{ name, type: 'A' }] }));
    socket.write(Buffer.concat(frames));
    const order = await replies;
    socket.destroy();
    expect(order).toHaveLength(4);
    expect(order[3]).toBe('slow.test');
  });

  it('drains in-flight queries on stop', async () => {
    server = await createServer({ plugins: [slowFor('slow.test.', 200), answerA] }).start();
    const pending = udp(query('slow.test'), server.port, 2000);
    await new Promise((r) => setTimeout(r, 50));
    await server.stop();
    expect(dnsPacket.decode((await pending)!).answers).toHaveLength(1);
  });
});
