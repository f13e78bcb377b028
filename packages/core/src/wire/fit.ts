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
 * Fits a reply to `limit` bytes at RRset boundaries (RFC 2181 §9, RFC 1035 §7.4):
 * everything when it fits; else additional RRsets are dropped from the end with TC clear;
 * else answer and authority RRsets are kept while whole ones fit, and TC is set.
 * `reserve` is room kept for the fresh OPT. The OPT of the message itself never counts.
 */
export function fitReply(layout: Layout, limit: number, reserve: number): Fit {
  const count = layout.an + layout.ns + layout.ar;
  const optSize = layout.opt >= 0 ? layout.stop[layout.opt]! - layout.start[layout.opt]! : 0;
  const full = layout.end - optSize;
  if (full + reserve <= limit) return { keep: count, bytes: full, tc: false };
  const room = limit - reserve;
  // The end of the answer and authority sections, and where each RRset ends.
  const required = layout.an + layout.ns;
  const requiredEnd = required === 0 ? layout.questionEnd : layout.stop[required - 1]!;
  if (requiredEnd <= room) {
    // Keep as many whole additional RRsets as fit (the OPT, when inside, is skipped and not counted).
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
  let keep = 0;
  let bytes = layout.questionEnd;
  let i = 0;
  while (i < required) {
    let j = i + 1;
    while (j < required && layout.rrsetStart[j] === 0) j++;
    const end = layout.stop[j - 1]!;
    if (end > room) break;
    keep = j;
    bytes = end;
    i = j;
  }
  return { keep, bytes, tc: true };
}

export { Section };
