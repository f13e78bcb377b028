import { DnsMessage, HEADER_SIZE, OFF_ANCOUNT, Rcode } from '@dnsmesh/core';

/** RFC 8482 §4.2: one HINFO record, CPU "RFC8482" and OS "". */
const CPU = 'RFC8482';
/** The TTL of the HINFO record (CoreDNS's choice: RFC 8482 leaves it open, and a long one spares repeats). */
export const HINFO_TTL = 8482;
const TYPE_HINFO = 13;

/**
 * The RFC 8482 answer to an ANY query: the question, and one HINFO record owned by the question
 * name (a compression pointer to it) in the question's class. Built from bytes: the question is
 * copied as the client sent it, nothing is decoded.
 */
export function hinfoReply(request: DnsMessage): DnsMessage {
  const head = DnsMessage.reply(request, Rcode.NOERROR).bytes; // header and question
  const rdata = 1 + CPU.length + 1;
  const rr = Buffer.alloc(2 + 2 + 2 + 4 + 2 + rdata);
  let at = rr.writeUInt16BE(0xc000 | HEADER_SIZE, 0); // the name: a pointer to the question's
  at = rr.writeUInt16BE(TYPE_HINFO, at);
  at = rr.writeUInt16BE(request.qclass, at);
  at = rr.writeUInt32BE(HINFO_TTL, at);
  at = rr.writeUInt16BE(rdata, at);
  at = rr.writeUInt8(CPU.length, at);
  at += rr.write(CPU, at, 'latin1');
  rr.writeUInt8(0, at); // OS: the empty string
  const out = Buffer.concat([head, rr]);
  out.writeUInt16BE(1, OFF_ANCOUNT);
  return new DnsMessage(out);
}
