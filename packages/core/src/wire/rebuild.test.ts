import { describe, expect, it } from 'vitest';
import { scanLayout } from './layout.js';
import { checkRdata, rebuildMessage } from './rebuild.js';
import { WireError } from './wire-error.js';

// Messages are written byte by byte here: odd labels, pointers where the test wants them.
const label = (l: string | Buffer): Buffer => {
  const b = typeof l === 'string' ? Buffer.from(l, 'latin1') : l;
  return Buffer.concat([Buffer.from([b.length]), b]);
};
const labels = (...ls: (string | Buffer)[]): Buffer => Buffer.concat(ls.map(label));
const name = (...ls: (string | Buffer)[]): Buffer => Buffer.concat([labels(...ls), Buffer.from([0])]);
const ptr = (off: number): Buffer => Buffer.from([0xc0 | (off >> 8), off & 0xff]);
const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
const header = (an: number, ns: number, ar: number): Buffer => Buffer.concat([u16(0x1234), u16(0x8180), u16(1), u16(an), u16(ns), u16(ar)]);
const rr = (owner: Buffer, type: number, ttl: number, rdata: Buffer): Buffer => Buffer.concat([owner, u16(type), u16(1), u32(ttl), u16(rdata.length), rdata]);

/** A name's octets, exactly, with its pointers followed. */
function expand(buf: Uint8Array, off: number): Buffer {
  const out: number[] = [];
  let pos = off;
  for (;;) {
    const l = buf[pos]!;
    if ((l & 0xc0) === 0xc0) { pos = ((l & 0x3f) << 8) | buf[pos + 1]!; continue; }
    out.push(l);
    if (l === 0) return Buffer.from(out);
    for (let i = 1; i <= l; i++) out.push(buf[pos + i]!);
    pos += l + 1;
  }
}

const ESC = 'esc.dot';                       // one label holding a dot: esc\.dot
const FF = Buffer.from([0xff, 0x78]);        // one label: \255x
// Question: esc\.dot.\255x.Example. A IN at offset 12; "\255x.Example." starts at 20, "Example." at 23.
const question = Buffer.concat([name(ESC, FF, 'Example'), u16(1), u16(1)]);

function sample(): { msg: Buffer; cnameTarget: number } {
  const head = Buffer.concat([header(3, 0, 1), question]);
  const cnameOwner = head.length;
  const cname = rr(ptr(12), 5, 300, Buffer.concat([labels('T'), ptr(20)]));
  const cnameTarget = cnameOwner + 2 + 10; // the CNAME's RDATA: T.\255x.Example.
  const a = rr(ptr(cnameTarget), 1, 300, Buffer.from([10, 0, 0, 1]));
  const junk = rr(Buffer.concat([labels('junk'), ptr(23)]), 1, 300, Buffer.from([6, 6, 6, 6]));
  // An unknown type whose RDATA looks like a pointer: opaque, copied as is (RFC 3597).
  const unknown = rr(ptr(cnameTarget), 65280, 300, Buffer.from([0xc0, 0x0c, 1, 2, 3]));
  return { msg: Buffer.concat([head, cname, a, junk, unknown]), cnameTarget };
}

describe('rebuildMessage', () => {
  it('keeps every octet of odd names (a dot inside a label, 0xff, case) and never leaves a pointer dangling', () => {
    const { msg } = sample();
    const layout = scanLayout(msg);
    checkRdata(msg, layout);
    // Drop the CNAME that the next owner points into, and the junk.
    const out = rebuildMessage(msg, layout, Uint8Array.from([0, 1, 0, 1]));
    const o = scanLayout(out);
    checkRdata(out, o);
    expect([o.an, o.ns, o.ar]).toEqual([1, 0, 1]);
    expect(expand(out, 12)).toEqual(expand(msg, 12));
    expect(out.subarray(12, o.questionEnd)).toEqual(question);
    // The A record's owner: T.\255x.Example., octet for octet, now written where a pointer can reach it.
    expect(expand(out, o.start[0]!)).toEqual(name('T', FF, 'Example'));
    expect(out.subarray(o.ttlAt[0]! + 6, o.stop[0]!)).toEqual(Buffer.from([10, 0, 0, 1]));
    expect(expand(out, o.start[1]!)).toEqual(name('T', FF, 'Example'));
    expect(out.subarray(o.ttlAt[1]! + 6, o.stop[1]!)).toEqual(Buffer.from([0xc0, 0x0c, 1, 2, 3]));
    expect(out.readUInt32BE(o.ttlAt[1]!)).toBe(300);
  });

  it('compresses owners against names already written, as octets: no name changes case', () => {
    const { msg } = sample();
    const layout = scanLayout(msg);
    const out = rebuildMessage(msg, layout, Uint8Array.from([1, 1, 1, 1]));
    const o = scanLayout(out);
    expect(out.length).toBeLessThanOrEqual(msg.length);
    for (let i = 0; i < 4; i++) expect(expand(out, o.start[i]!)).toEqual(expand(msg, layout.start[i]!));
    expect(expand(out, o.ttlAt[0]! + 6)).toEqual(name('T', FF, 'Example'));
    // "example." in another case is not the same octets: written out, not pointed at "Example.".
    const other = Buffer.concat([header(2, 0, 0), question, rr(name('x'), 1, 60, Buffer.from([1, 2, 3, 4])),
      rr(name('www', 'EXAMPLE'), 1, 60, Buffer.from([1, 2, 3, 4])), rr(name('mail', 'Example'), 1, 60, Buffer.from([1, 2, 3, 4]))]);
    other.writeUInt16BE(3, 6);
    const o2 = rebuildMessage(other, scanLayout(other), Uint8Array.from([0, 1, 1]));
    const l2 = scanLayout(o2);
    expect(expand(o2, l2.start[0]!)).toEqual(name('www', 'EXAMPLE'));
    expect(expand(o2, l2.start[1]!)).toEqual(name('mail', 'Example'));
    expect(o2[l2.start[1]! + 5]! & 0xc0).toBe(0xc0); // mail + a pointer to the question's "Example."
  });

  it('copies a reply it keeps whole as it is, without its OPT', () => {
    const { msg } = sample();
    const withOpt = Buffer.concat([msg, Buffer.concat([Buffer.from([0]), u16(41), u16(1232), u32(0), u16(0)])]);
    withOpt.writeUInt16BE(2, 10);
    const out = rebuildMessage(withOpt, scanLayout(withOpt), Uint8Array.from([1, 1, 1, 1, 1]));
    expect(out.subarray(12)).toEqual(msg.subarray(12));
    expect(out.readUInt16BE(10)).toBe(1);
  });

  it('expands a compressed SRV target (RFC 2052 senders) and does not compress it again; drops the OPT', () => {
    // (A record is dropped, so the names are written again; a reply kept whole is copied as it came.)
    const head = Buffer.concat([header(2, 0, 1), question]);
    const srv = rr(ptr(12), 33, 60, Buffer.concat([u16(1), u16(2), u16(53), labels('host'), ptr(23)]));
    const dropped = rr(ptr(12), 1, 60, Buffer.from([1, 2, 3, 4]));
    const opt = Buffer.concat([Buffer.from([0]), u16(41), u16(1232), u32(0), u16(0)]);
    const msg = Buffer.concat([head, srv, dropped, opt]);
    const layout = scanLayout(msg);
    checkRdata(msg, layout);
    const out = rebuildMessage(msg, layout, Uint8Array.from([1, 0, 1]));
    const o = scanLayout(out);
    expect([o.an, o.ar, o.opt]).toEqual([1, 0, -1]);
    const rdata = out.subarray(o.ttlAt[0]! + 6, o.stop[0]!);
    expect(rdata).toEqual(Buffer.concat([u16(1), u16(2), u16(53), name('host', 'Example')]));
  });

  it('drops bytes after the last record', () => {
    const { msg } = sample();
    const padded = Buffer.concat([msg, Buffer.from([1, 2, 3])]);
    const out = rebuildMessage(padded, scanLayout(padded), Uint8Array.from([1, 1, 1, 1]));
    expect(scanLayout(out).end).toBe(out.length);
  });
});

describe('checkRdata', () => {
  const one = (type: number, rdata: Buffer): Buffer => Buffer.concat([header(1, 0, 0), question, rr(ptr(12), type, 60, rdata)]);
  const check = (m: Buffer) => () => checkRdata(m, scanLayout(m));

  it('rejects a CNAME whose RDATA holds a pointer loop or a forward pointer', () => {
    const head = Buffer.concat([header(1, 0, 0), question]).length;
    const rdataAt = head + 2 + 10;
    expect(check(one(5, ptr(rdataAt)))).toThrow(WireError);               // points at itself
    expect(check(one(5, ptr(rdataAt + 4)))).toThrow(WireError);           // points forward
    expect(check(one(5, Buffer.concat([labels('a'), ptr(rdataAt)])))).toThrow(WireError); // loops through its own start
  });

  it('rejects RDATA that does not match its length, and accepts it when it does', () => {
    expect(check(one(5, Buffer.concat([name('a', 'b'), Buffer.from([0])])))).toThrow(WireError); // a byte too many
    expect(check(one(5, Buffer.from([3, 0x61, 0x62])))).toThrow(WireError);                     // label past RDLENGTH
    expect(check(one(15, Buffer.from([0, 10])))).toThrow(WireError);                             // MX without a name
    expect(check(one(6, Buffer.concat([name('ns'), name('h'), Buffer.alloc(19)])))).toThrow(WireError); // SOA one short
    expect(check(one(1, Buffer.from([1, 2, 3])))).toThrow(WireError);                            // A of 3 octets
    expect(check(one(64, Buffer.alloc(7)))).not.toThrow();                                        // SVCB: opaque here
    expect(check(one(6, Buffer.concat([name('ns'), ptr(12), Buffer.alloc(20)])))).not.toThrow();
    expect(check(one(46, Buffer.concat([Buffer.alloc(18), name('Example'), Buffer.alloc(64)])))).not.toThrow();
  });
});
