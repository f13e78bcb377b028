import type { EdnsOptionData } from '../context.js';
import type { DnsMessage } from '../message.js';
import { skipName } from './name.js';
import {
  DEFAULT_EDNS_SIZE, FLAG_AD, FLAG_CD, FLAG_RD, HEADER_SIZE, MIN_UDP_SIZE, OFF_ARCOUNT, OFF_FLAGS, OFF_ID, OFF_QDCOUNT, Rcode,
  RRType,
} from './constants.js';

/** How dnsmesh asks an upstream; the same for every client. */
export interface UpstreamQueryOptions {
  /** The UDP payload size our OPT advertises (RFC 6891 §6.2.5). Default 1232 (DNS flag day 2020). */
  readonly udpSize?: number;
  /**
   * Set AD in the query (RFC 6840 §5.7: "I understand AD"). Worth it only when the upstream's AD
   * is trusted (forward `trust_ad`): then every stored answer carries the upstream's AD, and the
   * edge shows it to the clients that asked (AD or DO). Otherwise AD is dropped on the way back, so
   * asking for it is pointless.
   */
  readonly ad?: boolean;
}

/** The size of the OPT record dnsmesh sends without options: root owner, fixed fields. */
const OPT_SIZE = 11;

/**
 * The query dnsmesh sends upstream for a client's query (RFC 6891 §6.1.1: a resolver speaks EDNS
 * for itself; options, sizes and flags are hop by hop). Built from the checked query, never copied:
 *
 * - header: the client's ID (the transport sends a fresh random one and puts this back on the
 *   reply), opcode QUERY, RD and CD as the client set them, AD per `ad`; QR, AA, TC, RA, Z and the
 *   rcode clear;
 * - the one question, its octets as the client sent them (case kept);
 * - nothing in the answer, authority or additional sections but dnsmesh's own OPT: `udpSize`,
 *   DO as the client asked, version 0, no other flag, and none of the client's options (no
 *   COOKIE, no padding, no unknown codes: a client's cookie is for its server, RFC 7873 §5.1).
 *   The only options it carries are `options`: those a plugin set for this query
 *   (`QueryContext.upstreamEdns`, e.g. rewrite's edns0 rules), in their order.
 *
 * The OPT goes out even when the client sent none (as Unbound does): the upstream then answers up
 * to `udpSize` over UDP instead of truncating at 512, so what the cache stores does not depend on
 * which client asked first, and the edge fits it to each client.
 */
export function upstreamQuery(request: DnsMessage, opts: UpstreamQueryOptions = {}, options?: readonly EdnsOptionData[]): Buffer {
  const udpSize = opts.udpSize ?? DEFAULT_EDNS_SIZE;
  if (!Number.isInteger(udpSize) || udpSize < MIN_UDP_SIZE || udpSize > 65535) {
    throw new RangeError(`upstream query: udpSize must be an integer from ${MIN_UDP_SIZE} to 65535, got ${udpSize}`);
  }
  const q = request.bytes;
  const qEnd = request.questionEnd; // throws WireError when there is no readable question
  if (qEnd === HEADER_SIZE) throw new RangeError('upstream query: the request has no question');
  const clientDo = request.edns?.do ?? false;
  const rdLength = options === undefined ? 0 : optionsLength(options);
  const out = Buffer.alloc(qEnd + OPT_SIZE + rdLength);
  out[OFF_ID] = q[OFF_ID]!;
  out[OFF_ID + 1] = q[OFF_ID + 1]!;
  const flags = (((q[OFF_FLAGS]! << 8) | q[OFF_FLAGS + 1]!) & (FLAG_RD | FLAG_CD)) | (opts.ad === true ? FLAG_AD : 0);
  out.writeUInt16BE(flags, OFF_FLAGS);
  out.writeUInt16BE(1, OFF_QDCOUNT);
  out.writeUInt16BE(1, OFF_ARCOUNT);
  q.copy(out, HEADER_SIZE, HEADER_SIZE, qEnd);
  const at = qEnd;                          // out[at] = 0: the root owner
  out.writeUInt16BE(RRType.OPT, at + 1);
  out.writeUInt16BE(udpSize, at + 3);
  // at + 5: extended rcode 0, at + 6: version 0
  out[at + 7] = clientDo ? 0x80 : 0;        // DO; the other 15 flag bits (Z) clear
  if (options !== undefined && rdLength > 0) {
    out.writeUInt16BE(rdLength, at + 9);
    let pos = at + OPT_SIZE;
    for (const o of options) {
      out.writeUInt16BE(o.code, pos);
      out.writeUInt16BE(o.data.length, pos + 2);
      out.set(o.data, pos + 4);
      pos += 4 + o.data.length;
    }
  }
  return out;
}

/** The RDATA length the options take; a RangeError when a code or the whole does not fit the wire fields. */
function optionsLength(options: readonly EdnsOptionData[]): number {
  let total = 0;
  for (const o of options) {
    if (!Number.isInteger(o.code) || o.code < 0 || o.code > 65535) throw new RangeError(`upstream query: EDNS option code must be 0 to 65535, got ${o.code}`);
    total += 4 + o.data.length;
  }
  if (total > 65535 - OPT_SIZE) throw new RangeError(`upstream query: EDNS options take ${total} bytes, more than an OPT record holds`);
  return total;
}

/**
 * True when an upstream answered our EDNS query FORMERR without an OPT: it does not speak EDNS
 * (RFC 6891 §7), and the query may be asked once more without one (`withoutEdns`), as Unbound
 * does for an EDNS-lame server. A FORMERR that carries an OPT is about something else.
 */
export function ednsRejected(reply: DnsMessage): boolean {
  return (reply.bytes[3]! & 0x0f) === Rcode.FORMERR && reply.layout.opt < 0;
}

/** An `upstreamQuery` without its OPT and options (DO goes with it: no DNSSEC without EDNS). */
export function withoutEdns(query: Buffer): Buffer {
  const out = Buffer.from(query.subarray(0, skipName(query, HEADER_SIZE) + 4)); // the header and the one question
  out.writeUInt16BE(0, OFF_ARCOUNT);
  return out;
}
