import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { DnsMessage } from '../message.js';
import { Rcode } from '../wire/constants.js';
import { WireError } from '../wire/wire-error.js';
import { anyClass, checkQuery, classProblem } from './check-query.js';
import { errorReply } from './error-reply.js';

const TYPES: Record<string, number> = { A: 1, AXFR: 252, IXFR: 251, ANY: 255 };
const CLASSES: Record<string, number> = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 };

/** A query for a.test with any QTYPE and QCLASS (by number or name) and header flags. */
function q(type: string | number, opts: { flags?: number } = {}, cls: string | number = 'IN'): DnsMessage {
  const out = Buffer.from([0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 4, 0x74, 0x65, 0x73, 0x74, 0, 0, 0, 0, 0]);
  out.writeUInt16BE(opts.flags ?? 0x0100, 2);
  out.writeUInt16BE(typeof type === 'number' ? type : TYPES[type]!, 20);
  out.writeUInt16BE(typeof cls === 'number' ? cls : CLASSES[cls]!, 22);
  return new DnsMessage(out);
}

/** A query with a raw additional section (for records dns-packet will not write). */
function withAdditional(ar: Buffer, arcount = 1): DnsMessage {
  const base = Buffer.from(dnsPacket.encode({ type: 'query', id: 7, flags: 0x0100, questions: [{ name: 'a.test', type: 'A' }] }));
  base.writeUInt16BE(arcount, 10);
  return new DnsMessage(Buffer.concat([base, ar]));
}

/** An OPT record's bytes: root owner unless `owner` is given. */
function opt(opts: { size?: number; version?: number; flags?: number; rdata?: Buffer; owner?: Buffer; rdlen?: number } = {}): Buffer {
  const rdata = opts.rdata ?? Buffer.alloc(0);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(41, 0);
  fixed.writeUInt16BE(opts.size ?? 1232, 2);
  fixed[5] = opts.version ?? 0;
  fixed.writeUInt16BE(opts.flags ?? 0, 6);
  fixed.writeUInt16BE(opts.rdlen ?? rdata.length, 8);
  return Buffer.concat([opts.owner ?? Buffer.from([0]), fixed, rdata]);
}

/** What the edge answers: the rcode checkQuery gives, or FORMERR when the query does not parse. */
function verdict(m: DnsMessage): number | undefined {
  try {
    return checkQuery(m)?.rcode;
  } catch (err) {
    if (err instanceof WireError) return Rcode.FORMERR;
    throw err;
  }
}

describe('checkQuery', () => {
  it('passes an ordinary query, with or without a well-formed OPT (options included)', () => {
    expect(verdict(q('A'))).toBeUndefined();
    expect(verdict(withAdditional(opt({ rdata: Buffer.from([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0xfd, 0xe9, 0, 2, 0xab, 0xcd]) })))).toBeUndefined();
    expect(verdict(q('ANY'))).toBeUndefined();   // ANY is a real qtype (RFC 8482 handling is not the edge's)
    expect(verdict(q(0))).toBeUndefined();       // as Unbound: passed on
  });

  it('answers FORMERR for a non-OPT additional record, a bad option length, two OPTs, an OPT off the root', () => {
    const aRecord = Buffer.from(dnsPacket.encode({ type: 'response', answers: [{ name: 'x.test', type: 'A', ttl: 60, data: '192.0.2.1' }] }).subarray(12));
    expect(verdict(withAdditional(aRecord))).toBe(Rcode.FORMERR);
    expect(verdict(withAdditional(opt({ rdata: Buffer.from([0, 10, 0, 20, 1, 2]) })))).toBe(Rcode.FORMERR);  // option longer than the RDATA
    expect(verdict(withAdditional(opt({ rdata: Buffer.from([0, 10, 0]) })))).toBe(Rcode.FORMERR);             // half an option header
    expect(verdict(withAdditional(Buffer.concat([opt(), opt()]), 2))).toBe(Rcode.FORMERR);
    expect(verdict(withAdditional(opt({ owner: Buffer.from([1, 0x61, 0]) })))).toBe(Rcode.FORMERR);
    expect(verdict(withAdditional(opt({ rdlen: 9 })))).toBe(Rcode.FORMERR);                                   // RDATA past the end
  });

  it('answers FORMERR for a COOKIE option of a length no cookie has (RFC 7873 §5.2.2), passes 8 and 16-40', () => {
    const cookieOpt = (len: number, before: number[] = []) => withAdditional(opt({ rdata: Buffer.from([...before, 0, 10, len >> 8, len & 255, ...Array.from({ length: len }, (_, i) => i)]) }));
    for (const len of [0, 1, 7, 9, 15, 41, 64]) expect(verdict(cookieOpt(len)), `cookie of ${len} octets`).toBe(Rcode.FORMERR);
    for (const len of [8, 16, 24, 40]) expect(verdict(cookieOpt(len)), `cookie of ${len} octets`).toBeUndefined();
    expect(verdict(cookieOpt(1, [0, 3, 0, 0])), 'after an NSID option').toBe(Rcode.FORMERR);
    expect(verdict(withAdditional(opt({ rdata: Buffer.from([0xfd, 0xe9, 0, 1, 0xab]) })))).toBeUndefined(); // another option of 1 octet
  });

  it('answers FORMERR for meta-type QTYPEs, as Unbound (RFC 6895 §3.1)', () => {
    for (const t of [41, 249, 250, 253, 254, 128, 200, 248]) expect(verdict(q(t)), `qtype ${t}`).toBe(Rcode.FORMERR);
    for (const t of [127, 255, 256, 65535]) expect(verdict(q(t)), `qtype ${t}`).toBeUndefined();
  });

  it('refuses zone transfers and every class but IN, with EDE 21 (Not Supported)', () => {
    expect(checkQuery(q('AXFR'))).toMatchObject({ rcode: Rcode.REFUSED, ede: 21 });
    expect(checkQuery(q('IXFR'))).toMatchObject({ rcode: Rcode.REFUSED, ede: 21 });
    for (const cls of ['CH', 'HS', 'NONE', 'ANY', 0, 5]) expect(checkQuery(q('A', {}, cls)), `class ${cls}`).toMatchObject({ rcode: Rcode.REFUSED, ede: 21 });
    const versionBind = new DnsMessage(dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] }));
    expect(versionBind.qclass).toBe(3);
    expect(checkQuery(versionBind)?.rcode).toBe(Rcode.REFUSED);
  });

  it('leaves the class to the server block when asked (a block whose chaos plugin takes CH)', () => {
    const ch = q('A', {}, 'CH');
    expect(checkQuery(ch, anyClass)).toBeUndefined();
    expect(classProblem(ch, (c) => c === 3)).toBeUndefined();
    expect(classProblem(q('A', {}, 'HS'), (c) => c === 3)).toMatchObject({ rcode: Rcode.REFUSED, ede: 21 });
    expect(classProblem(q('A'), () => false)).toBeUndefined(); // IN always
  });

  it('keeps BADVERS and NOTIMP as before', () => {
    expect(verdict(withAdditional(opt({ version: 1 })))).toBe(Rcode.BADVERS);
    expect(verdict(q('A', { flags: 0x1100 }))).toBe(Rcode.NOTIMP);  // opcode 2 (STATUS)
  });
});

describe('errorReply', () => {
  const decode = (b: Buffer) => dnsPacket.decode(b);
  const optIn = (b: Buffer) => decode(b).additionals.filter((r: { type: string }) => r.type === 'OPT');

  it('echoes ID, question, RD and CD, sets QR and RA, with no OPT for a client that sent none', () => {
    const out = errorReply(q('A', { flags: 0x0110 }), Rcode.REFUSED);
    const d = decode(out);
    expect(d).toMatchObject({ id: 7, rcode: 'REFUSED', questions: [{ name: 'a.test', type: 'A' }] });
    expect(out.readUInt16BE(2)).toBe(0x8195);       // QR, RD, RA, CD, REFUSED: nothing else
    expect(d.additionals).toHaveLength(0);
  });

  it('carries an OPT (DO echoed) when the query had a readable one, with the EDE', () => {
    const m = withAdditional(opt({ flags: 0x8000, size: 4096 }));
    const o = optIn(errorReply(m, Rcode.REFUSED, 21, 'zone transfers are not served'));
    expect(o).toHaveLength(1);
    expect(o[0]).toMatchObject({ udpPayloadSize: 1232, flags: 0x8000 });
    expect(o[0].options[0].code).toBe(15);
    expect(o[0].options[0].data.readUInt16BE(0)).toBe(21);
  });

  it('carries a minimal OPT (1232, DO clear) when the OPT itself is broken, as Unbound', () => {
    for (const m of [
      withAdditional(Buffer.concat([opt({ flags: 0x8000 }), opt()]), 2),
      withAdditional(opt({ owner: Buffer.from([1, 0x61, 0]) })),
      withAdditional(opt({ rdlen: 9, flags: 0x8000 })),
    ]) {
      const out = errorReply(m, Rcode.FORMERR);
      expect(out[3]! & 0x0f).toBe(Rcode.FORMERR);
      expect(out.readUInt16BE(10)).toBe(1);
      expect(out.subarray(out.length - 11)).toEqual(Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]));
    }
  });

  it('writes BADVERS as rcode 0 plus extended rcode 1 in the OPT', () => {
    const out = errorReply(withAdditional(opt({ version: 1 })), Rcode.BADVERS);
    expect(out[3]! & 0x0f).toBe(0);
    expect(out[out.length - 6]).toBe(1);   // extended rcode
    expect(out[out.length - 5]).toBe(0);   // version 0
  });

  it('falls back to a bare header when the question cannot be read', () => {
    const loop = Buffer.concat([Buffer.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    const out = errorReply(new DnsMessage(loop), Rcode.FORMERR);
    expect(out.length).toBe(12);
    expect(out.readUInt16BE(4)).toBe(0);
  });
});
