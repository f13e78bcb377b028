import { DnsMessage } from '../message.js';
import { decodePacket, encodePacket } from './packet.js';
import {
  FLAG_AD, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, HEADER_SIZE, OFF_ANCOUNT, OFF_ARCOUNT, OFF_FLAGS,
  OFF_ID, OFF_NSCOUNT, OPCODE_MASK, RCODE_MASK,
} from './constants.js';
import { optLength, writeOpt } from './edns.js';
import { fitReply } from './fit.js';

/** What the edge knows about the client when it writes a reply. */
export interface FinishOptions {
  /** The most bytes the client takes: 65535 over TCP; its EDNS size (at least 512) or 512 over UDP. */
  readonly limit: number;
  /** An Extended DNS Error info-code to attach (RFC 8914), or -1. Only sent when the client sent EDNS. */
  readonly ede?: number;
  readonly edeText?: string;
}

/**
 * Writes the reply a client gets, in one copy: the client's ID and exact question bytes, QR and RA
 * set, RD/opcode/CD echoed, AD cleared unless asked for, TTLs aged or replaced as the reply says,
 * the upstream's OPT dropped and a fresh one added when the client sent EDNS, and the records fit
 * to the client's size at RRset boundaries (TC set when a required RRset does not fit).
 *
 * The reply's OPT must be its last record or absent (true of everything dnsmesh stores);
 * other replies are normalised by `withoutOpt` before they get here.
 */
export function finishReply(request: DnsMessage, original: DnsMessage, opts: FinishOptions): Buffer {
  return emitReply(request, original, opts, undefined, 0, 0) as Buffer;
}

/**
 * `finishReply` into `target` at `base` when the reply fits in `max` bytes there (a batch slot,
 * which may hold the query itself: everything read from the query is read before it is
 * overwritten); returns the number of bytes written, or a new Buffer when it does not fit.
 */
export function emitReply(request: DnsMessage, original: DnsMessage, opts: FinishOptions, target: Buffer | undefined, base: number, max: number): Buffer | number {
  const reply = withOptLast(original);
  const layout = reply.layout;
  // Everything needed from the query, read first.
  const clientEdns = request.edns;
  const reqId = request.id;
  const reqFlags = request.flags;
  const wantsAd = request.ad || (clientEdns?.do ?? false);
  const qEnd = request.questionEnd;
  const ede = clientEdns !== undefined ? (opts.ede ?? -1) : -1;
  const reserve = clientEdns !== undefined ? optLength(ede, opts.edeText) : 0;
  const fit = fitReply(layout, opts.limit, reserve);
  const size = fit.bytes + reserve;
  let out: Buffer;
  let at: number;
  if (target !== undefined && size <= max) { out = target; at = base; } else { out = Buffer.allocUnsafe(size); at = 0; }
  // The client's question bytes, case and all (same length: the names differ only in case); when
  // `out` is the query's memory they are already in place.
  const src = reply.bytes;
  if (qEnd === layout.questionEnd && qEnd > HEADER_SIZE) {
    src.copy(out, at, 0, HEADER_SIZE);
    const q = request.bytes;
    if (out.buffer !== q.buffer || out.byteOffset + at !== q.byteOffset) q.copy(out, at + HEADER_SIZE, HEADER_SIZE, qEnd);
    src.copy(out, at + qEnd, qEnd, fit.bytes);
  } else {
    src.copy(out, at, 0, fit.bytes);
  }

  // Header: the client's ID, its opcode, RD and CD; QR and RA always; the reply's AA, AD and rcode.
  out.writeUInt16BE(reqId, at + OFF_ID);
  let flags = FLAG_QR | FLAG_RA | (reqFlags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | (reply.flags & (0x0400 | FLAG_AD | RCODE_MASK));
  if (fit.tc || reply.tc) flags |= FLAG_TC;
  if ((flags & FLAG_AD) !== 0 && !wantsAd) flags &= ~FLAG_AD;
  out.writeUInt16BE(flags, at + OFF_FLAGS);

  const keep = fit.keep;
  let ar = layout.ar;
  if (keep !== layout.an + layout.ns + layout.ar || layout.opt >= 0) {
    let an = 0;
    let ns = 0;
    ar = 0;
    const section = layout.section;
    for (let i = 0; i < keep; i++) {
      if (i === layout.opt) continue;
      const sec = section[i];
      if (sec === 0) an++; else if (sec === 1) ns++; else ar++;
    }
    out.writeUInt16BE(an, at + OFF_ANCOUNT);
    out.writeUInt16BE(ns, at + OFF_NSCOUNT);
    out.writeUInt16BE(ar, at + OFF_ARCOUNT);
  }

  // TTLs: aged by the time an entry spent in the cache, or all set (stale answers).
  const age = reply.ttlAge;
  const set = reply.ttlSet;
  if (age !== 0 || set >= 0) {
    const ttlAt = layout.ttlAt;
    for (let i = 0; i < keep; i++) {
      if (i === layout.opt) continue;
      const pos = at + ttlAt[i]!;
      if (set >= 0) out.writeUInt32BE(set, pos);
      else {
        const ttl = out.readUInt32BE(pos) - age;
        out.writeUInt32BE(ttl > 0 ? ttl : 0, pos);
      }
    }
  }

  if (clientEdns !== undefined) {
    out.writeUInt16BE(ar + 1, at + OFF_ARCOUNT);
    writeOpt(out, at + fit.bytes, { extRcode: reply.rcode >> 4, do: clientEdns.do, ede, edeText: opts.edeText });
  }
  return out === target ? size : out;
}

/**
 * A message whose OPT, if any, is its last record. Upstreams put it last in practice; when one
 * does not, the message is decoded and encoded once without it (a rare, slow path).
 */
export function withOptLast(reply: DnsMessage): DnsMessage {
  const layout = reply.layout;
  if (layout.opt < 0 || layout.opt === layout.an + layout.ns + layout.ar - 1) return reply;
  const packet = decodePacket(reply.bytes);
  packet.additionals = (packet.additionals ?? []).filter((rr) => rr.type !== 'OPT');
  const copy = new DnsMessage(encodePacket(packet));
  copy.ttlAge = reply.ttlAge;
  copy.ttlSet = reply.ttlSet;
  copy.extendedRcode = reply.rcode >> 4;
  return copy;
}
