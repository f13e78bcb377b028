import { DnsMessage } from '../message.js';
import { decodePacket, encodePacket } from './packet.js';
import {
  DEFAULT_EDNS_SIZE, FLAG_AA, FLAG_AD, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, HEADER_SIZE, OFF_ANCOUNT, OFF_ARCOUNT, OFF_FLAGS,
  OFF_ID, OFF_NSCOUNT, OFF_QDCOUNT, OPCODE_MASK, RCODE_MASK,
} from './constants.js';
import { optLength, writeOptRecord } from './edns.js';
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
 * set, RD/opcode/CD echoed, AD cleared unless asked for, AA only on an `authoritative` message, TTLs aged or replaced as the reply says,
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
  const q = request.bytes;
  const inPlace = target !== undefined && target.buffer === q.buffer && target.byteOffset + base === q.byteOffset;
  return writeReply(request, original, opts.limit, opts.ede ?? -1, opts.edeText, target, base, max, inPlace);
}

/**
 * `emitReply` with its options as plain arguments: what the edge calls once per query, so it makes
 * no options object, no fit object on the common path and no Buffer views for small copies.
 * `inPlace`: `target` at `base` is where the query's own bytes are (its question need not be
 * copied), which the caller knows (asking the typed arrays costs a native call each).
 * Without a `target`, `base` is headroom: the new Buffer holds `base` free bytes, then the reply
 * (a stream transport's length prefix goes there, so the reply is not copied again to frame it).
 */
export function writeReply(
  request: DnsMessage, original: DnsMessage, limit: number, edeCode: number, edeText: string | undefined,
  target: Buffer | undefined, base: number, max: number, inPlace = false,
): Buffer | number {
  // Everything needed from the query, read first (`target` may be the query's own memory).
  const q = request.bytes;
  const clientEdns = request.edns;
  const reqId = (q[0]! << 8) | q[1]!;
  const reqFlags = (q[2]! << 8) | q[3]!;
  const wantsAd = (reqFlags & FLAG_AD) !== 0 || (clientEdns !== undefined && clientEdns.do);
  const clientDo = clientEdns !== undefined && clientEdns.do;
  const qEnd = request.questionEnd;
  const ede = clientEdns !== undefined ? edeCode : -1;
  const reserve = clientEdns !== undefined ? optLength(ede, edeText) : 0;

  // A cache hit that fits whole: written from its wire image alone.
  const image = original.image;
  if (image !== undefined && image.questionEnd === qEnd && qEnd > HEADER_SIZE && image.length + reserve <= limit) {
    const size = image.length + reserve;
    let out: Buffer;
    let at: number;
    if (target !== undefined && size <= max) { out = target; at = base; } else { [out, at] = fresh(target, base, size); }
    const src = image.wire;
    if (out !== target || !inPlace) copyBytes(q, HEADER_SIZE, qEnd, out, at + HEADER_SIZE);
    copyBytes(src, qEnd, image.length, out, at + qEnd);
    put16(out, at + OFF_ID, reqId);
    put16(out, at + OFF_FLAGS, headerFlags(reqFlags, (src[2]! << 8) | src[3]!, false, wantsAd));
    for (let i = OFF_QDCOUNT; i < HEADER_SIZE; i++) out[at + i] = src[i]!; // the counts: no OPT in an image
    const age = original.ttlAge;
    const set = original.ttlSet;
    if (age !== 0 || set >= 0) {
      for (let i = 0, p = image.length; i < image.records; i++, p += 2) writeTtl(out, at + ((src[p]! << 8) | src[p + 1]!), age, set);
    }
    if (clientEdns !== undefined) {
      const ar = (src[OFF_ARCOUNT]! << 8) | src[OFF_ARCOUNT + 1]!;
      put16(out, at + OFF_ARCOUNT, ar + 1);
      writeOptRecord(out, at + image.length, original.extendedRcode, clientDo, ede, edeText, DEFAULT_EDNS_SIZE);
    }
    return out === target ? size : out;
  }

  const reply = withOptLast(original);
  const layout = reply.layout;

  // What goes out: everything when it fits (the common case, decided here), else `fitReply`.
  const count = layout.an + layout.ns + layout.ar;
  const opt = layout.opt;
  let keep = count;
  let bytes = opt >= 0 ? layout.end - (layout.stop[opt]! - layout.start[opt]!) : layout.end;
  let tc = false;
  if (bytes + reserve > limit) {
    const fit = fitReply(layout, limit, reserve);
    keep = fit.keep;
    bytes = fit.bytes;
    tc = fit.tc;
  }
  const size = bytes + reserve;
  let out: Buffer;
  let at: number;
  if (target !== undefined && size <= max) { out = target; at = base; } else { [out, at] = fresh(target, base, size); }

  // The client's question bytes, case and all (same length: the names differ only in case); when
  // `out` is the query's memory they are already in place. Then the records.
  const src = reply.bytes;
  if (qEnd === layout.questionEnd && qEnd > HEADER_SIZE) {
    if (out !== target || !inPlace) copyBytes(q, HEADER_SIZE, qEnd, out, at + HEADER_SIZE);
    copyBytes(src, qEnd, bytes, out, at + qEnd);
  } else {
    copyBytes(src, HEADER_SIZE, bytes, out, at + HEADER_SIZE);
  }

  put16(out, at + OFF_ID, reqId);
  const srcFlags = (src[2]! << 8) | src[3]!;
  put16(out, at + OFF_FLAGS, headerFlags(reqFlags, srcFlags, tc, wantsAd) | (reply.authoritative ? srcFlags & FLAG_AA : 0));
  out[at + OFF_QDCOUNT] = src[OFF_QDCOUNT]!;
  out[at + OFF_QDCOUNT + 1] = src[OFF_QDCOUNT + 1]!;
  let an = layout.an;
  let ns = layout.ns;
  let ar = layout.ar;
  if (keep !== count || opt >= 0) {
    an = 0;
    ns = 0;
    ar = 0;
    const section = layout.section;
    for (let i = 0; i < keep; i++) {
      if (i === opt) continue;
      const sec = section[i];
      if (sec === 0) an++; else if (sec === 1) ns++; else ar++;
    }
  }
  put16(out, at + OFF_ANCOUNT, an);
  put16(out, at + OFF_NSCOUNT, ns);
  put16(out, at + OFF_ARCOUNT, clientEdns !== undefined ? ar + 1 : ar);

  // TTLs: aged by the time an entry spent in the cache, or all set (stale answers).
  const age = reply.ttlAge;
  const set = reply.ttlSet;
  if (age !== 0 || set >= 0) {
    const ttlAt = layout.ttlAt;
    for (let i = 0; i < keep; i++) if (i !== opt) writeTtl(out, at + ttlAt[i]!, age, set);
  }

  if (clientEdns !== undefined) writeOptRecord(out, at + bytes, reply.rcode >> 4, clientDo, ede, edeText, DEFAULT_EDNS_SIZE);
  return out === target ? size : out;
}

/** A new Buffer for a reply of `size` bytes, and where it starts: after `base` bytes of headroom when there was no target. */
function fresh(target: Buffer | undefined, base: number, size: number): [Buffer, number] {
  const headroom = target === undefined ? base : 0;
  return [Buffer.allocUnsafe(headroom + size), headroom];
}

/**
 * A reply's header flags: the client's opcode, RD and CD; QR and RA always; the reply's TC and
 * rcode; its AD only when the client asked for AD or DO (an upstream's AD is already gone unless
 * trusted: `fromUpstream`). TC also when the fit cut records. AA is never taken from here: a relayed
 * or cached answer is not authoritative (RFC 1034 §4.3.2); the caller adds it for a message that
 * says it is (`DnsMessage.authoritative`). Z is never copied.
 */
function headerFlags(reqFlags: number, replyFlags: number, cut: boolean, wantsAd: boolean): number {
  let flags = FLAG_QR | FLAG_RA | (reqFlags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | (replyFlags & (FLAG_AD | FLAG_TC | RCODE_MASK));
  if (cut) flags |= FLAG_TC;
  if (!wantsAd) flags &= ~FLAG_AD;
  return flags;
}

/** A record's TTL as the client gets it: `set` when >= 0 (a stale answer), else the stored one aged by `age` seconds, never below 0. */
function writeTtl(out: Uint8Array, pos: number, age: number, set: number): void {
  if (set >= 0) { put32(out, pos, set); return; }
  const ttl = ((out[pos]! << 24) >>> 0) + ((out[pos + 1]! << 16) | (out[pos + 2]! << 8) | out[pos + 3]!) - age;
  put32(out, pos, ttl > 0 ? ttl : 0);
}

/** Copies src[from, to) to dst at `at`: a plain loop for the short spans of a typical reply (no view made), `set` for long ones. */
function copyBytes(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): void {
  const n = to - from;
  if (n > 128) { dst.set(src.subarray(from, to), at); return; }
  for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
}

function put16(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 8;
  out[at + 1] = v & 0xff;
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
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
  copy.authoritative = reply.authoritative;
  return copy;
}
