import * as dnsPacket from 'dns-packet';
import { isOpt, type DecodedPacket, type DnsRecord, type OptRecord } from './message.js';
import { rcodeValue } from './rcode.js';

/** What goes into a reply besides the header copied from the query. */
export interface ReplyParts {
  rcode: string;
  aa: boolean;
  answers: DnsRecord[];
  authorities: DnsRecord[];
}

const OPCODE_MASK = 0x7800;
const UDP_SIZE = 1232;

/** The offset just past the first question (name, type, class) of a message. */
export function questionEnd(msg: Buffer): number {
  let at = 12;
  for (;;) {
    const len = msg[at];
    if (len === undefined) throw new RangeError('question runs past the end of the message');
    if (len === 0) { at += 1; break; }
    if ((len & 0xc0) === 0xc0) { at += 2; break; }
    at += 1 + len;
  }
  if (at + 4 > msg.length) throw new RangeError('question runs past the end of the message');
  return at + 4;
}

/**
 * A reply to `query` (decoded from `raw`): the query's ID, opcode, RD and CD, its question bytes copied
 * exactly, and an OPT record (UDP size 1232, DO echoed) when the query had one. TC=1 when `tc`.
 */
export function buildReply(query: DecodedPacket, raw: Buffer, parts: ReplyParts, ra: boolean, tc = false): Buffer {
  const rcode = rcodeValue(parts.rcode);
  const queryOpt = query.additionals.find(isOpt);
  const opt: OptRecord[] = queryOpt === undefined ? [] : [{
    type: 'OPT', name: '.', udpPayloadSize: UDP_SIZE, extendedRcode: rcode >> 4,
    flags: (queryOpt.flags ?? 0) & dnsPacket.DNSSEC_OK,
  }];
  const flags = (query.flags & (OPCODE_MASK | dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED))
    | (parts.aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0)
    | (ra ? dnsPacket.RECURSION_AVAILABLE : 0)
    | (tc ? dnsPacket.TRUNCATED_RESPONSE : 0)
    | (rcode & 0x0f);
  const body = dnsPacket.encode({
    type: 'response', id: query.id, flags, questions: [],
    answers: parts.answers, authorities: parts.authorities, additionals: opt,
  });
  const out = Buffer.concat([body.subarray(0, 12), raw.subarray(12, questionEnd(raw)), body.subarray(12)]);
  out.writeUInt16BE(1, 4);
  return out;
}

/** FORMERR for a query whose header can be read but whose body cannot: the header only. */
export function formErr(raw: Buffer): Buffer {
  const out = Buffer.alloc(12);
  raw.copy(out, 0, 0, 2);
  out.writeUInt16BE(0x8000 | (raw.readUInt16BE(2) & (OPCODE_MASK | dnsPacket.RECURSION_DESIRED)) | 1, 2);
  return out;
}
