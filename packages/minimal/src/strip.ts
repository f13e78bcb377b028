import { DnsMessage, OFF_ARCOUNT, OFF_NSCOUNT, Rcode, type Layout } from '@dnsmesh/core';

/**
 * The reply without its authority and additional sections, when it is a NOERROR answer with data
 * (what CoreDNS's minimal strips); anything else (NXDOMAIN, NODATA, a referral, an error) as it
 * came, since its authority section carries the SOA or NS a client needs. The answer section is a
 * prefix of the message and its compression pointers point backwards, so cutting after it leaves
 * every name whole. An OPT goes with the additional section: the edge writes a fresh one anyway.
 */
export function minimize(reply: DnsMessage): DnsMessage {
  let layout: Layout;
  try {
    if (reply.rcode !== Rcode.NOERROR) return reply;
    layout = reply.layout;
  } catch {
    return reply;
  }
  if (layout.an === 0 || layout.ns + layout.ar === 0) return reply;
  const end = layout.stop[layout.an - 1]!;
  const bytes = Buffer.from(reply.bytes.subarray(0, end));
  bytes.writeUInt16BE(0, OFF_NSCOUNT);
  bytes.writeUInt16BE(0, OFF_ARCOUNT);
  const out = new DnsMessage(bytes);
  out.ttlAge = reply.ttlAge;
  out.ttlSet = reply.ttlSet;
  out.authoritative = reply.authoritative;
  return out;
}
