// Differences the issues name as dnsmesh bugs, accepted only until their fixes land: each row says
// which issue item fixes it. The suite fails when a row no longer happens (delete it then), so this
// list only ever shrinks. It is not the table of accepted differences (expected.ts): nothing here is right.
import type { ExpectedDifference } from './expected.js';

export interface OpenBug extends Omit<ExpectedDifference, 'rfc' | 'optional'> {
  /** The issue item whose fix removes the difference. */
  readonly issue: string;
}

/** Empty: every difference the issues named is fixed (a new one goes here with its issue item, or in expected.ts with its RFC). */
export const OPEN_BUGS: readonly OpenBug[] = [];
