import { RRType } from './constants.js';
import { Section, type Layout } from './layout.js';

/** Which records of a message go out to a client with a given size limit. */
export interface Fit {
  /** Records [0, keep) are written (the OPT among them is skipped by the writer). */
  readonly keep: number;
  /** Bytes of the records kept, from the start of the message (OPT excluded). */
  readonly bytes: number;
  readonly tc: boolean;
}

/**
 * Fits a reply to `limit` bytes at RRset boundaries (RFC 2181 §9, RFC 1035 §7.4). `reserve` is
 * room kept for the fresh OPT; the OPT of the message itself never counts.
 *
 * - Everything, when it fits.
 * - The answer section is required: when one of its RRsets does not fit, the whole RRsets before
 *   it go out with TC set (never part of an RRset).
 * - The authority section is required too when the answer is negative (no answer records: the
 *   SOA is what a resolver caches the denial by, RFC 2308 §5) or carries NSEC/NSEC3 proofs
 *   (RFC 4035 §3.1.1: a DO client must know a proof was cut): TC when it does not fit.
 * - Otherwise authority and additional RRsets are extra: whole ones are kept, in order, while they
 *   fit, and the rest dropped with TC clear ("TC should not be set merely because some extra
 *   information could have been included", RFC 2181 §9).
 */
export function fitReply(layout: Layout, limit: number, reserve: number): Fit {
  const count = layout.an + layout.ns + layout.ar;
  const optSize = layout.opt >= 0 ? layout.stop[layout.opt]! - layout.start[layout.opt]! : 0;
  const full = layout.end - optSize;
  if (full + reserve <= limit) return { keep: count, bytes: full, tc: false };
  const room = limit - reserve;
  const an = layout.an;
  const answerEnd = an === 0 ? layout.questionEnd : layout.stop[an - 1]!;
  if (answerEnd > room) return leadingRRsets(layout, an, room);
  const required = authorityRequired(layout) ? an + layout.ns : an;
  const requiredEnd = required === 0 ? layout.questionEnd : layout.stop[required - 1]!;
  if (requiredEnd > room) return { keep: an, bytes: answerEnd, tc: true };
  // Keep as many whole extra RRsets as fit (the OPT, when inside, is skipped and not counted).
  let keep = required;
  let bytes = requiredEnd;
  let i = required;
  while (i < count) {
    let j = i + 1;
    while (j < count && layout.rrsetStart[j] === 0) j++;
    let size = 0;
    for (let k = i; k < j; k++) if (k !== layout.opt) size += layout.stop[k]! - layout.start[k]!;
    if (bytes + size > room) break;
    bytes += size;
    keep = j;
    i = j;
  }
  return { keep, bytes, tc: false };
}

/** A negative answer, or one whose authority section holds NSEC/NSEC3 proofs. */
function authorityRequired(layout: Layout): boolean {
  if (layout.an === 0) return true;
  for (let i = layout.an; i < layout.an + layout.ns; i++) {
    const t = layout.type[i];
    if (t === RRType.NSEC || t === RRType.NSEC3) return true;
  }
  return false;
}

/** The whole RRsets of records [0, end) that fit in `room`, with TC. */
function leadingRRsets(layout: Layout, end: number, room: number): Fit {
  let keep = 0;
  let bytes = layout.questionEnd;
  let i = 0;
  while (i < end) {
    let j = i + 1;
    while (j < end && layout.rrsetStart[j] === 0) j++;
    const stop = layout.stop[j - 1]!;
    if (stop > room) break;
    keep = j;
    bytes = stop;
    i = j;
  }
  return { keep, bytes, tc: true };
}

export { Section };
