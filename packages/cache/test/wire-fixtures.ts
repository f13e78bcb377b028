// Builders for raw DNS messages in tests: odd labels, pointers and TTLs exactly where a test wants
// them (dns-packet cannot write a label holding 0xff or a dot, nor a pointer loop).

export const label = (l: string | Buffer): Buffer => {
  const b = typeof l === 'string' ? Buffer.from(l, 'latin1') : l;
  return Buffer.concat([Buffer.from([b.length]), b]);
};
export const labels = (...ls: (string | Buffer)[]): Buffer => Buffer.concat(ls.map(label));
/** An uncompressed name from its labels ("a", "example"), root last. */
export const name = (...ls: (string | Buffer)[]): Buffer => Buffer.concat([labels(...ls), Buffer.from([0])]);
/** A name from dotted text (no escapes): "a.example". */
export const dn = (text: string): Buffer => (text === '.' ? Buffer.from([0]) : name(...text.split('.')));
export const ptr = (off: number): Buffer => Buffer.from([0xc0 | (off >> 8), off & 0xff]);
export const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
export const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
export const rr = (owner: Buffer, type: number, ttl: number, rdata: Buffer): Buffer =>
  Buffer.concat([owner, u16(type), u16(1), u32(ttl), u16(rdata.length), rdata]);
export const ip = (text: string): Buffer => Buffer.from(text.split('.').map(Number));
export const opt = (dnssec: boolean): Buffer => Buffer.concat([Buffer.from([0]), u16(41), u16(1232), u32(dnssec ? 0x8000 : 0), u16(0)]);

export const T = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, SRV: 33, RRSIG: 46, NSEC: 47, NSEC3: 50 } as const;

export function soaData(mname = 'ns.example', minimum = 300): Buffer {
  return Buffer.concat([dn(mname), dn(`hostmaster.${mname}`), u32(1), u32(3600), u32(600), u32(86400), u32(minimum)]);
}
/** RRSIG RDATA covering `covered`, signed by `signer` (the signature is filler: nothing here validates). */
export function rrsig(covered: number, signer: string): Buffer {
  return Buffer.concat([u16(covered), Buffer.from([13, 2]), u32(300), u32(0x7fffffff), u32(0x60000000), u16(12345), dn(signer), Buffer.alloc(64, 0xab)]);
}
export function nsec(next: string): Buffer {
  return Buffer.concat([dn(next), Buffer.from([0, 6, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03])]);
}

/** A query: header with RD, one question, an OPT when `dnssec` is given. */
export function query(qname: Buffer, qtype: number, opts: { dnssec?: boolean; rd?: boolean } = {}): Buffer {
  const edns = opts.dnssec !== undefined;
  return Buffer.concat([u16(0x4242), u16(opts.rd === false ? 0 : 0x0100), u16(1), u16(0), u16(0), u16(edns ? 1 : 0),
    qname, u16(qtype), u16(1), edns ? opt(opts.dnssec!) : Buffer.alloc(0)]);
}

/** A reply to `q` (its question copied) with the given sections; rcode 0 NOERROR, 3 NXDOMAIN, ... */
export function reply(q: Buffer, sections: { an?: Buffer[]; ns?: Buffer[]; ar?: Buffer[]; rcode?: number; id?: number }): Buffer {
  const qEnd = questionEnd(q);
  const { an = [], ns = [], ar = [], rcode = 0 } = sections;
  return Buffer.concat([u16(sections.id ?? q.readUInt16BE(0)), u16(0x8180 | rcode), u16(1), u16(an.length), u16(ns.length), u16(ar.length),
    q.subarray(12, qEnd), ...an, ...ns, ...ar]);
}

export function questionEnd(q: Buffer): number {
  let p = 12;
  while (q[p] !== 0) p += q[p]! + 1;
  return p + 5;
}
