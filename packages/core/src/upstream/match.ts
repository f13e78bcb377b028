import { DnsMessage } from '../message.js';
import {
  FLAG_QR, FLAG_TC, HEADER_SIZE, OFF_ANCOUNT, OFF_ARCOUNT, OFF_FLAGS, OFF_ID, OFF_NSCOUNT, OFF_QDCOUNT, Rcode, RCODE_MASK,
} from '../wire/constants.js';
import { scanLayout } from '../wire/layout.js';
import { namesEqual, skipName } from '../wire/name.js';

/**
 * A query as it goes to one upstream: our own copy of the client's bytes with a fresh random ID,
 * and what a reply must echo to be accepted (the ID, and the question: name case-insensitively,
 * type and class).
 */
export class SentQuery {
  readonly bytes: Buffer;
  readonly originalId: number;
  /** Offset just past the question's name, or -1 when the query has no question. */
  readonly nameEnd: number;

  /** Throws WireError when the query is shorter than a header or its question does not parse. */
  constructor(query: Buffer, id: number) {
    if (query.length < HEADER_SIZE) throw new RangeError('query shorter than a DNS header');
    this.originalId = query.readUInt16BE(OFF_ID);
    this.nameEnd = query.readUInt16BE(OFF_QDCOUNT) === 0 ? -1 : skipName(query, HEADER_SIZE);
    if (this.nameEnd + 4 > query.length) throw new RangeError('query question runs past its end');
    this.bytes = Buffer.from(query);
    this.bytes.writeUInt16BE(id, OFF_ID);
  }

  get id(): number {
    return this.bytes.readUInt16BE(OFF_ID);
  }

  /** Gives this query a new ID (a TCP resend on another connection). */
  set id(id: number) {
    this.bytes.writeUInt16BE(id, OFF_ID);
  }
}

/** Why a reply was dropped. */
export type Rejection = 'spoofed' | 'malformed';

/**
 * Checks a reply against the query it claims to answer. On success the reply's ID is set back to
 * the client's and the message comes with its layout scanned; otherwise says why it was dropped.
 * A FORMERR, NOTIMP, REFUSED or SERVFAIL without a question and without records is accepted too: NSD and
 * others answer so (RFC 1035 leaves the question out of error replies), and the ID, source address
 * and port it matched are the same proof a reply with a question gives (the caller's
 * `fromUpstream` turns it into an answer for the client; nothing caches it).
 * A truncated (TC) reply whose records do not parse is kept as header + question: some servers
 * cut a TC reply mid-record, and the TC bit is all the caller needs from it.
 */
export function checkReply(sent: SentQuery, msg: Buffer): DnsMessage | Rejection {
  if (msg.length < HEADER_SIZE) return 'malformed';
  if (msg.readUInt16BE(OFF_ID) !== sent.id || (msg.readUInt16BE(OFF_FLAGS) & FLAG_QR) === 0) return 'spoofed';
  let layout;
  try {
    layout = scanLayout(msg);
  } catch {
    return salvageTruncated(sent, msg);
  }
  if (!sameQuestion(sent, msg, layout.questionEnd) && !questionlessError(sent, msg, layout.questionEnd, layout.an + layout.ns)) return 'spoofed';
  msg.writeUInt16BE(sent.originalId, OFF_ID);
  return new DnsMessage(msg, layout);
}

function sameQuestion(sent: SentQuery, msg: Buffer, questionEnd: number): boolean {
  if (sent.nameEnd < 0) return questionEnd === HEADER_SIZE;
  if (questionEnd === HEADER_SIZE) return false;
  const q = sent.bytes;
  const at = questionEnd - 4;
  return namesEqual(msg, HEADER_SIZE, q, HEADER_SIZE)
    && msg[at] === q[sent.nameEnd] && msg[at + 1] === q[sent.nameEnd + 1]
    && msg[at + 2] === q[sent.nameEnd + 2] && msg[at + 3] === q[sent.nameEnd + 3];
}

/** FORMERR, NOTIMP, REFUSED or SERVFAIL with no question and no answer or authority records, to a query that had one. */
function questionlessError(sent: SentQuery, msg: Buffer, questionEnd: number, records: number): boolean {
  if (sent.nameEnd < 0 || questionEnd !== HEADER_SIZE || records !== 0) return false;
  const rcode = msg[OFF_FLAGS + 1]! & RCODE_MASK;
  return rcode === Rcode.FORMERR || rcode === Rcode.NOTIMP || rcode === Rcode.REFUSED || rcode === Rcode.SERVFAIL;
}

function salvageTruncated(sent: SentQuery, msg: Buffer): DnsMessage | Rejection {
  if ((msg.readUInt16BE(OFF_FLAGS) & FLAG_TC) === 0) return 'malformed';
  const qd = msg.readUInt16BE(OFF_QDCOUNT);
  let questionEnd = HEADER_SIZE;
  try {
    if (qd > 1) return 'malformed';
    if (qd === 1) questionEnd = skipName(msg, HEADER_SIZE) + 4;
  } catch {
    return 'malformed';
  }
  if (questionEnd > msg.length) return 'malformed';
  if (!sameQuestion(sent, msg, questionEnd)) return 'spoofed';
  const out = Buffer.alloc(questionEnd);
  msg.copy(out, 0, 0, questionEnd);
  out.writeUInt16BE(sent.originalId, OFF_ID);
  out.writeUInt16BE(0, OFF_ANCOUNT);
  out.writeUInt16BE(0, OFF_NSCOUNT);
  out.writeUInt16BE(0, OFF_ARCOUNT);
  return new DnsMessage(out);
}
