import type { DnsMessage } from '../message.js';
import { CLASS_IN, Ede, FLAG_TC, Opcode, Rcode, RRType } from '../wire/constants.js';

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
  if (request.opcode !== Opcode.QUERY) return NOTIMP;
  if ((request.flags & FLAG_TC) !== 0) return FORMERR;
  if (request.qdcount !== 1 || request.ancount !== 0 || request.nscount !== 0 || request.arcount > 1) return FORMERR;
  request.checkQueryTail(); // the question and the OPT: throws on a bad name, label, pointer or record
  const edns = request.edns;
  if (edns !== undefined && edns.version !== 0) return BADVERS;
  const qtype = request.qtype;
  if (qtype === RRType.AXFR || qtype === RRType.IXFR) return TRANSFER;
  if (isMetaQtype(qtype)) return META_TYPE;
  return classProblem(request, accepts);
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
