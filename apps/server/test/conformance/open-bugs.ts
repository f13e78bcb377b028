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
  { issue: '14.1 names corrupted on rewrite (escaped dot lost, 0xFF as UTF-8)', variants: 'DO=1 wildcard answers at odd names in signed zones',
    when: tagged('escaped', 'non-ascii'), field: 'answer', dnsmesh: /\\239\\191\\189|esc\.dot/, unbound: /\\255|esc\\\.dot/ },
  { issue: '14.1 names corrupted on rewrite (escaped dot lost, 0xFF as UTF-8)', variants: 'DO=1 wildcard answers at odd names in signed zones',
    when: tagged('escaped', 'non-ascii'), field: 'question', dnsmesh: /^other: /, unbound: /^echoed$/ },
  { issue: '14.2 DNSSEC proofs stripped', variants: 'DO=1 NXDOMAIN, NODATA and wildcard answers from signed zones',
    when: tagged('dnssec'), field: 'authority', dnsmesh: /^only: (-|[^N]*NS[^E].*)$/, unbound: /NSEC/ },
  { issue: '14.7 CNAME loop answered NOERROR', variants: 'CNAME loops', when: tagged('cname-loop'), field: 'rcode', dnsmesh: /^NOERROR$/, unbound: /^SERVFAIL$/ },
  { issue: '14.7 CNAME loop answered NOERROR', variants: 'CNAME loops', when: tagged('cname-loop'), field: 'rcode.extended', dnsmesh: /^NOERROR$/, unbound: /^SERVFAIL$/ },
  { issue: '14.7 CNAME loop answered NOERROR', variants: 'CNAME loops', when: tagged('cname-loop'), field: 'answer', dnsmesh: /CNAME/, unbound: /^only: -$/ },
  { issue: '14.7 FORMERR for a bad OPT carries no OPT (left: an OPT record cut short; Unbound answers with an OPT)', variants: 'malformed: OPT cut short',
    when: (v) => v.id.endsWith('OPT cut short'), field: 'opt', dnsmesh: /^absent$/, unbound: /^v0$/ },
  { issue: '15 RD=0 answered from cache only or REFUSED', variants: 'RD=0 for a name not cached', when: (v) => v.tags.has('rd0') && v.tags.has('nxdomain'), field: 'rcode', dnsmesh: /^NXDOMAIN$/, unbound: /^REFUSED$/ },
  { issue: '15 RD=0 answered from cache only or REFUSED', variants: 'RD=0 for a name not cached', when: (v) => v.tags.has('rd0') && v.tags.has('nxdomain'), field: 'rcode.extended', dnsmesh: /^NXDOMAIN$/, unbound: /^REFUSED$/ },
  { issue: '15 RD=0 answered from cache only or REFUSED', variants: 'RD=0 for a name not cached', when: (v) => v.tags.has('rd0') && v.tags.has('nxdomain'), field: 'authority', dnsmesh: /SOA/, unbound: /^only: -$/ },
];
