import { DnsMessage, HEADER_SIZE, OFF_QDCOUNT, RRType, type Layout } from '@dnsmesh/core';
import { nameTextToWire, readNameText } from './name-text.js';

/** Maps a name (text, as in the message) to another, or undefined to keep it. */
export type NameMap = (name: string, section: number) => string | undefined;

/**
 * The reply with the client's own question and, where `owner` / `value` say, other names: the
 * records are copied one by one, type, class, TTL and data bytes as they came; only names are
 * written anew, uncompressed (a rewritten question changes every offset after it, so no pointer
 * of the upstream's could stay). Names in RDATA are expanded for the types that may carry
 * compressed names (RFC 3597 §4: NS, CNAME, PTR, DNAME, MX, SOA; SRV as some servers do);
 * any other RDATA is copied whole. Names are read and written as octets (escaped text between).
 */
export function rebuildReply(reply: DnsMessage, question: Buffer, owner: NameMap | undefined, value: NameMap | undefined): DnsMessage {
  const buf = reply.bytes;
  const layout = reply.layout;
  const parts: Buffer[] = [Buffer.from(buf.subarray(0, HEADER_SIZE)), question];
  parts[0]!.writeUInt16BE(1, OFF_QDCOUNT);
  const count = layout.an + layout.ns + layout.ar;
  for (let i = 0; i < count; i++) {
    if (i === layout.opt) { parts.push(buf.subarray(layout.start[i], layout.stop[i])); continue; }
    const section = layout.section[i]!;
    parts.push(...recordParts(buf, layout, i, (text) => owner?.(text, section) ?? text, (text) => value?.(text, section) ?? text));
  }
  const out = new DnsMessage(Buffer.concat(parts));
  out.ttlAge = reply.ttlAge;
  out.ttlSet = reply.ttlSet;
  out.extendedRcode = reply.extendedRcode;
  out.authoritative = reply.authoritative;
  return out;
}

/**
 * Record `i` of a message as bytes that stand alone: owner and RDATA names written out
 * uncompressed (mapped by `owner` and `value`), type, class, TTL and other RDATA bytes copied.
 */
export function recordParts(buf: Buffer, layout: Layout, i: number, owner: (text: string) => string, value: (text: string) => string): Buffer[] {
  const ownerText = readNameText(buf, layout.start[i]!).text;
  const fixed = layout.ttlAt[i]! - 4; // type, class, TTL
  const data = rdataOf(buf, layout.type[i]!, fixed + 10, layout.stop[i]!, value);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(data.length);
  return [nameTextToWire(owner(ownerText)), buf.subarray(fixed, fixed + 8), len, data];
}

/** RDATA with its names expanded (and mapped); other bytes copied. */
function rdataOf(buf: Buffer, type: number, from: number, to: number, map: (text: string) => string): Buffer {
  const name = (at: number): { wire: Buffer; end: number } => {
    const { text, end } = readNameText(buf, at);
    return { wire: nameTextToWire(map(text)), end };
  };
  switch (type) {
    case RRType.NS: case RRType.CNAME: case RRType.PTR: case RRType.DNAME:
      return name(from).wire;
    case RRType.MX: {
      const n = name(from + 2);
      return Buffer.concat([buf.subarray(from, from + 2), n.wire]);
    }
    case RRType.SRV: {
      const n = name(from + 6);
      return Buffer.concat([buf.subarray(from, from + 6), n.wire]);
    }
    case RRType.SOA: {
      const mname = name(from);
      const rname = readNameText(buf, mname.end);
      return Buffer.concat([mname.wire, nameTextToWire(rname.text), buf.subarray(rname.end, to)]);
    }
    default:
      return Buffer.from(buf.subarray(from, to));
  }
}
