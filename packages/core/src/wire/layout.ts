import { HEADER_SIZE, OFF_ANCOUNT, OFF_ARCOUNT, OFF_NSCOUNT, OFF_QDCOUNT, RRType } from './constants.js';
import { namesEqual, skipName } from './name.js';
import { WireError } from './wire-error.js';

export const Section = { ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 2 } as const;

/**
 * Where every record of a message sits, found by one walk over the bytes. A cache entry keeps its
 * layout, so a hit rewrites TTLs and fits the reply to the client without walking again (the
 * question of a hit has the same length as the stored one: only its case differs).
 */
export interface Layout {
  /** Offset just past the question section (12 when QDCOUNT is 0). */
  readonly questionEnd: number;
  /** Offset just past the last record: bytes after it are ignored. */
  readonly end: number;
  readonly an: number;
  readonly ns: number;
  readonly ar: number;
  /** Per record: where it starts, where its 4 TTL bytes are, where it ends, its type, its section. */
  readonly start: Uint32Array;
  readonly ttlAt: Uint32Array;
  readonly stop: Uint32Array;
  readonly type: Uint16Array;
  readonly section: Uint8Array;
  /** 1 where a record begins an RRset (a new owner, type or class, or a new section). */
  readonly rrsetStart: Uint8Array;
  /** Index of the OPT record, or -1. */
  readonly opt: number;
}

/** Walks the question and every record. Throws WireError on anything malformed. */
export function scanLayout(buf: Uint8Array): Layout {
  if (buf.length < HEADER_SIZE) throw new WireError('message shorter than a header');
  const qd = readU16(buf, OFF_QDCOUNT);
  const an = readU16(buf, OFF_ANCOUNT);
  const ns = readU16(buf, OFF_NSCOUNT);
  const ar = readU16(buf, OFF_ARCOUNT);
  if (qd > 1) throw new WireError('more than one question');
  let pos = HEADER_SIZE;
  if (qd === 1) {
    pos = skipName(buf, pos) + 4;
    if (pos > buf.length) throw new WireError('question runs past the end of the message');
  }
  const questionEnd = pos;
  const count = an + ns + ar;
  const start = new Uint32Array(count);
  const ttlAt = new Uint32Array(count);
  const stop = new Uint32Array(count);
  const type = new Uint16Array(count);
  const section = new Uint8Array(count);
  const rrsetStart = new Uint8Array(count);
  let opt = -1;
  for (let i = 0; i < count; i++) {
    start[i] = pos;
    const nameEnd = skipName(buf, pos);
    if (nameEnd + 10 > buf.length) throw new WireError('record header runs past the end of the message');
    const t = readU16(buf, nameEnd);
    const rdlen = readU16(buf, nameEnd + 8);
    const end = nameEnd + 10 + rdlen;
    if (end > buf.length) throw new WireError('record data runs past the end of the message');
    const sec = i < an ? Section.ANSWER : i < an + ns ? Section.AUTHORITY : Section.ADDITIONAL;
    if (t === RRType.OPT) {
      if (sec !== Section.ADDITIONAL) throw new WireError('OPT outside the additional section');
      if (opt !== -1) throw new WireError('more than one OPT record');
      if (buf[pos] !== 0) throw new WireError('OPT owner is not the root');
      opt = i;
    }
    ttlAt[i] = nameEnd + 4;
    stop[i] = end;
    type[i] = t;
    section[i] = sec;
    rrsetStart[i] = i === 0 || section[i - 1] !== sec || type[i - 1] !== t
      || readU16(buf, nameEnd + 2) !== readU16(buf, ttlAt[i - 1]! - 2)
      || !namesEqual(buf, pos, buf, start[i - 1]!) ? 1 : 0;
    pos = end;
  }
  return { questionEnd, end: pos, an, ns, ar, start, ttlAt, stop, type, section, rrsetStart, opt };
}

function readU16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}
