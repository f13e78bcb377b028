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
    variants: 'positive answers from zones whose authority adds its NS RRset (NSD, minimal-responses no)',
    when: () => true, field: 'authority',
    dnsmesh: only('NS|RRSIG/NS'), unbound: NONE, optional: true,
    rfc: 'RFC 1034 §4.3.2 (step 6) and RFC 2181 §9: the authority section of an answer is optional data; dnsmesh passes '
      + 'the authority\'s own in-zone NS RRset as received (bytes copied), Unbound (minimal-responses, its default) leaves it out',
  },
  {
    variants: 'positive answers whose authority adds glue for its NS (NSD, minimal-responses no)',
    when: () => true, field: 'additional',
    dnsmesh: only('A|AAAA|RRSIG/A|RRSIG/AAAA'), unbound: NONE, optional: true,
    rfc: 'RFC 1035 §4.1 / RFC 2181 §9: additional data is optional and dropped first; dnsmesh passes the in-bailiwick '
      + 'glue as received, Unbound (minimal-responses) omits it',
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
    dnsmesh: /^[01]$/, unbound: /^[01]$/, optional: true,
    rfc: 'RFC 1035 §4.1.1: RA says whether the server offers recursion; dnsmesh always does and sets it on its own errors, '
      + 'Unbound clears it on errors it writes before resolving (and sets it on others): both are allowed',
  },
  {
    variants: 'meta-types and OPT/TSIG/TKEY/MAILA/MAILB as qtype (RFC 6895 §3.1)',
    when: tagged('meta-type'), field: 'rcode',
    dnsmesh: /^NOTIMP$/, unbound: /^FORMERR$/, optional: true,
    rfc: 'RFC 6895 §3.1: meta-types are never answered from data; issue 14 leaves FORMERR (as Unbound) or NOTIMP to dnsmesh',
  },
  {
    variants: 'meta-types and OPT/TSIG/TKEY/MAILA/MAILB as qtype (RFC 6895 §3.1)',
    when: tagged('meta-type'), field: 'rcode.extended',
    dnsmesh: /^NOTIMP$/, unbound: /^FORMERR$/, optional: true, rfc: 'as the row above',
  },
  {
    variants: 'ANY',
    when: tagged('any'), field: 'answer',
    dnsmesh: ANYTHING, unbound: ANYTHING, optional: true,
    rfc: 'RFC 8482 §4: ANY is answered with a subset (one RRset, or what the cache holds); dnsmesh and Unbound each pick theirs',
  },
  {
    variants: 'ANY',
    when: tagged('any'), field: 'authority',
    dnsmesh: ANYTHING, unbound: ANYTHING, optional: true, rfc: 'RFC 8482 §4, as the row above',
  },
  {
    variants: 'ANY',
    when: tagged('any'), field: 'additional',
    dnsmesh: ANYTHING, unbound: ANYTHING, optional: true, rfc: 'RFC 8482 §4, as the row above',
  },
  {
    variants: 'CHAOS identity queries (version.bind, hostname.bind, id.server, version.server)',
    when: tagged('chaos'), field: 'rcode',
    dnsmesh: /^REFUSED$/, unbound: /^NOERROR$/, optional: true,
    rfc: 'RFC 4892 §2: the answer names the server asked, never its upstream; dnsmesh refuses (issue 14 item 7: answer '
      + 'locally or REFUSED), Unbound answers with its own identity',
  },
  {
    variants: 'CHAOS identity queries',
    when: tagged('chaos'), field: 'rcode.extended',
    dnsmesh: /^REFUSED$/, unbound: /^NOERROR$/, optional: true, rfc: 'as the row above',
  },
  {
    variants: 'CHAOS identity queries',
    when: tagged('chaos'), field: 'answer',
    dnsmesh: /^only: (-|\S+ TXT 3×1)$/, unbound: /^only: \S+ TXT 3×1$/,
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
    variants: 'a query with an A record (and no OPT) in its additional section',
    when: (v) => v.id.endsWith('malformed: an A record in the additional section'), field: 'opt',
    dnsmesh: /^absent$/, unbound: /^v0$/,
    rfc: 'RFC 6891 §7: a reply carries an OPT only when the query did; Unbound adds one to this FORMERR',
  },
  {
    variants: 'queries that are whole but odd: an EDNS option longer than its OPT, octets after the question',
    when: (v) => /OPT option longer than its RDATA|trailing garbage/.test(v.id), field: 'rcode',
    dnsmesh: /^FORMERR$/, unbound: /^NOERROR$/, optional: true,
    rfc: 'RFC 1035 §4.1.1 and issue 15 ("what cannot be normalised gets FORMERR at the edge"): dnsmesh never sends such '
      + 'a query upstream; Unbound skips the broken option or the extra octets and answers',
  },
  {
    variants: 'queries that are whole but odd (as above)',
    when: (v) => /OPT option longer than its RDATA|trailing garbage/.test(v.id), field: 'rcode.extended',
    dnsmesh: /^FORMERR$/, unbound: /^NOERROR$/, optional: true, rfc: 'as the row above',
  },
  {
    variants: 'RD=0 for a name in the cache',
    when: (v) => v.tags.has('rd0') && !v.tags.has('nxdomain'), field: 'rcode',
    dnsmesh: /^NOERROR$/, unbound: /^REFUSED$/, optional: true,
    rfc: 'RFC 1034 §4.3.1: RD=0 asks for no recursion, and an answer from the cache is one; issue 15 allows answering RD=0 '
      + 'from the cache only; Unbound refuses it unless access-control is allow_snoop',
  },
  {
    variants: 'queries that are whole but odd: an EDNS option longer than its OPT, octets after the question',
    when: (v) => /OPT option longer than its RDATA|trailing garbage/.test(v.id), field: 'rcode',
    dnsmesh: /^FORMERR$/, unbound: /^NOERROR$/, optional: true,
    rfc: 'RFC 1035 §4.1.1 and issue 15 ("what cannot be normalised gets FORMERR at the edge"): dnsmesh never sends such '
      + 'a query upstream; Unbound skips the broken option or the extra octets and answers',
  },
  {
    variants: 'queries that are whole but odd (as above)',
    when: (v) => /OPT option longer than its RDATA|trailing garbage/.test(v.id), field: 'rcode.extended',
    dnsmesh: /^FORMERR$/, unbound: /^NOERROR$/, optional: true, rfc: 'as the row above',
  },
  {
    variants: 'RD=0 for a name in the cache',
    when: (v) => v.tags.has('rd0') && !v.tags.has('nxdomain'), field: 'rcode.extended',
    dnsmesh: /^NOERROR$/, unbound: /^REFUSED$/, optional: true, rfc: 'as the row above',
  },
  {
    variants: 'queries that are whole but odd: an EDNS option longer than its OPT, octets after the question',
    when: (v) => /OPT option longer than its RDATA|trailing garbage/.test(v.id), field: 'rcode',
    dnsmesh: /^FORMERR$/, unbound: /^NOERROR$/, optional: true,
    rfc: 'RFC 1035 §4.1.1 and issue 15 ("what cannot be normalised gets FORMERR at the edge"): dnsmesh never sends such '
      + 'a query upstream; Unbound skips the broken option or the extra octets and answers',
  },
  {
    variants: 'queries that are whole but odd (as above)',
    when: (v) => /OPT option longer than its RDATA|trailing garbage/.test(v.id), field: 'rcode.extended',
    dnsmesh: /^FORMERR$/, unbound: /^NOERROR$/, optional: true, rfc: 'as the row above',
  },
  {
    variants: 'RD=0 for a name in the cache',
    when: (v) => v.tags.has('rd0') && !v.tags.has('nxdomain'), field: 'answer',
    dnsmesh: only('A|RRSIG/A'), unbound: NONE, optional: true, rfc: 'as the row above',
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
