// Differences the issues name as dnsmesh bugs, accepted only until their fixes land: each row says
// which issue item fixes it. The suite fails when a row no longer happens (delete it then), so this
// list only ever shrinks. It is not the table of accepted differences (expected.ts): nothing here is right.
import type { ExpectedDifference } from './expected.js';

export interface OpenBug extends Omit<ExpectedDifference, 'rfc' | 'optional'> {
  /** The issue item whose fix removes the difference. */
  readonly issue: string;
}

const tagged = (...tags: string[]) => (v: { tags: ReadonlySet<string> }) => tags.some((t) => v.tags.has(t));

export const OPEN_BUGS: readonly OpenBug[] = [
  { issue: '14.3 AA set on forwarded and cached answers', variants: 'any answer', when: () => true, field: 'flag.aa', dnsmesh: /^1$/, unbound: /^0$/ },
  { issue: '14.4 TC set when the answer is complete (only the authority\'s NS does not fit)', variants: 'fit* TXT over UDP',
    when: tagged('fit'), field: 'flag.tc', dnsmesh: /^1$/, unbound: /^0$/ },
  { issue: '14.1 names corrupted on rewrite (escaped dot lost, 0xFF as UTF-8)', variants: 'DO=1 wildcard answers at odd names in signed zones',
    when: tagged('escaped', 'non-ascii'), field: 'answer', dnsmesh: /\\239\\191\\189|esc\.dot/, unbound: /\\255|esc\\\.dot/ },
  { issue: '14.1 names corrupted on rewrite (escaped dot lost, 0xFF as UTF-8)', variants: 'DO=1 wildcard answers at odd names in signed zones',
    when: tagged('escaped', 'non-ascii'), field: 'question', dnsmesh: /^other: /, unbound: /^echoed$/ },
  { issue: '14.2 DNSSEC proofs stripped', variants: 'DO=1 NXDOMAIN, NODATA and wildcard answers from signed zones',
    when: tagged('dnssec'), field: 'authority', dnsmesh: /^only: (-|[^N]*NS[^E].*)$/, unbound: /NSEC/ },
  { issue: '14.7 CNAME loop answered NOERROR', variants: 'CNAME loops', when: tagged('cname-loop'), field: 'rcode', dnsmesh: /^NOERROR$/, unbound: /^SERVFAIL$/ },
  { issue: '14.7 CNAME loop answered NOERROR', variants: 'CNAME loops', when: tagged('cname-loop'), field: 'rcode.extended', dnsmesh: /^NOERROR$/, unbound: /^SERVFAIL$/ },
  { issue: '14.7 CNAME loop answered NOERROR', variants: 'CNAME loops', when: tagged('cname-loop'), field: 'answer', dnsmesh: /CNAME/, unbound: /^only: -$/ },
  { issue: '14.7 meta-types answered and cached', variants: 'meta-types as qtype', when: tagged('meta-type'), field: 'rcode', dnsmesh: /^NOERROR$/, unbound: /^FORMERR$/ },
  { issue: '14.7 meta-types answered and cached', variants: 'meta-types as qtype', when: tagged('meta-type'), field: 'rcode.extended', dnsmesh: /^NOERROR$/, unbound: /^FORMERR$/ },
  { issue: '14.7 meta-types answered and cached', variants: 'meta-types as qtype', when: tagged('meta-type'), field: 'authority', dnsmesh: /SOA/, unbound: /^only: -$/ },
  { issue: '14.7 qclass NONE/HS/0 SERVFAIL after 5 s', variants: 'classes NONE, HS, 0', when: tagged('class'), field: 'rcode', dnsmesh: /^SERVFAIL$/, unbound: /^REFUSED$/ },
  { issue: '14.7 qclass NONE/HS/0 SERVFAIL after 5 s', variants: 'classes NONE, HS, 0', when: tagged('class'), field: 'rcode.extended', dnsmesh: /^SERVFAIL$/, unbound: /^REFUSED$/ },
  { issue: '14.7 IXFR and AXFR (REFUSED)', variants: 'IXFR and AXFR over UDP', when: tagged('xfr'), field: 'rcode', dnsmesh: /^(NOTAUTH|NOTIMP)$/, unbound: /^REFUSED$/ },
  { issue: '14.7 IXFR and AXFR (REFUSED)', variants: 'IXFR and AXFR over UDP', when: tagged('xfr'), field: 'rcode.extended', dnsmesh: /^(NOTAUTH|NOTIMP)$/, unbound: /^REFUSED$/ },
  { issue: '14.7 CHAOS identity forwarded', variants: 'CHAOS identity queries', when: tagged('chaos'), field: 'identity', dnsmesh: /NSD/, unbound: /^-$/ },
  { issue: '14.7 CHAOS identity forwarded', variants: 'CHAOS identity queries', when: tagged('chaos'), field: 'ttl', dnsmesh: /TTL 5 > 0/, unbound: /within bounds/ },
  { issue: '14.7 FORMERR for a bad OPT carries no OPT', variants: 'malformed OPT', when: tagged('bad-opt'), field: 'opt', dnsmesh: /^absent$/, unbound: /^v0$/ },
  { issue: 'unowned (next to 14.7): a FORMERR for a bad OPT leaves out the question; Unbound echoes it', variants: 'malformed OPT', when: tagged('bad-opt'), field: 'question', dnsmesh: /^absent$/, unbound: /^echoed$/ },
  { issue: '15 queries normalised (one question, no stray records)', variants: 'an A record in the additional section', when: (v) => v.id.endsWith('an A record in the additional section'), field: 'rcode', dnsmesh: /^NOERROR$/, unbound: /^FORMERR$/ },
  { issue: '15 queries normalised (one question, no stray records)', variants: 'an A record in the additional section', when: (v) => v.id.endsWith('an A record in the additional section'), field: 'rcode.extended', dnsmesh: /^NOERROR$/, unbound: /^FORMERR$/ },
  { issue: '15 queries normalised (one question, no stray records)', variants: 'an A record in the additional section', when: (v) => v.id.endsWith('an A record in the additional section'), field: 'answer', dnsmesh: /A 1×2/, unbound: /^only: -$/ },
  { issue: '15 RD=0 answered from cache only or REFUSED', variants: 'RD=0 for a name not cached', when: (v) => v.tags.has('rd0') && v.tags.has('nxdomain'), field: 'rcode', dnsmesh: /^NXDOMAIN$/, unbound: /^REFUSED$/ },
  { issue: '15 RD=0 answered from cache only or REFUSED', variants: 'RD=0 for a name not cached', when: (v) => v.tags.has('rd0') && v.tags.has('nxdomain'), field: 'rcode.extended', dnsmesh: /^NXDOMAIN$/, unbound: /^REFUSED$/ },
  { issue: '15 RD=0 answered from cache only or REFUSED', variants: 'RD=0 for a name not cached', when: (v) => v.tags.has('rd0') && v.tags.has('nxdomain'), field: 'authority', dnsmesh: /SOA/, unbound: /^only: -$/ },
];
