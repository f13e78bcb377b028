import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { DnsMessage } from '../message.js';
import { FLAG_TC } from './constants.js';
import { finishReply } from './finish.js';
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
