// Raw DNS for the conformance suite: queries built byte by byte (so every odd variant can be sent),
// and replies read into a structural form (so two servers' answers compare as sets). Its own small
// parser, independent of the code under test; names stay octets (never decoded as text).

/** Presentation name (RFC 1035 §5.1 escapes: `\.`, `\\`, `\DDD`) to uncompressed wire octets. */
export function nameToWire(name: string): Buffer {
  if (name === '.' || name === '') return Buffer.from([0]);
  const labels: number[][] = [[]];
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '\\') {
      const d = /^\d{3}/.exec(name.slice(i + 1));
      if (d !== null) { labels.at(-1)!.push(Number(d[0])); i += 3; } else { labels.at(-1)!.push(name.charCodeAt(i + 1)); i += 1; }
    } else if (c === '.') {
      labels.push([]);
    } else {
      labels.at(-1)!.push(name.charCodeAt(i));
    }
  }
  if (labels.at(-1)!.length === 0) labels.pop();
  return Buffer.from([...labels.flatMap((l) => [l.length, ...l]), 0]);
}

/** Wire octets (uncompressed, from `at`) to presentation form with escapes and a trailing dot. */
export function wireToName(buf: Uint8Array, at = 0): string {
  let out = '';
  for (let len = buf[at]!; len !== 0; len = buf[at]!) {
    for (let i = at + 1; i <= at + len; i++) {
      const c = buf[i]!;
      if (c === 0x2e || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
      else if (c <= 0x20 || c >= 0x7f) out += `\\${String(c).padStart(3, '0')}`;
      else out += String.fromCharCode(c);
    }
    out += '.';
    at += len + 1;
  }
  return out === '' ? '.' : out;
}

export interface EdnsSpec {
  size: number;
  version?: number;
  do?: boolean;
  /** The 15 other flag bits of the OPT TTL (Z). */
  z?: number;
  options?: { code: number; data: Buffer }[];
}

export interface QuerySpec {
  qname: string;
  qtype: number;
  qclass?: number;
  opcode?: number;
  rd?: boolean;
  cd?: boolean;
  ad?: boolean;
  /** The header's Z bit (0x0040). */
  z?: boolean;
  edns?: EdnsSpec;
}

export function optRecord(e: EdnsSpec): Buffer {
  const options = Buffer.concat((e.options ?? []).map((o) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(o.code, 0);
    h.writeUInt16BE(o.data.length, 2);
    return Buffer.concat([h, o.data]);
  }));
  const rr = Buffer.alloc(11);
  rr[0] = 0;
  rr.writeUInt16BE(41, 1);
  rr.writeUInt16BE(e.size, 3);
  rr[5] = 0;
  rr[6] = e.version ?? 0;
  rr.writeUInt16BE(((e.do ?? false) ? 0x8000 : 0) | ((e.z ?? 0) & 0x7fff), 7);
  rr.writeUInt16BE(options.length, 9);
  return Buffer.concat([rr, options]);
}

export function buildRawQuery(spec: QuerySpec, id: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  const flags = ((spec.opcode ?? 0) << 11) | ((spec.rd ?? true) ? 0x0100 : 0) | (spec.z === true ? 0x0040 : 0)
    | (spec.ad === true ? 0x0020 : 0) | (spec.cd === true ? 0x0010 : 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(spec.edns === undefined ? 0 : 1, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(spec.qtype, 0);
  q.writeUInt16BE(spec.qclass ?? 1, 2);
  return Buffer.concat([header, nameToWire(spec.qname), q, spec.edns === undefined ? Buffer.alloc(0) : optRecord(spec.edns)]);
}

/** One resource record, its names uncompressed. */
export interface Rr {
  /** Owner octets, uncompressed. */
  owner: Buffer;
  type: number;
  class: number;
  ttl: number;
  /** RDATA with any compressed names (RFC 3597 §4 types) expanded: comparable across servers. */
  rdata: Buffer;
}

export interface Opt {
  size: number;
  extRcode: number;
  version: number;
  do: boolean;
  z: number;
  options: { code: number; data: Buffer }[];
}

export interface Parsed {
  id: number;
  qr: boolean; opcode: number; aa: boolean; tc: boolean; rd: boolean; ra: boolean; z: boolean; ad: boolean; cd: boolean;
  /** Full rcode: the header's 4 bits and the OPT's extended bits. */
  rcode: number;
  qdcount: number;
  /** The question's bytes (name, type, class) as sent, or undefined when QDCOUNT is 0. */
  question: Buffer | undefined;
  answer: Rr[];
  authority: Rr[];
  additional: Rr[];
  opt: Opt | undefined;
  size: number;
  /** Set when the bytes do not parse as a DNS message: what is wrong. */
  malformed?: string;
}

class Bad extends Error {}

/** Reads a possibly compressed name at `at`; returns its uncompressed octets and where the name ends in place. */
function readName(buf: Buffer, at: number): { name: Buffer; end: number } {
  const out: number[] = [];
  let end = -1;
  let hops = 0;
  let pos = at;
  for (;;) {
    if (pos >= buf.length) throw new Bad(`name at ${at} runs past the end`);
    const len = buf[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new Bad('pointer runs past the end');
      if (end < 0) end = pos + 2;
      if (++hops > 64) throw new Bad(`compression loop in the name at ${at}`);
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= pos) throw new Bad(`forward compression pointer in the name at ${at}`);
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Bad('reserved label type');
    if (pos + 1 + len > buf.length) throw new Bad('label runs past the end');
    out.push(len);
    if (len === 0) break;
    for (let i = 1; i <= len; i++) out.push(buf[pos + i]!);
    if (out.length > 255) throw new Bad('name longer than 255 octets');
    pos += len + 1;
  }
  return { name: Buffer.from(out), end: end < 0 ? pos + 1 : end };
}

/** Where compressible names sit in RDATA (RFC 3597 §4, plus SRV/DNAME, which some servers compress). */
const NAMES_AT: Record<number, (number | 'name')[]> = {
  2: ['name'], 3: ['name'], 4: ['name'], 5: ['name'], 6: ['name', 'name', 20], 7: ['name'], 8: ['name'], 9: ['name'],
  12: ['name'], 14: ['name', 'name'], 15: [2, 'name'], 17: ['name', 'name'], 18: [2, 'name'], 21: [2, 'name'],
  26: [2, 'name', 'name'], 33: [6, 'name'], 36: [2, 'name'], 39: ['name'],
};

function canonicalRdata(buf: Buffer, type: number, at: number, len: number): Buffer {
  const shape = NAMES_AT[type];
  if (shape === undefined) return Buffer.from(buf.subarray(at, at + len));
  const parts: Buffer[] = [];
  let pos = at;
  for (const piece of shape) {
    if (piece === 'name') {
      const { name, end } = readName(buf, pos);
      parts.push(name);
      pos = end;
    } else {
      parts.push(Buffer.from(buf.subarray(pos, pos + piece)));
      pos += piece;
    }
  }
  if (pos !== at + len) throw new Bad(`RDATA of type ${type} is ${len} octets but its fields take ${pos - at}`);
  return Buffer.concat(parts);
}

export function parseReply(buf: Buffer): Parsed {
  const base: Parsed = {
    id: 0, qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, z: false, ad: false, cd: false, rcode: 0,
    qdcount: 0, question: undefined, answer: [], authority: [], additional: [], opt: undefined, size: buf.length,
  };
  if (buf.length < 12) return { ...base, malformed: `${buf.length} octets: shorter than a header` };
  const flags = buf.readUInt16BE(2);
  Object.assign(base, {
    id: buf.readUInt16BE(0), qr: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0, rd: (flags & 0x0100) !== 0, ra: (flags & 0x0080) !== 0, z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0, cd: (flags & 0x0010) !== 0, rcode: flags & 0xf, qdcount: buf.readUInt16BE(4),
  });
  try {
    let pos = 12;
    if (base.qdcount > 1) throw new Bad(`QDCOUNT ${base.qdcount}`);
    if (base.qdcount === 1) {
      const { end } = readName(buf, pos);
      if (end + 4 > buf.length) throw new Bad('question runs past the end');
      base.question = Buffer.from(buf.subarray(12, end + 4));
      pos = end + 4;
    }
    const counts = [buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
    const sections = [base.answer, base.authority, base.additional];
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < counts[s]!; i++) {
        const { name, end } = readName(buf, pos);
        if (end + 10 > buf.length) throw new Bad('record header runs past the end');
        const type = buf.readUInt16BE(end);
        const klass = buf.readUInt16BE(end + 2);
        const ttl = buf.readUInt32BE(end + 4);
        const rdlen = buf.readUInt16BE(end + 8);
        if (end + 10 + rdlen > buf.length) throw new Bad('RDATA runs past the end');
        if (type === 41) {
          if (s !== 2 || base.opt !== undefined || name.length !== 1) throw new Bad('misplaced or second OPT');
          const options: { code: number; data: Buffer }[] = [];
          for (let o = end + 10; o < end + 10 + rdlen;) {
            if (o + 4 > end + 10 + rdlen) throw new Bad('EDNS option header runs past the OPT');
            const code = buf.readUInt16BE(o);
            const olen = buf.readUInt16BE(o + 2);
            if (o + 4 + olen > end + 10 + rdlen) throw new Bad('EDNS option runs past the OPT');
            options.push({ code, data: Buffer.from(buf.subarray(o + 4, o + 4 + olen)) });
            o += 4 + olen;
          }
          base.opt = { size: klass, extRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, do: (ttl & 0x8000) !== 0, z: ttl & 0x7fff, options };
          base.rcode |= (ttl >>> 24) << 4;
        } else {
          sections[s]!.push({ owner: name, type, class: klass, ttl, rdata: canonicalRdata(buf, type, end + 10, rdlen) });
        }
        pos = end + 10 + rdlen;
      }
    }
    if (pos !== buf.length) throw new Bad(`${buf.length - pos} octets after the last record`);
    return base;
  } catch (err) {
    if (err instanceof Bad) return { ...base, malformed: err.message };
    throw err;
  }
}

/** ASCII-only lower-casing of name octets (RFC 4343). */
export function lowerOctets(name: Buffer): Buffer {
  const out = Buffer.from(name);
  for (let i = 0; i < out.length; i++) if (out[i]! >= 0x41 && out[i]! <= 0x5a) out[i] = out[i]! | 0x20;
  return out;
}

const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 39: 'DNAME',
  41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 50: 'NSEC3', 51: 'NSEC3PARAM', 64: 'SVCB', 65: 'HTTPS',
  249: 'TKEY', 250: 'TSIG', 251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA', 255: 'ANY', 257: 'CAA',
};
export const typeName = (t: number) => TYPE_NAMES[t] ?? `TYPE${t}`;
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
export const rcodeName = (r: number) => (r === 16 ? 'BADVERS' : RCODES[r] ?? `RCODE${r}`);
