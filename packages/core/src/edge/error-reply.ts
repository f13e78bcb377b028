import type { DnsMessage } from '../message.js';
import {
  DEFAULT_EDNS_SIZE, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, HEADER_SIZE, OFF_ARCOUNT, OFF_FLAGS, OFF_QDCOUNT, OPCODE_MASK,
  RCODE_MASK, RRType,
} from '../wire/constants.js';
import { optLength, writeOptRecord } from '../wire/edns.js';
import { skipName } from '../wire/name.js';

/**
 * The reply the edge writes itself for a query it will not pass on (FORMERR, NOTIMP, BADVERS,
 * REFUSED): the client's ID, opcode, RD and CD, QR and RA; the question when it can be read (else
 * QDCOUNT 0); and an OPT when the query tried EDNS (RFC 6891 §7), even when its OPT was the
 * problem (two OPTs, an OPT off the root, options that overrun): then a minimal one (size 1232, DO
 * clear), as Unbound does. BADVERS's upper rcode bits go in the OPT; `ede` (-1 for none) rides in
 * it too. Never throws: everything is read defensively.
 */
export function errorReply(request: DnsMessage, rcode: number, ede = -1, edeText?: string): Buffer {
  const q = request.bytes;
  const qEnd = readableQuestionEnd(request);
  const opt = queryOpt(request, qEnd);
  const size = qEnd + (opt === undefined ? 0 : optLength(ede, edeText));
  const out = Buffer.alloc(size);
  q.copy(out, 0, 0, qEnd);
  const flags = FLAG_QR | FLAG_RA | (((q[OFF_FLAGS]! << 8) | q[OFF_FLAGS + 1]!) & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | (rcode & RCODE_MASK);
  out.writeUInt16BE(flags, OFF_FLAGS);
  out.writeUInt16BE(qEnd > HEADER_SIZE ? 1 : 0, OFF_QDCOUNT);
  out.fill(0, OFF_QDCOUNT + 2, HEADER_SIZE);   // no answer, authority or additional records yet
  if (opt !== undefined) {
    out.writeUInt16BE(1, OFF_ARCOUNT);
    writeOptRecord(out, qEnd, rcode >> 4, opt.do, ede, edeText, DEFAULT_EDNS_SIZE);
  }
  return out;
}

/** The end of the (one) question when it parses, else the bare header. */
function readableQuestionEnd(request: DnsMessage): number {
  try {
    return request.qdcount === 1 ? request.questionEnd : HEADER_SIZE;
  } catch {
    return HEADER_SIZE;
  }
}

/**
 * Whether the query carries an OPT and its DO bit: from its EDNS when that reads cleanly, else by
 * looking for any additional record of type OPT (whatever is wrong with it: DO then counts as clear).
 */
function queryOpt(request: DnsMessage, qEnd: number): { do: boolean } | undefined {
  try {
    const edns = request.edns;
    return edns === undefined ? undefined : { do: edns.do };
  } catch {
    // fall through: the message does not parse as a whole
  }
  if (qEnd === HEADER_SIZE && request.qdcount !== 0) return undefined; // records cannot be found
  const buf = request.bytes;
  const records = request.ancount + request.nscount + request.arcount;
  const firstAdditional = request.ancount + request.nscount;
  let pos = qEnd;
  try {
    for (let i = 0; i < records; i++) {
      const nameEnd = skipName(buf, pos);
      // An OPT whose record is cut short still says the client tried EDNS (Unbound answers with an OPT).
      if (i >= firstAdditional && nameEnd + 2 <= buf.length && ((buf[nameEnd]! << 8) | buf[nameEnd + 1]!) === RRType.OPT) return { do: false };
      if (nameEnd + 10 > buf.length) return undefined;
      pos = nameEnd + 10 + ((buf[nameEnd + 8]! << 8) | buf[nameEnd + 9]!);
    }
  } catch {
    // a name that does not parse: no OPT found before it
  }
  return undefined;
}
