import { Rcode, RRType, type DnsMessage } from '@dnsmesh/core';

/**
 * What an upstream reply does for a stale entry:
 * - 'good': a complete NOERROR or NXDOMAIN for the question: the client gets it (RFC 8767 §4);
 * - 'incomplete': NOERROR that does not answer (truncated, a CNAME without its target and no
 *   SOA, a referral) or a different question: the client gets the stale answer, which is complete;
 * - 'failed': any other rcode (SERVFAIL, REFUSED, ...): stale at once, and the failure is recorded
 *   so the failure recheck holds further upstream queries back.
 */
export type RefreshVerdict = 'good' | 'incomplete' | 'failed';

export function judge(request: DnsMessage, reply: DnsMessage): RefreshVerdict {
  let rcode: number;
  try {
    rcode = reply.rcode;
  } catch {
    return 'failed';
  }
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) return 'failed';
  try {
    if (reply.tc) return 'incomplete';
    const q = request.question!;
    const rq = reply.question;
    if (rq === undefined || rq.lname !== q.lname || rq.type !== q.type || rq.class !== q.class) return 'incomplete';
    if (rcode === Rcode.NXDOMAIN || q.type === RRType.ANY) return 'good';
    const layout = reply.layout;
    for (let i = 0; i < layout.an; i++) {
      const t = layout.type[i];
      if (t === q.type || (q.type === RRType.CNAME && t === RRType.CNAME)) return 'good';
    }
    // No data for the type: NODATA needs its SOA (RFC 2308); without one it is a dangling CNAME or a referral.
    for (let i = layout.an; i < layout.an + layout.ns; i++) if (layout.type[i] === RRType.SOA) return 'good';
    return 'incomplete';
  } catch {
    return 'failed';
  }
}
