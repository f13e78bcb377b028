import { DnsMessage } from '../message.js';
import { decodePacket, encodePacket } from './packet.js';
import {
  FLAG_AD, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, HEADER_SIZE, OFF_ANCOUNT, OFF_ARCOUNT, OFF_FLAGS,
  OFF_ID, OFF_NSCOUNT, OPCODE_MASK, RCODE_MASK,
} from './constants.js';
import { optLength, writeOpt } from './edns.js';
import { fitReply, sectionCounts } from './fit.js';

/** What the edge knows about the client when it writes a reply. */
export interface FinishOptions {
  /** The most bytes the client takes: 65535 over TCP; its EDNS size (at least 512) or 512 over UDP. */
  readonly limit: number;
  /** An Extended DNS Error info-code to attach (RFC 8914), or -1. Only sent when the client sent EDNS. */
  readonly ede?: number;
  readonly edeText?: string;
  /**
   * Memory to write the reply into when it fits (a batch slot, which may hold the query itself:
   * everything read from the query is read before it is overwritten). Otherwise a new Buffer.
   */
  readonly into?: Buffer;
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
  const reply = withOptLast(original);
  const layout = reply.layout;
  // Everything needed from the query, read first: `into` may be the query's own memory.
  const clientEdns = request.edns;
  const reqId = request.id;
  const reqFlags = request.flags;
  const wantsAd = request.ad || (clientEdns?.do ?? false);
  const qEnd = request.questionEnd;
  const ede = clientEdns !== undefined ? (opts.ede ?? -1) : -1;
  const reserve = clientEdns !== undefined ? optLength(ede, opts.edeText) : 0;
  const fit = fitReply(layout, opts.limit, reserve);
  const size = fit.bytes + reserve;
  const into = opts.into;
  const out = into !== undefined && size <= into.length ? into.subarray(0, size) : Buffer.allocUnsafe(size);
  // The client's question bytes, case and all (same length: the names differ only in case); when
  // `out` is the query's memory they are already in place.
  const sameQuestion = qEnd === layout.questionEnd && qEnd > HEADER_SIZE;
  if (sameQuestion) {
    reply.bytes.copy(out, 0, 0, HEADER_SIZE);
    if (out.buffer !== request.bytes.buffer || out.byteOffset !== request.bytes.byteOffset) request.bytes.copy(out, HEADER_SIZE, HEADER_SIZE, qEnd);
    reply.bytes.copy(out, qEnd, qEnd, fit.bytes);
  } else {
    reply.bytes.copy(out, 0, 0, fit.bytes);
  }

  // Header: the client's ID, its opcode, RD and CD; QR and RA always; the reply's AA, AD and rcode.
  out.writeUInt16BE(reqId, OFF_ID);
  let flags = FLAG_QR | FLAG_RA | (reqFlags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | (reply.flags & (0x0400 | FLAG_AD | RCODE_MASK));
  if (fit.tc || reply.tc) flags |= FLAG_TC;
  if ((flags & FLAG_AD) !== 0 && !wantsAd) flags &= ~FLAG_AD;
  out.writeUInt16BE(flags, OFF_FLAGS);

  const keep = fit.keep;
  if (keep !== layout.an + layout.ns + layout.ar || layout.opt >= 0) {
    const [an, ns, ar] = sectionCounts(layout, keep);
    out.writeUInt16BE(an, OFF_ANCOUNT);
    out.writeUInt16BE(ns, OFF_NSCOUNT);
    out.writeUInt16BE(ar, OFF_ARCOUNT);
  }

  // TTLs: aged by the time an entry spent in the cache, or all set (stale answers).
  const age = reply.ttlAge;
  const set = reply.ttlSet;
  if (age !== 0 || set >= 0) {
    const ttlAt = layout.ttlAt;
    for (let i = 0; i < keep; i++) {
      if (i === layout.opt) continue;
      const at = ttlAt[i]!;
      if (set >= 0) out.writeUInt32BE(set, at);
      else {
        const ttl = out.readUInt32BE(at) - age;
        out.writeUInt32BE(ttl > 0 ? ttl : 0, at);
      }
    }
  }

  if (clientEdns !== undefined) {
    out.writeUInt16BE(out.readUInt16BE(OFF_ARCOUNT) + 1, OFF_ARCOUNT);
    writeOpt(out, fit.bytes, { extRcode: reply.rcode >> 4, do: clientEdns.do, ede, edeText: opts.edeText });
  }
  return out;
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
