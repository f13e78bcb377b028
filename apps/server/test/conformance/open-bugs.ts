// Differences the issues name as dnsmesh bugs, accepted only until their fixes land: each row says
// which issue item fixes it. The suite fails when a row no longer happens (delete it then), so this
// list only ever shrinks. It is not the table of accepted differences (expected.ts): nothing here is right.
import type { ExpectedDifference } from './expected.js';

export interface OpenBug extends Omit<ExpectedDifference, 'rfc' | 'optional'> {
  /** The issue item whose fix removes the difference. */
  readonly issue: string;
}

const only = (types: string) => new RegExp(`^only: \\S+ (${types}) \\d+×\\d+(, \\S+ (${types}) \\d+×\\d+)*$`);
const tagged = (...tags: string[]) => (v: { tags: ReadonlySet<string> }) => tags.some((t) => v.tags.has(t));

export const OPEN_BUGS: readonly OpenBug[] = [
  // No issue item owns this one: the integrator decides (pass the referral on whole, as Unbound, or SERVFAIL).
  { issue: 'unowned: a referral from the upstream (NS of a child zone, glue) loses its NS and glue, so the client gets an empty NOERROR; Unbound passes the referral on',
    variants: 'host.sub.example A, sub.example NS (a delegation)', when: tagged('referral'), field: 'authority', dnsmesh: /^only: -$/, unbound: only('NS') },
  { issue: 'unowned: a referral loses its glue (as above)', variants: 'host.sub.example A, sub.example NS (a delegation)',
    when: tagged('referral'), field: 'additional', dnsmesh: /^only: -$/, unbound: only('A') },
  { issue: '14.7 FORMERR for a bad OPT carries no OPT (left: an OPT record cut short; Unbound answers with an OPT)', variants: 'malformed: OPT cut short',
    when: (v) => v.id.endsWith('OPT cut short'), field: 'opt', dnsmesh: /^absent$/, unbound: /^v0$/ },
];
