// THE table: every difference between dnsmesh and Unbound that the suite accepts, with the RFC that
// makes dnsmesh's answer right. Anything else the suite finds is a failure. Written for the behaviour
// issue 14 asks for (AA clear, proofs kept with DO, names octet-exact, own OPT, REFUSED for odd
// classes and transfers, ...), not for what dnsmesh did when the suite was written.
import type { Variant } from './variants.js';

export type Pass = 'cold' | 'warm';

export interface ExpectedDifference {
  /** Which variants, in words. */
  readonly variants: string;
  readonly when: (v: Variant, pass: Pass) => boolean;
  /** The field that differs (see compare.ts). */
  readonly field: string;
  /** What dnsmesh answers, and what Unbound answers, as patterns over compare.ts's values. */
  readonly dnsmesh: RegExp;
  readonly unbound: RegExp;
  /** Why dnsmesh's answer is right (or, where no RFC decides, whose choice it is). */
  readonly rfc: string;
  /**
   * Where the issues leave dnsmesh a choice (e.g. FORMERR or NOTIMP for a meta-type), the row allows
   * the choice that differs from Unbound; it is not an error when dnsmesh takes Unbound's.
   */
  readonly optional?: boolean;
}

const tagged = (...tags: string[]) => (v: Variant) => tags.some((t) => v.tags.has(t));
/** One or more RRsets of the given types in compare.ts's summary form ('owner TYPE class×n, ...'). */
const only = (types: string) => new RegExp(`^only: \\S+ (${types}) \\d+×\\d+(, \\S+ (${types}) \\d+×\\d+)*$`);
const NONE = /^only: -$/;
const ANYTHING = /.*/;

export const EXPECTED: readonly ExpectedDifference[] = [
  {
    variants: 'positive answers with targets in the additional section (MX, SRV addresses) as the authority sends them',
    when: () => true, field: 'additional',
    dnsmesh: only('A|AAAA|RRSIG/A|RRSIG/AAAA'), unbound: NONE,
    rfc: 'RFC 1035 §3.3.9/§4.1 and RFC 2782: additional data for the answer\'s targets is optional and dropped first when '
      + 'it does not fit; dnsmesh passes the in-bailiwick addresses as received, Unbound (minimal-responses, its default) omits them',
  },
  {
    variants: 'A at zero.example (zone TTL 0)',
    when: (v) => v.spec?.qname === 'zero.example', field: 'ttl',
    dnsmesh: /^zero\.example\. A 1 TTL 5 > 0$/, unbound: /within bounds/,
    rfc: 'No RFC: CONTRACT.md keeps CoreDNS\'s cache default MINTTL 5 s (a TTL-0 record is held and served for 5 s); '
      + '`cache { success N 3600 0 }` gives the zone\'s 0 as Unbound does',
  },
  {
    variants: 'NOTIFY (opcode 4)',
    when: (v) => v.spec?.opcode === 4, field: 'rcode',
    dnsmesh: /^NOTIMP$/, unbound: /^REFUSED$/,
    rfc: 'RFC 1035 §4.1.1 (NOTIMP: the server does not support this kind of query) and RFC 1996: dnsmesh is no secondary '
      + 'and has no NOTIFY; Unbound refuses NOTIFY from clients without allow_notify',
  },
  {
    variants: 'NOTIFY (opcode 4)',
    when: (v) => v.spec?.opcode === 4, field: 'rcode.extended',
    dnsmesh: /^NOTIMP$/, unbound: /^REFUSED$/, rfc: 'as the row above (the same rcode with the OPT\'s bits)',
  },
  {
    variants: 'errors written at the edge for queries never looked up (malformed, opcodes, classes, meta-types, transfers)',
    when: tagged('malformed', 'opcode', 'class', 'meta-type', 'xfr'), field: 'flag.ra',
    dnsmesh: /^1$/, unbound: /^0$/,
    rfc: 'RFC 1035 §4.1.1: RA says whether the server offers recursion; dnsmesh does, and says so on its own errors too; '
      + 'Unbound clears RA on errors it writes before resolving',
  },
  {
    variants: 'ANY over UDP',
    when: (v) => v.tags.has('any') && v.transport === 'udp', field: 'answer',
    dnsmesh: /^only: \S+ HINFO 1×1$/, unbound: ANYTHING,
    rfc: 'RFC 8482 §4.2: ANY over UDP is answered with one synthesized HINFO "RFC8482"; Unbound answers what its cache holds',
  },
  {
    variants: 'ANY over TCP',
    when: (v) => v.tags.has('any') && v.transport === 'tcp', field: 'answer',
    dnsmesh: ANYTHING, unbound: ANYTHING,
    rfc: 'RFC 8482 §4.1: ANY is answered with a subset; over TCP dnsmesh passes what its upstream answers, Unbound what its '
      + 'cache holds at that moment',
  },
  {
    variants: 'ANY over UDP',
    when: (v) => v.tags.has('any') && v.transport === 'udp', field: 'ttl',
    dnsmesh: /^\S+ HINFO 1 TTL \d+ > \d+$/, unbound: ANYTHING,
    rfc: 'RFC 8482 §4.2: the synthesized HINFO "RFC8482" is the responder\'s own record, its TTL the responder\'s choice '
      + '(8482 s, as CoreDNS), not a zone\'s',
  },
  {
    variants: 'CHAOS identity queries (version.bind, hostname.bind, id.server, version.server)',
    when: tagged('chaos'), field: 'rcode',
    dnsmesh: /^REFUSED$/, unbound: /^NOERROR$/,
    rfc: 'RFC 4892 §2: the answer names the server asked, never its upstream; dnsmesh refuses (issue 14 item 7: answer '
      + 'locally or REFUSED), Unbound answers with its own identity',
  },
  {
    variants: 'CHAOS identity queries',
    when: tagged('chaos'), field: 'rcode.extended',
    dnsmesh: /^REFUSED$/, unbound: /^NOERROR$/, rfc: 'as the row above',
  },
  {
    variants: 'CHAOS identity queries',
    when: tagged('chaos'), field: 'answer',
    dnsmesh: NONE, unbound: /^only: \S+ TXT 3×1$/,
    rfc: 'RFC 4892 §2: each server answers with its own identity (or nothing); the suite checks apart that dnsmesh never '
      + 'passes on NSD\'s',
  },
  {
    variants: 'malformed queries that Unbound echoes in its FORMERR (two questions, two OPTs, a bad name)',
    when: tagged('malformed'), field: 'body',
    dnsmesh: /^ok$/, unbound: /^malformed/,
    rfc: 'RFC 1035 §4.1.1: FORMERR "unable to interpret the query"; dnsmesh answers a well-formed header + question (when '
      + 'readable); Unbound copies the broken query back',
  },
  {
    variants: 'malformed queries with records in answer/authority/additional',
    when: tagged('malformed'), field: 'answer', dnsmesh: NONE, unbound: ANYTHING,
    rfc: 'RFC 1035 §4.1.1: a FORMERR carries no data; Unbound echoes the query\'s records, dnsmesh sends none',
  },
  {
    variants: 'malformed queries with records in answer/authority/additional',
    when: tagged('malformed'), field: 'authority', dnsmesh: NONE, unbound: ANYTHING,
    rfc: 'as the row above',
  },
  {
    variants: 'malformed queries with records in answer/authority/additional',
    when: tagged('malformed'), field: 'additional', dnsmesh: NONE, unbound: ANYTHING,
    rfc: 'as the row above',
  },
  {
    variants: 'an EDNS option whose length runs past its OPT record',
    when: (v) => v.id.endsWith('OPT option longer than its RDATA'), field: 'rcode',
    dnsmesh: /^FORMERR$/, unbound: /^NOERROR$/,
    rfc: 'RFC 6891 §6.1.2 (an option is CODE, LENGTH, DATA inside the RDATA) and RFC 1035 §4.1.1: a query whose OPT does '
      + 'not parse is malformed, FORMERR, and is never sent upstream (issue 15); Unbound skips the broken option and answers',
  },
  {
    variants: 'an EDNS option whose length runs past its OPT record',
    when: (v) => v.id.endsWith('OPT option longer than its RDATA'), field: 'rcode.extended',
    dnsmesh: /^FORMERR$/, unbound: /^NOERROR$/, rfc: 'as the row above',
  },
  {
    variants: 'a COOKIE option of a length no cookie has (1, 9, 41 octets: neither 8 nor 16-40)',
    when: tagged('bad-cookie'), field: 'rcode',
    dnsmesh: /^FORMERR$/, unbound: /^NOERROR$/,
    rfc: 'RFC 7873 §5.2.2: a COOKIE option shorter than 8 octets, longer than 40, or between 8 and 16, makes the query '
      + 'FORMERR; Unbound 1.18+ answers the same with `answer-cookie: yes`, the Unbound under test (1.17) has no cookie '
      + 'support and ignores the option',
  },
  {
    variants: 'a COOKIE option of a length no cookie has',
    when: tagged('bad-cookie'), field: 'rcode.extended',
    dnsmesh: /^FORMERR$/, unbound: /^NOERROR$/, rfc: 'as the row above',
  },
  {
    variants: 'a COOKIE option of a length no cookie has',
    when: tagged('bad-cookie'), field: 'answer',
    dnsmesh: NONE, unbound: only('A'), rfc: 'as the row above (a FORMERR carries no data)',
  },
  {
    variants: 'a query with an A record (and no OPT) in its additional section',
    when: (v) => v.id.endsWith('malformed: an A record in the additional section'), field: 'opt',
    dnsmesh: /^absent$/, unbound: /^v0$/,
    rfc: 'RFC 6891 §7: a reply carries an OPT only when the query did; Unbound adds one to this FORMERR',
  },
  {
    variants: 'errors dnsmesh makes itself, to EDNS clients (REFUSED for transfers, classes and CHAOS: 21; SERVFAIL: 22, 23, 0)',
    when: (v) => v.spec?.edns !== undefined, field: 'ede',
    dnsmesh: /^\d+(,\d+)*$/, unbound: /^-$/,
    rfc: 'RFC 8914: dnsmesh says why with an Extended DNS Error (issue 14 item 8); Unbound sends EDE only with `ede: yes` '
      + '(off by default)',
  },
  {
    variants: 'QCLASS ANY (255)',
    when: (v) => v.spec?.qclass === 255, field: 'rcode',
    dnsmesh: /^REFUSED$/, unbound: /^NOERROR$/,
    rfc: 'RFC 6895 §3.2: ANY is a QCLASS asking for every class, and dnsmesh holds IN data only, so it cannot answer '
      + 'for all classes (issue 14 item 7: classes other than IN REFUSED at once, EDE 21); Unbound answers with its IN data',
  },
  {
    variants: 'QCLASS ANY (255)',
    when: (v) => v.spec?.qclass === 255, field: 'rcode.extended',
    dnsmesh: /^REFUSED$/, unbound: /^NOERROR$/, rfc: 'as the row above',
  },
  {
    variants: 'QCLASS ANY (255)',
    when: (v) => v.spec?.qclass === 255, field: 'answer',
    dnsmesh: NONE, unbound: only('A'), rfc: 'as the row above',
  },
];
