import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { DnsMessage } from '../message.js';
import { FLAG_TC } from './constants.js';
import { finishReply, writeReply } from './finish.js';
import { fitReply } from './fit.js';

function aRecords(name: string, n: number, ttl = 60) {
  return Array.from({ length: n }, (_, i) => ({ name, type: 'A', ttl, data: `10.0.${i >> 8}.${i & 255}` }));
}

function reply(packet: object): DnsMessage {
  return new DnsMessage(dnsPacket.encode({ type: 'response', id: 7, flags: 0x8400, questions: [{ name: 'big.test', type: 'A' }], ...packet }));
}

function query(opts: { id?: number; name?: string; edns?: number; do?: boolean } = {}): DnsMessage {
  const additionals = opts.edns === undefined ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, flags: opts.do ? 0x8000 : 0 }];
  return new DnsMessage(dnsPacket.encode({ type: 'query', id: opts.id ?? 1234, flags: 0x0100, questions: [{ name: opts.name ?? 'big.test', type: 'A' }], additionals }));
}

describe('fitReply', () => {
  it('keeps everything when it fits', () => {
    const m = reply({ answers: aRecords('big.test', 3) });
    const fit = fitReply(m.layout, 512, 0);
    expect(fit).toEqual({ keep: 3, bytes: m.bytes.length, tc: false });
  });

  it('drops additional RRsets first, with TC clear', () => {
    const m = reply({ answers: aRecords('big.test', 2), additionals: [...aRecords('glue-one.test', 10), ...aRecords('glue-two.test', 10)] });
    const answerEnd = m.layout.stop[1]!;
    const oneGlueSet = m.layout.stop[11]! - answerEnd;
    const fit = fitReply(m.layout, answerEnd + oneGlueSet + 5, 0);
    expect(fit.tc).toBe(false);
    expect(fit.keep).toBe(12); // the answer and the first whole additional RRset
  });

  it('never keeps part of an RRset: a 40-record answer that does not fit leaves an empty answer and TC', () => {
    const m = reply({ answers: aRecords('big.test', 40) });
    const fit = fitReply(m.layout, 512, 0);
    expect(fit.keep).toBe(0);
    expect(fit.tc).toBe(true);
    expect(fit.bytes).toBe(m.layout.questionEnd);
  });

  it('drops authority RRsets that do not fit a positive answer, with TC clear (RFC 2181 §9)', () => {
    const m = reply({
      answers: aRecords('big.test', 2),
      authorities: Array.from({ length: 30 }, (_, i) => ({ name: 'test', type: 'NS', ttl: 60, data: `ns${i}.example.net` })),
      additionals: aRecords('glue.test', 1),
    });
    const fit = fitReply(m.layout, 512, 11);
    expect(fit).toEqual({ keep: 2, bytes: m.layout.stop[1]!, tc: false });
  });

  it('keeps the authority RRsets that fit whole, in order, before any additional one', () => {
    const m = reply({
      answers: aRecords('big.test', 1),
      authorities: [{ name: 'test', type: 'NS', ttl: 60, data: 'ns.test' }, ...Array.from({ length: 30 }, (_, i) => ({ name: 'test', type: 'TXT', ttl: 60, data: `t${i}`.repeat(3) }))],
      additionals: aRecords('ns.test', 1),
    });
    const fit = fitReply(m.layout, m.layout.stop[1]! + 20, 0);
    expect(fit).toMatchObject({ keep: 2, tc: false }); // the answer and the NS RRset
  });

  it('sets TC when a negative answer\'s authority (its SOA) does not fit', () => {
    const m = reply({ rcode: 'NXDOMAIN', authorities: [{ name: 'test', type: 'SOA', ttl: 60, data: { mname: 'ns.test', rname: 'h.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } }] });
    const fit = fitReply(m.layout, m.layout.questionEnd + 10, 0);
    expect(fit).toEqual({ keep: 0, bytes: m.layout.questionEnd, tc: true });
  });

  it('sets TC when the NSEC proofs of a positive answer do not fit (RFC 4035 §3.1.1)', () => {
    const m = reply({
      answers: aRecords('big.test', 1),
      authorities: [{ name: 'a.test', type: 'NSEC', ttl: 60, data: { nextDomain: 'z.test', rrtypes: ['A', 'RRSIG', 'NSEC'] } }],
    });
    const fit = fitReply(m.layout, m.layout.stop[0]! + 5, 0);
    expect(fit).toEqual({ keep: 1, bytes: m.layout.stop[0]!, tc: true });
  });

  it('keeps whole leading RRsets of a CNAME chain that fit', () => {
    const m = reply({ answers: [{ name: 'big.test', type: 'CNAME', ttl: 60, data: 'target.test' }, ...aRecords('target.test', 40)] });
    const fit = fitReply(m.layout, 512, 0);
    expect(fit.keep).toBe(1);
    expect(fit.tc).toBe(true);
  });
});

describe('finishReply', () => {
  it("echoes the client's ID and question case, sets RA, and fits a no-EDNS client into 512 bytes with TC", () => {
    const m = reply({ answers: aRecords('big.test', 40) });
    const out = finishReply(query({ id: 999, name: 'BiG.TeSt' }), m, { limit: 512 });
    expect(out.length).toBeLessThanOrEqual(512);
    const decoded = dnsPacket.decode(out);
    expect(decoded.id).toBe(999);
    expect(decoded.questions[0].name).toBe('BiG.TeSt');
    expect(decoded.answers).toHaveLength(0);
    expect(decoded.flags & FLAG_TC).toBe(FLAG_TC);
    expect(decoded.flags & 0x0080).toBe(0x0080);
  });

  it('adds a fresh OPT for an EDNS client, never the upstream one, and echoes DO', () => {
    const m = reply({ answers: aRecords('big.test', 2), additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4000, flags: 0, options: [{ code: 10, data: Buffer.alloc(8, 1) }] }] });
    const out = finishReply(query({ edns: 1232, do: true }), m, { limit: 1232 });
    const decoded = dnsPacket.decode(out);
    const opts = decoded.additionals.filter((r: { type: string }) => r.type === 'OPT');
    expect(opts).toHaveLength(1);
    expect(opts[0].udpPayloadSize).toBe(1232);
    expect(opts[0].options).toHaveLength(0);
    expect(opts[0].flags & 0x8000).toBe(0x8000);
  });

  it('has no OPT for a client that sent none', () => {
    const m = reply({ answers: aRecords('big.test', 2), additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4000 }] });
    const decoded = dnsPacket.decode(finishReply(query(), m, { limit: 512 }));
    expect(decoded.additionals).toHaveLength(0);
  });

  it('attaches an Extended DNS Error for EDNS clients', () => {
    const m = reply({ answers: aRecords('big.test', 1) });
    const decoded = dnsPacket.decode(finishReply(query({ edns: 1232 }), m, { limit: 1232, ede: 3 }));
    const opt = decoded.additionals.find((r: { type: string }) => r.type === 'OPT');
    expect(opt.options[0].code).toBe(15);
    expect(opt.options[0].data.readUInt16BE(0)).toBe(3);
  });

  it('ages every TTL, or sets them all for a stale answer', () => {
    const m = reply({ answers: aRecords('big.test', 2, 300) });
    m.ttlAge = 100;
    expect(dnsPacket.decode(finishReply(query(), m, { limit: 512 })).answers.map((a: { ttl: number }) => a.ttl)).toEqual([200, 200]);
    m.ttlAge = 400;
    expect(dnsPacket.decode(finishReply(query(), m, { limit: 512 })).answers.map((a: { ttl: number }) => a.ttl)).toEqual([0, 0]);
    m.ttlSet = 30;
    expect(dnsPacket.decode(finishReply(query(), m, { limit: 512 })).answers.map((a: { ttl: number }) => a.ttl)).toEqual([30, 30]);
  });

  it('moves an OPT that is not last out of the way', () => {
    const m = reply({ answers: aRecords('big.test', 1), additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4000 }, ...aRecords('glue.test', 1)] });
    const decoded = dnsPacket.decode(finishReply(query({ edns: 1232 }), m, { limit: 1232 }));
    expect(decoded.additionals.map((r: { type: string }) => r.type)).toEqual(['A', 'OPT']);
  });
});

describe('AA in the reply', () => {
  it('is cleared on what is relayed (RFC 1034 §4.3.2), kept on a message a plugin marks authoritative', () => {
    const relayed = reply({ answers: aRecords('big.test', 1) }); // the upstream set AA (0x8400)
    expect(finishReply(query(), relayed, { limit: 512 }).readUInt16BE(2) & 0x0400).toBe(0);
    const own = reply({ answers: aRecords('big.test', 1) });
    own.authoritative = true;
    expect(finishReply(query(), own, { limit: 512 }).readUInt16BE(2) & 0x0400).toBe(0x0400);
    expect(DnsMessage.reply(query(), 3, 0x0400).authoritative).toBe(true);
    expect(DnsMessage.reply(query(), 3).authoritative).toBe(false);
  });

  it('never copies the header Z bit', () => {
    const m = reply({ answers: aRecords('big.test', 1), flags: 0x8440 });
    expect(finishReply(query(), m, { limit: 512 }).readUInt16BE(2) & 0x0040).toBe(0);
  });
});

describe('writeReply from a wire image (a cache hit)', () => {
  /** A message as the cache stores it: no OPT; its image is the bytes then each record's TTL offset. */
  function imaged(m: DnsMessage, age: number, set = -1): DnsMessage {
    const records = m.layout.an + m.layout.ns + m.layout.ar;
    const wire = Buffer.alloc(m.bytes.length + 2 * records);
    m.bytes.copy(wire);
    for (let i = 0; i < records; i++) wire.writeUInt16BE(m.layout.ttlAt[i]!, m.bytes.length + 2 * i);
    const out = new DnsMessage(m.bytes, m.layout);
    out.image = { wire, length: m.bytes.length, questionEnd: m.layout.questionEnd, records };
    out.ttlAge = age;
    out.ttlSet = set;
    return out;
  }

  function plain(m: DnsMessage, age: number, set = -1): DnsMessage {
    const out = new DnsMessage(m.bytes, m.layout);
    out.ttlAge = age;
    out.ttlSet = set;
    return out;
  }

  it('writes the same bytes as the general path: aged or set TTLs, with and without EDNS, EDE, in a slot or not', () => {
    const stored = reply({
      flags: 0x8420, // AA and AD
      answers: [{ name: 'big.test', type: 'CNAME', ttl: 300, data: 'target.test' }, ...aRecords('target.test', 3, 120)],
      authorities: [{ name: 'test', type: 'NS', ttl: 900, data: 'ns.test' }],
      additionals: aRecords('ns.test', 1, 50),
    });
    for (const q of [query({ id: 9, name: 'BiG.tEsT' }), query({ id: 10, edns: 1232 }), query({ id: 11, edns: 4096, do: true })]) {
      for (const [age, set, ede] of [[0, -1, -1], [100, -1, -1], [200, -1, -1], [0, 30, 3]] as const) {
        const want = writeReply(q, plain(stored, age, set), 4096, ede, undefined, undefined, 0, 0) as Buffer;
        expect(writeReply(q, imaged(stored, age, set), 4096, ede, undefined, undefined, 0, 0), `age ${age} set ${set}`).toEqual(want);
        // In a slot that holds the query (the batched transport), question already in place.
        const slot = Buffer.alloc(700, 0xee);
        q.bytes.copy(slot, 100);
        const inSlot = new DnsMessage(slot.subarray(100, 100 + q.bytes.length));
        const n = writeReply(inSlot, imaged(stored, age, set), 4096, ede, undefined, slot, 100, 600, true);
        expect(n).toBe(want.length);
        expect(slot.subarray(100, 100 + (n as number))).toEqual(want);
        // No target and a base: the base is headroom (a TCP frame's length goes there), from either path.
        for (const m of [imaged(stored, age, set), plain(stored, age, set)]) {
          const framed = writeReply(q, m, 4096, ede, undefined, undefined, 2, 0) as Buffer;
          expect(framed.length).toBe(want.length + 2);
          expect(framed.subarray(2)).toEqual(want);
        }
      }
    }
    // TTLs really moved: 120 aged by 100 is 20, the stale set is 30 everywhere.
    const aged = dnsPacket.decode(writeReply(query(), imaged(stored, 100), 4096, -1, undefined, undefined, 0, 0) as Buffer);
    expect(aged.answers.map((a: { ttl: number }) => a.ttl)).toEqual([200, 20, 20, 20]);
    expect(aged.flags & 0x0020).toBe(0); // AD cleared: the client asked for neither AD nor DO
    const asked = writeReply(query({ edns: 1232, do: true }), imaged(stored, 100), 4096, -1, undefined, undefined, 0, 0) as Buffer;
    expect(asked.readUInt16BE(2) & 0x0420).toBe(0x0020); // AD for a DO client; AA never from the cache
  });

  it('leaves a reply that does not fit the client to the fitting path (TC, whole RRsets)', () => {
    const big = reply({ answers: aRecords('big.test', 40) });
    const out = dnsPacket.decode(writeReply(query(), imaged(big, 0), 512, -1, undefined, undefined, 0, 0) as Buffer);
    expect(out.flags & FLAG_TC).toBe(FLAG_TC);
    expect(out.answers).toHaveLength(0);
  });
});
