import { HEADER_SIZE, OFF_ANCOUNT, OFF_ARCOUNT, OFF_NSCOUNT, OFF_QDCOUNT, RRType } from './constants.js';
import type { Layout } from './layout.js';
import { skipName } from './name.js';
import { WireError } from './wire-error.js';

// What RDATA holds, field by field, for the types that carry names: a number >= 0 is that many
// octets copied as they are; NAME a domain name; STRING a <character-string>; REST the octets left.
const NAME = -1;
const STRING = -2;
const REST = -3;

/**
 * The RDATA of the types whose names a decompressor must (RFC 1035 types) or should (RFC 3597 §4:
 * RP, AFSDB, RT, SIG, PX, NXT, NAPTR, SRV) follow, plus those whose names must not be compressed
 * but that a lenient sender may still compress (DNAME, KX, RRSIG, NSEC). Every other type's RDATA
 * is opaque (RFC 3597): copied byte for byte.
 */
const RDATA_FIELDS: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [RRType.NS, [NAME]], [3, [NAME]], [4, [NAME]], [RRType.CNAME, [NAME]], // NS, MD, MF, CNAME
  [7, [NAME]], [8, [NAME]], [9, [NAME]], [RRType.PTR, [NAME]], [RRType.DNAME, [NAME]], // MB, MG, MR, PTR, DNAME
  [RRType.SOA, [NAME, NAME, 20]],
  [14, [NAME, NAME]], [17, [NAME, NAME]], // MINFO, RP
  [RRType.MX, [2, NAME]], [18, [2, NAME]], [21, [2, NAME]], [36, [2, NAME]], // MX, AFSDB, RT, KX
  [26, [2, NAME, NAME]], // PX
  [RRType.SRV, [6, NAME]],
  [RRType.NAPTR, [4, STRING, STRING, STRING, NAME]],
  [24, [18, NAME, REST]], [RRType.RRSIG, [18, NAME, REST]], // SIG, RRSIG: signer's name, then the signature
  [30, [NAME, REST]], [RRType.NSEC, [NAME, REST]], // NXT, NSEC: next name, then the type bitmap
]);

/** Types whose RDATA names a sender may compress (RFC 3597 §4: the RFC 1035 types); the rebuild compresses only these. */
const COMPRESSIBLE = new Set<number>([RRType.NS, 3, 4, RRType.CNAME, RRType.SOA, 7, 8, 9, RRType.PTR, 14, RRType.MX]);

/** Fixed RDATA lengths checked on the way (Unbound's scrubber checks A and AAAA too). */
const FIXED_LENGTH: ReadonlyMap<number, number> = new Map([[RRType.A, 4], [RRType.AAAA, 16]]);

/**
 * Checks what `scanLayout` does not: the RDATA of every record whose type carries names parses
 * within its RDLENGTH (names with pointers that point backwards, labels of at most 63 octets,
 * names of at most 255, fixed fields where they belong, nothing left over), and A/AAAA RDATA has
 * its fixed length. Throws WireError on the first record that does not.
 */
export function checkRdata(buf: Uint8Array, layout: Layout): void {
  const count = layout.an + layout.ns + layout.ar;
  for (let i = 0; i < count; i++) {
    if (i === layout.opt) continue;
    const type = layout.type[i]!;
    const from = layout.ttlAt[i]! + 6;
    const end = layout.stop[i]!;
    const fixed = FIXED_LENGTH.get(type);
    if (fixed !== undefined && end - from !== fixed) throw new WireError(`type ${type} RDATA of ${end - from} octets, not ${fixed}`);
    const fields = RDATA_FIELDS.get(type);
    if (fields === undefined) continue;
    let pos = from;
    for (const f of fields) {
      if (f >= 0) pos += f;
      else if (f === REST) pos = end;
      else if (pos >= end) throw new WireError(`type ${type} RDATA ends before its fields do`);
      else if (f === NAME) pos = skipName(buf, pos);
      else pos += 1 + buf[pos]!;
      if (pos > end) throw new WireError(`type ${type} RDATA runs past its length`);
    }
    if (pos !== end) throw new WireError(`type ${type} RDATA longer than its fields`);
  }
}

/**
 * A copy of a checked message (`scanLayout`, `checkRdata`) with only the records whose `keep` flag
 * is set, and never its OPT. Everything is copied as octets; only names are rewritten:
 * followed through their pointers and written again, compressed against names already written
 * (exact octets, so no name changes case) where compression is allowed (owners, and the RDATA of
 * the RFC 1035 types), whole elsewhere. So a pointer in the copy only ever points at a name in the
 * copy: dropping records leaves none dangling, and the copy is about as small as the original.
 * Bytes after the last record are not copied. A reply kept whole (its OPT, if any, last) is copied
 * as it came, up to its OPT: its pointers all point backwards at names that stay.
 */
export function rebuildMessage(buf: Uint8Array, layout: Layout, keep: Uint8Array): Buffer {
  const count = layout.an + layout.ns + layout.ar;
  // Every record kept, the OPT (if any) last: the bytes before the OPT are the copy, as they are.
  const tail = layout.opt >= 0 ? layout.opt : count;
  if (tail >= count - 1 && keep.subarray(0, tail).every((k) => k === 1)) {
    const out = Buffer.from(buf.subarray(0, layout.opt >= 0 ? layout.start[layout.opt]! : layout.end));
    if (layout.opt >= 0) out.writeUInt16BE(layout.ar - 1, OFF_ARCOUNT);
    return out;
  }
  let bound = layout.questionEnd + 255;
  for (let i = 0; i < count; i++) {
    if (keep[i] === 1 && i !== layout.opt) bound += layout.stop[i]! - layout.start[i]! + 255 * (1 + (RDATA_FIELDS.get(layout.type[i]!)?.length ?? 0));
  }
  const w = new NameWriter(Buffer.allocUnsafe(bound));
  const out = w.out;
  for (let i = 0; i < OFF_QDCOUNT + 2; i++) out[i] = buf[i]!;
  w.pos = HEADER_SIZE;
  if (layout.questionEnd > HEADER_SIZE) {
    const end = w.name(buf, HEADER_SIZE, false);
    w.copy(buf, end, end + 4);
  }
  const counts = [0, 0, 0];
  for (let i = 0; i < count; i++) {
    if (keep[i] !== 1 || i === layout.opt) continue;
    counts[layout.section[i]!]!++;
    const type = layout.type[i]!;
    const ttlAt = layout.ttlAt[i]!;
    w.name(buf, layout.start[i]!, true);
    w.copy(buf, ttlAt - 4, ttlAt + 4); // type, class, TTL
    const rdlenAt = w.pos;
    w.pos += 2;
    const from = ttlAt + 6;
    const end = layout.stop[i]!;
    const fields = RDATA_FIELDS.get(type);
    if (fields === undefined) w.copy(buf, from, end);
    else {
      const compress = COMPRESSIBLE.has(type);
      let pos = from;
      for (const f of fields) {
        if (f >= 0) { w.copy(buf, pos, pos + f); pos += f; }
        else if (f === REST) { w.copy(buf, pos, end); pos = end; }
        else if (f === NAME) pos = w.name(buf, pos, compress);
        else { const next = pos + 1 + buf[pos]!; w.copy(buf, pos, next); pos = next; }
      }
    }
    const rdlen = w.pos - rdlenAt - 2;
    if (rdlen > 0xffff) throw new WireError('rebuilt RDATA longer than 65535 octets');
    out.writeUInt16BE(rdlen, rdlenAt);
  }
  if (w.pos > 0xffff) throw new WireError('rebuilt message longer than 65535 octets');
  out.writeUInt16BE(counts[0]!, OFF_ANCOUNT);
  out.writeUInt16BE(counts[1]!, OFF_NSCOUNT);
  out.writeUInt16BE(counts[2]!, OFF_ARCOUNT);
  return out.subarray(0, w.pos);
}

/** Writes names and octets into a new message, remembering where each name suffix went (compression targets). */
class NameWriter {
  pos = 0;
  /** Exact octets of a name suffix (latin1) -> where it was written (below 0x4000: a pointer reaches it). */
  readonly #written = new Map<string, number>();
  /** The name being written, uncompressed, and where each of its labels starts. */
  readonly #name = new Uint8Array(256);
  readonly #labels = new Uint16Array(128);

  constructor(readonly out: Buffer) {}

  copy(buf: Uint8Array, from: number, to: number): void {
    for (let i = from; i < to; i++) this.out[this.pos++] = buf[i]!;
  }

  /** Writes the name at `off` in `buf`, compressed when `compress`; returns where the name ends in `buf`. */
  name(buf: Uint8Array, off: number, compress: boolean): number {
    // Follow the name through its pointers (already checked: they point backwards).
    let pos = off;
    let end = -1;
    let len = 0;
    let n = 0;
    for (;;) {
      const l = buf[pos]!;
      if ((l & 0xc0) === 0xc0) {
        if (end < 0) end = pos + 2;
        pos = ((l & 0x3f) << 8) | buf[pos + 1]!;
        continue;
      }
      if (l === 0) break;
      this.#labels[n++] = len;
      for (let i = pos; i <= pos + l; i++) this.#name[len++] = buf[i]!;
      pos += l + 1;
    }
    this.#name[len++] = 0;
    if (end < 0) end = pos + 1;
    // The longest suffix already written, if compressing.
    const suffixes: string[] = [];
    let hit = n;
    let target = -1;
    for (let k = 0; k < n; k++) {
      const key = latin1(this.#name, this.#labels[k]!, len);
      const at = compress ? this.#written.get(key) : undefined;
      if (at !== undefined) { hit = k; target = at; break; }
      suffixes.push(key);
    }
    const start = this.pos;
    const upto = hit < n ? this.#labels[hit]! : len;
    for (let i = 0; i < upto; i++) this.out[this.pos++] = this.#name[i]!;
    if (target >= 0) {
      this.out[this.pos++] = 0xc0 | (target >> 8);
      this.out[this.pos++] = target & 0xff;
    }
    for (let k = 0; k < suffixes.length; k++) {
      const at = start + this.#labels[k]!;
      if (at < 0x4000 && !this.#written.has(suffixes[k]!)) this.#written.set(suffixes[k]!, at);
    }
    return end;
  }
}

function latin1(bytes: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
