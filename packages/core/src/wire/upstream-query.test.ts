import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { DnsMessage } from '../message.js';
import { ednsRejected, upstreamQuery, withoutEdns } from './upstream-query.js';

/** A client's query, with whatever odd header bits and OPT it chose. */
function clientQuery(opts: { flags?: number; edns?: number; do?: boolean; ednsFlags?: number; options?: { code: number; data: Buffer }[]; name?: string } = {}): DnsMessage {
  const additionals = opts.edns === undefined ? [] : [{
    type: 'OPT', name: '.', udpPayloadSize: opts.edns, flags: (opts.do ? 0x8000 : 0) | (opts.ednsFlags ?? 0), options: opts.options ?? [],
  }];
  return new DnsMessage(dnsPacket.encode({ type: 'query', id: 0x4242, flags: opts.flags ?? 0x0100, questions: [{ name: opts.name ?? 'WwW.Example.TEST', type: 'AAAA' }], additionals }));
}

/** The OPT at the end of an upstream query: [size, extRcode, version, flags, rdlen]. */
function optOf(q: Buffer): number[] {
  const at = q.length - 11;
  expect(q[at]).toBe(0);                 // root owner
  expect(q.readUInt16BE(at + 1)).toBe(41);
  return [q.readUInt16BE(at + 3), q[at + 5]!, q[at + 6]!, q.readUInt16BE(at + 7), q.readUInt16BE(at + 9)];
}

describe('upstreamQuery', () => {
  it("keeps the question's octets and case, RD and CD, and sends our own OPT: 1232, version 0, no options", () => {
    const request = clientQuery({ flags: 0x0110, edns: 4096 });
    const q = upstreamQuery(request);
    expect(q.readUInt16BE(0)).toBe(0x4242);                  // the transport swaps in a random ID
    expect(q.readUInt16BE(2)).toBe(0x0110);                  // RD and CD, nothing else
    expect([q.readUInt16BE(4), q.readUInt16BE(6), q.readUInt16BE(8), q.readUInt16BE(10)]).toEqual([1, 0, 0, 1]);
    expect(q.subarray(12, request.questionEnd)).toEqual(request.bytes.subarray(12, request.questionEnd));
    expect(dnsPacket.decode(q).questions[0]).toMatchObject({ name: 'WwW.Example.TEST', type: 'AAAA' });
    expect(optOf(q)).toEqual([1232, 0, 0, 0, 0]);
    expect(q.length).toBe(request.questionEnd + 11);
  });

  it('clears the header Z bit, AA, TC, AD and the opcode-irrelevant bits the client set', () => {
    // QR clear (a query), AA, TC, RD, RA, Z, AD, CD all set by a careless client.
    const q = upstreamQuery(clientQuery({ flags: 0x07f0 }));
    expect(q.readUInt16BE(2)).toBe(0x0110);
  });

  it('sets AD only when asked to (a trusted upstream, RFC 6840 §5.7)', () => {
    expect(upstreamQuery(clientQuery(), { ad: true }).readUInt16BE(2)).toBe(0x0120);
    expect(upstreamQuery(clientQuery({ flags: 0x0120 })).readUInt16BE(2)).toBe(0x0100);
  });

  it("keeps DO as the client asked and drops the client's options, Z flags and size", () => {
    const withJunk = clientQuery({
      edns: 100, do: true, ednsFlags: 0x4001,
      options: [{ code: 10, data: Buffer.alloc(8, 7) }, { code: 65001, data: Buffer.from([0xab, 0xcd]) }, { code: 12, data: Buffer.alloc(40) }],
    });
    expect(optOf(upstreamQuery(withJunk))).toEqual([1232, 0, 0, 0x8000, 0]);
    expect(optOf(upstreamQuery(clientQuery({ edns: 65535 })))).toEqual([1232, 0, 0, 0, 0]);
  });

  it('sends an OPT even for a client without EDNS (DO clear), at the configured size', () => {
    expect(optOf(upstreamQuery(clientQuery(), { udpSize: 4096 }))).toEqual([4096, 0, 0, 0, 0]);
    expect(optOf(upstreamQuery(clientQuery()))).toEqual([1232, 0, 0, 0, 0]);
  });

  it("carries the options a plugin set (QueryContext.upstreamEdns), in order, and never the client's", () => {
    const request = clientQuery({ edns: 1232, do: true, options: [{ code: 10, data: Buffer.alloc(8, 7) }] });
    const ecs = Buffer.from([0, 1, 24, 0, 10, 1, 2]);
    const q = upstreamQuery(request, {}, [{ code: 0xffee, data: Buffer.from('abcd') }, { code: 8, data: ecs }, { code: 3, data: Buffer.alloc(0) }]);
    const opt = dnsPacket.decode(q).additionals[0] as { udpPayloadSize: number; flags: number; options: { code: number; data: Buffer }[] };
    expect([opt.udpPayloadSize, opt.flags]).toEqual([1232, 0x8000]);
    expect(opt.options.map((o) => [o.code, Buffer.from(o.data).toString('hex')])).toEqual([[0xffee, '61626364'], [8, ecs.toString('hex')], [3, '']]);
    expect(q.length).toBe(request.questionEnd + 11 + 8 + 11 + 4);
    expect(upstreamQuery(request, {}, [])).toEqual(upstreamQuery(request));
    // The EDNS fallback drops the options with the OPT.
    expect(withoutEdns(q)).toEqual(withoutEdns(upstreamQuery(request)));
    expect(withoutEdns(q).length).toBe(request.questionEnd);
    expect(() => upstreamQuery(request, {}, [{ code: 70000, data: Buffer.alloc(0) }])).toThrow(/option code/);
    expect(() => upstreamQuery(request, {}, [{ code: 1, data: Buffer.alloc(65530) }])).toThrow(/more than an OPT record holds/);
  });

  it('refuses a size below 512 or a query without a question', () => {
    expect(() => upstreamQuery(clientQuery(), { udpSize: 100 })).toThrow(/udpSize/);
    const bare = Buffer.alloc(12);
    expect(() => upstreamQuery(new DnsMessage(bare))).toThrow(/no question/);
  });

  it('withoutEdns drops our OPT (and DO with it); ednsRejected spots a FORMERR that has no OPT', () => {
    const q = upstreamQuery(clientQuery({ edns: 1232, do: true }));
    const plain = withoutEdns(q);
    expect(plain.readUInt16BE(10)).toBe(0);
    expect(plain).toEqual(Buffer.concat([Buffer.from([0x42, 0x42, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), q.subarray(12, q.length - 11)]));
    const formerr = (opt: boolean) => new DnsMessage(dnsPacket.encode({
      type: 'response', id: 1, flags: 0x8001, questions: [{ name: 'a.test', type: 'A' }], additionals: opt ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232 }] : [],
    }));
    expect(ednsRejected(formerr(false))).toBe(true);
    expect(ednsRejected(formerr(true))).toBe(false);
    expect(ednsRejected(new DnsMessage(Buffer.from([0, 1, 0x80, 0x05, 0, 0, 0, 0, 0, 0, 0, 0])))).toBe(false); // REFUSED
  });
});
