import type { DnsMessage } from '../message.js';
import { CLASS_IN, Ede, Rcode, RRType } from '../wire/constants.js';
import { hasMalformedCookie } from '../wire/edns.js';

/** Why the edge answers a query itself: the rcode, and an Extended DNS Error when one says more. */
export interface QueryProblem {
  readonly rcode: number;
  readonly ede: number;
  readonly edeText?: string;
}

const FORMERR: QueryProblem = { rcode: Rcode.FORMERR, ede: -1 };
const NOTIMP: QueryProblem = { rcode: Rcode.NOTIMP, ede: -1 };
const BADVERS: QueryProblem = { rcode: Rcode.BADVERS, ede: -1 };
const META_TYPE: QueryProblem = { rcode: Rcode.FORMERR, ede: -1 };
const TRANSFER: QueryProblem = { rcode: Rcode.REFUSED, ede: Ede.NOT_SUPPORTED, edeText: 'zone transfers are not served' };
const NOT_IN: QueryProblem = { rcode: Rcode.REFUSED, ede: Ede.NOT_SUPPORTED, edeText: 'only class IN is served' };

/**
 * Checks a query before any plugin sees it, so that what goes upstream is always a query dnsmesh
 * could have made itself (issue 15: one odd packet must not reach an upstream and take a name
 * offline). Unbound's checks, with its answers:
 *
 * - opcode other than QUERY: NOTIMP;
 * - TC set, QDCOUNT not 1, any answer or authority record, more than one additional record, an
 *   additional record that is not an OPT, an OPT whose owner is not the root or whose options
 *   overrun it, a name or record that does not parse: FORMERR (WireError thrown for the last ones);
 * - EDNS version other than 0: BADVERS;
 * - a COOKIE option whose length is neither 8 (client cookie) nor 16-40 (with a server cookie):
 *   FORMERR (RFC 7873 §5.2.2; Unbound 1.18+ the same with `answer-cookie`; older ones ignore it);
 * - QTYPE OPT, TSIG, TKEY, MAILA, MAILB or 128-248 (RFC 6895 §3.1 meta-types and QTYPEs that only
 *   make sense in other contexts): FORMERR;
 * - QTYPE AXFR or IXFR: REFUSED (a cache has no zone to transfer; Unbound the same);
 * - QCLASS other than IN (CH, HS, NONE, ANY, 0, ...): REFUSED (Unbound refuses all but IN and
 *   ANY; dnsmesh refuses ANY too: it serves IN data only, and a class-ANY answer could not be
 *   cached or fit like others). That includes CHAOS
 *   `version.bind`, `hostname.bind`, `id.server` and `version.server`: dnsmesh does not tell
 *   strangers its version or host name (Unbound's `hide-version: yes`, `hide-identity: yes`), and
 *   never forwards them, so a client never sees an upstream's identity either.
 *
 * A plugin may take another class in its server block (chaos takes CH: `ServerBlock.acceptClass`):
 * the edge then passes `accepts` as "any class" here and asks the block once it has routed the
 * query (`classProblem`).
 *
 * Returns undefined for a query that may go on.
 */
export function checkQuery(request: DnsMessage, accepts: (qclass: number) => boolean = onlyIn): QueryProblem | undefined {
  // Header fields straight from the bytes (the edge has checked there are 12): every query pays
  // for these checks, so they are plain byte compares.
  const b = request.bytes;
  const flagsHigh = b[2]!;
  if ((flagsHigh & 0x78) !== 0) return NOTIMP;                       // opcode (4 bits) other than QUERY
  if ((flagsHigh & 0x02) !== 0) return FORMERR;                      // TC
  if (b[4] !== 0 || b[5] !== 1 || (b[6]! | b[7]! | b[8]! | b[9]! | b[10]!) !== 0 || b[11]! > 1) return FORMERR; // QD 1, AN 0, NS 0, AR <= 1
  request.checkQueryTail(); // the question and the OPT: throws on a bad name, label, pointer or record
  const edns = request.edns;
  if (edns !== undefined) {
    if (edns.version !== 0) return BADVERS;
    if (edns.optionsLength !== 0 && hasMalformedCookie(b, edns)) return FORMERR;
  }
  const end = request.questionEnd;
  const qtype = (b[end - 4]! << 8) | b[end - 3]!;
  if (qtype >= RRType.OPT) {                                         // every type below OPT (41) is an ordinary one
    if (qtype === RRType.AXFR || qtype === RRType.IXFR) return TRANSFER;
    if (isMetaQtype(qtype)) return META_TYPE;
  }
  const qclass = (b[end - 2]! << 8) | b[end - 1]!;
  return qclass === CLASS_IN || accepts(qclass) ? undefined : NOT_IN;
}

/** REFUSED (with its EDE) for a class that `accepts` does not take; undefined when it does. */
export function classProblem(request: DnsMessage, accepts: (qclass: number) => boolean): QueryProblem | undefined {
  const qclass = request.qclass;
  return qclass === CLASS_IN || accepts(qclass) ? undefined : NOT_IN;
}

/** Only IN: what a server block takes unless a plugin asked for another class. */
export const onlyIn = (qclass: number): boolean => qclass === CLASS_IN;
/** Every class: the class is checked later, against the server block. */
export const anyClass = (): boolean => true;

/** QTYPEs no resolver answers (Unbound: FORMERR): OPT, TSIG, TKEY, MAILA, MAILB, and 128-248. */
export function isMetaQtype(qtype: number): boolean {
  return qtype === RRType.OPT || qtype === RRType.TSIG || qtype === RRType.TKEY
    || qtype === RRType.MAILA || qtype === RRType.MAILB || (qtype >= 128 && qtype <= 248);
}
