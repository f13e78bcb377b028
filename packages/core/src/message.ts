import {
  FLAG_AA, FLAG_AD, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, HEADER_SIZE, OFF_ANCOUNT, OFF_ARCOUNT,
  OFF_FLAGS, OFF_ID, OFF_NSCOUNT, OFF_QDCOUNT, OPCODE_MASK, OPCODE_SHIFT, RCODE_MASK, RRType, rcodeName, typeName,
} from './wire/constants.js';
import { ednsAt, readEdns, type Edns } from './wire/edns.js';
import { scanLayout, type Layout } from './wire/layout.js';
import { readName, skipName } from './wire/name.js';
import { decodePacket, encodePacket, type DecodedMessage } from './wire/packet.js';
import { WireError } from './wire/wire-error.js';

/**
 * A stored reply laid out for the hit path (a cache entry): `wire` holds the message (no OPT
 * record) in `[0, length)`, then one big-endian u16 per record: where its TTL is. Writing a reply
 * from it reads this one buffer and nothing else (no layout, no typed arrays: their memory is
 * usually cold by the time a hit comes, after the kernel's work on the last batch).
 */
export interface WireImage {
  readonly wire: Buffer;
  readonly length: number;
  /** Offset just past the question. */
  readonly questionEnd: number;
  /** Records (every one carries a TTL: there is no OPT). */
  readonly records: number;
}

/** The question of a message, read straight from its bytes. */
export interface Question {
  /** As sent, in presentation form without the trailing dot ("" for the root). */
  readonly name: string;
  /** Lower-cased, with a trailing dot: the form zones and keys compare. */
  readonly lname: string;
  readonly type: number;
  readonly class: number;
}

/**
 * A DNS message: its wire bytes, decoded lazily. Header fields come straight from the bytes;
 * the question, EDNS and the record layout are read once on first use; a full decode happens
 * only when a plugin asks for records. Never re-encode an upstream's answer to pass it on
 * (dns-packet does not compress names).
 */
export class DnsMessage {
  /** Seconds to take off every TTL when the message is written out (a cache hit ages its entry). */
  ttlAge = 0;
  /** When >= 0, every TTL is written as this value (a stale answer's reply TTL). */
  ttlSet = -1;
  /** The same message as a WireImage (set by the cache on a hit): the edge writes the reply from it. */
  image: WireImage | undefined = undefined;
  /**
   * The plugin that made this message holds the data as its own (hosts, consul's catalog): the
   * edge keeps its AA bit. Anything relayed or served from a cache goes out with AA clear
   * (RFC 1034 §4.3.2: a cache is not an authority), whatever the bytes say.
   */
  authoritative = false;

  #layout: Layout | undefined;
  #question: Question | null | undefined;
  #edns: Edns | null | undefined;
  #decoded: DecodedMessage | undefined;
  #key: string | undefined;

  constructor(public bytes: Buffer, layout?: Layout) {
    this.#layout = layout;
  }

  /**
   * Takes a private copy of the bytes. The batched UDP transport hands queries over in memory it
   * reuses for the next batch: a query that waits (a miss) is detached before the batch ends.
   * Offsets stay valid, so nothing read so far changes.
   */
  detach(): void {
    this.bytes = Buffer.from(this.bytes);
  }

  /** A message a plugin builds itself; with AA in `packet.flags` it is `authoritative`. */
  static fromPacket(packet: DecodedMessage): DnsMessage {
    const m = new DnsMessage(encodePacket(packet));
    m.authoritative = ((packet.flags ?? 0) & FLAG_AA) !== 0;
    return m;
  }

  // ---- header, straight from the bytes ----
  get id(): number { return u16(this.bytes, OFF_ID); }
  get flags(): number { return u16(this.bytes, OFF_FLAGS); }
  get qr(): boolean { return (this.flags & FLAG_QR) !== 0; }
  get opcode(): number { return (this.flags & OPCODE_MASK) >> OPCODE_SHIFT; }
  get aa(): boolean { return (this.flags & FLAG_AA) !== 0; }
  get tc(): boolean { return (this.flags & FLAG_TC) !== 0; }
  get rd(): boolean { return (this.flags & FLAG_RD) !== 0; }
  get ra(): boolean { return (this.flags & FLAG_RA) !== 0; }
  get ad(): boolean { return (this.flags & FLAG_AD) !== 0; }
  get cd(): boolean { return (this.flags & FLAG_CD) !== 0; }
  get qdcount(): number { return u16(this.bytes, OFF_QDCOUNT); }
  get ancount(): number { return u16(this.bytes, OFF_ANCOUNT); }
  get nscount(): number { return u16(this.bytes, OFF_NSCOUNT); }
  get arcount(): number { return u16(this.bytes, OFF_ARCOUNT); }
  /** The full rcode: the header's 4 bits plus the OPT's extended bits. */
  get rcode(): number {
    const low = this.bytes[3]! & RCODE_MASK;
    // A message known to hold no OPT (a cache entry's): no EDNS to read.
    if (this.image !== undefined || (this.#layout !== undefined && this.#layout.opt < 0)) return (this.extendedRcode << 4) | low;
    const edns = this.edns;
    return ((edns === undefined ? this.extendedRcode : edns.extRcode) << 4) | low;
  }
  get rcodeName(): string { return rcodeName(this.rcode); }

  // ---- question ----
  #qEnd = -1;

  /** Offset just past the question (12 without one). Reads only the name's length bytes. */
  get questionEnd(): number {
    if (this.#qEnd < 0) {
      if (this.#layout !== undefined) this.#qEnd = this.#layout.questionEnd;
      else if (this.qdcount === 0) this.#qEnd = HEADER_SIZE;
      else {
        const end = skipName(this.bytes, HEADER_SIZE) + 4;
        if (end > this.bytes.length) throw new WireError('question runs past the end of the message');
        this.#qEnd = end;
      }
    }
    return this.#qEnd;
  }

  /**
   * The question name as lower-cased wire bytes in a latin1 string (length bytes included, root
   * byte last): compared without ever making the presentation form. Only A-Z fold.
   */
  get qnameKey(): string {
    return this.key.slice(0, this.questionEnd - 4 - HEADER_SIZE);
  }

  get qtype(): number { return u16(this.bytes, this.questionEnd - 4); }
  get qclass(): number { return u16(this.bytes, this.questionEnd - 2); }

  /** The question in presentation form (made on first use: logs, decoded answers). */
  get question(): Question | undefined {
    if (this.#question === undefined) {
      const end = this.questionEnd;
      if (end === HEADER_SIZE) {
        this.#question = null;
      } else {
        const name = readName(this.bytes, HEADER_SIZE);
        this.#question = {
          name,
          lname: name === '' ? '.' : `${name.toLowerCase()}.`,
          type: this.bytes.readUInt16BE(end - 4),
          class: this.bytes.readUInt16BE(end - 2),
        };
      }
    }
    return this.#question ?? undefined;
  }

  get qtypeName(): string { return typeName(this.questionEnd > HEADER_SIZE ? this.qtype : 0); }

  /**
   * The cache key: the question's bytes (name, type, class) as a latin1 string with the name
   * lower-cased, then 'D' when DO is set and 'C' when CD is set. One string slice per query, with
   * no concatenation in the common case; the name's length bytes make every key decode one way.
   */
  get key(): string {
    if (this.#key === undefined) {
      const end = this.questionEnd;
      if (end === HEADER_SIZE) throw new WireError('no question');
      const nameEnd = end - 4;
      let key = latin1(this.bytes, HEADER_SIZE, end);
      if (needsFolding(this.bytes, HEADER_SIZE, nameEnd)) {
        const n = nameEnd - HEADER_SIZE;
        key = asciiLower(key.slice(0, n)) + key.slice(n);
      }
      if (this.edns?.do) key += 'D';
      if (this.cd) key += 'C';
      this.#key = key;
    }
    return this.#key;
  }

  /**
   * Checks a query's shape without building a layout: the question, and at most one additional
   * record, which must be a root OPT whose options are well formed (what a query carries). Throws
   * WireError when malformed. Reads the EDNS on the way, so the edge and the cache find it ready.
   */
  checkQueryTail(): void {
    const end = this.questionEnd;
    const ar = this.arcount;
    if (this.ancount !== 0 || this.nscount !== 0 || ar > 1) {
      this.layout; // the general walk (throws on a bad record)
      return;
    }
    if (ar === 0) { this.#edns = null; return; }
    const buf = this.bytes;
    const nameEnd = buf[end] === 0 ? end + 1 : skipName(buf, end); // an OPT's owner is the root
    if (nameEnd + 10 > buf.length) throw new WireError('record header runs past the end of the message');
    const rdlen = u16(buf, nameEnd + 8);
    if (nameEnd + 10 + rdlen > buf.length) throw new WireError('record data runs past the end of the message');
    if (u16(buf, nameEnd) !== RRType.OPT) throw new WireError('an additional record other than OPT in a query');
    if (buf[end] !== 0) throw new WireError('OPT owner is not the root');
    checkOptions(buf, nameEnd + 10, nameEnd + 10 + rdlen);
    this.#edns = ednsAt(buf, nameEnd + 4, nameEnd + 10 + rdlen);
  }

  // ---- records ----
  /** Where every record sits (walks the message once). Throws WireError when malformed. */
  get layout(): Layout {
    if (this.#layout === undefined) this.#layout = scanLayout(this.bytes);
    return this.#layout;
  }

  get edns(): Edns | undefined {
    if (this.#edns === undefined) this.#edns = readEdns(this.bytes, this.layout) ?? null;
    return this.#edns ?? undefined;
  }

  /** True when the DO bit is set (RFC 3225). */
  get do(): boolean { return this.edns?.do ?? false; }

  /** The whole message decoded by dns-packet, TTLs as the client would see them. Costly: not for the hot path. */
  decode(): DecodedMessage {
    if (this.#decoded === undefined) {
      const packet = decodePacket(this.bytes);
      if (this.ttlAge !== 0 || this.ttlSet >= 0) {
        for (const list of [packet.answers, packet.authorities, packet.additionals]) {
          for (const rr of list ?? []) {
            if (rr.type === 'OPT' || rr.ttl === undefined) continue;
            rr.ttl = this.ttlSet >= 0 ? this.ttlSet : Math.max(0, rr.ttl - this.ttlAge);
          }
        }
      }
      this.#decoded = packet;
    }
    return this.#decoded;
  }

  /** The TTL a record will carry when written out (the stored TTL, aged or replaced). */
  ttlOf(index: number): number {
    const stored = this.bytes.readUInt32BE(this.layout.ttlAt[index]!);
    return this.ttlSet >= 0 ? this.ttlSet : Math.max(0, stored - this.ttlAge);
  }

  /** A copy whose bytes the caller may change (ID, flags) without touching this one. */
  clone(): DnsMessage {
    const copy = new DnsMessage(Buffer.from(this.bytes), this.#layout);
    copy.ttlAge = this.ttlAge;
    copy.ttlSet = this.ttlSet;
    copy.authoritative = this.authoritative;
    return copy;
  }

  /** A reply with no records: the header and question of `request`, with the given rcode. */
  static reply(request: DnsMessage, rcode: number, extraFlags = 0): DnsMessage {
    const qEnd = safeQuestionEnd(request);
    const out = Buffer.alloc(qEnd);
    request.bytes.copy(out, 0, 0, qEnd);
    const flags = FLAG_QR | (request.flags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | extraFlags | (rcode & RCODE_MASK);
    out.writeUInt16BE(flags, OFF_FLAGS);
    out.writeUInt16BE(qEnd > HEADER_SIZE ? 1 : 0, OFF_QDCOUNT);
    out.writeUInt16BE(0, OFF_ANCOUNT);
    out.writeUInt16BE(0, OFF_NSCOUNT);
    out.writeUInt16BE(0, OFF_ARCOUNT);
    const reply = new DnsMessage(out);
    reply.extendedRcode = rcode >> 4;
    reply.authoritative = (extraFlags & FLAG_AA) !== 0; // a plugin that sets AA speaks for its own data
    return reply;
  }

  /** Upper rcode bits for a reply built here (e.g. BADVERS); written into the fresh OPT. */
  extendedRcode = 0;
}

/** EDNS options in [from, to): each a 4-byte header and the data its length says, ending exactly at `to`. */
function checkOptions(buf: Uint8Array, from: number, to: number): void {
  let pos = from;
  while (pos < to) {
    if (pos + 4 > to) throw new WireError('EDNS option header runs past the OPT data');
    pos += 4 + ((buf[pos + 2]! << 8) | buf[pos + 3]!);
    if (pos > to) throw new WireError('EDNS option runs past the OPT data');
  }
}

/** The end of the question when it can be read, else the bare header. */
function safeQuestionEnd(m: DnsMessage): number {
  try {
    return m.qdcount === 1 ? m.questionEnd : HEADER_SIZE;
  } catch {
    return HEADER_SIZE;
  }
}

/**
 * The bytes as a latin1 string: Buffer's own latin1Slice where it has one (what toString('latin1')
 * ends in, without its argument checks and encoding lookup: the key is made once per query).
 */
const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (buf, start, end) => (buf as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);

/**
 * A big-endian 16-bit field. Plain byte reads (Buffer's readUInt16BE validates its argument on every
 * call, and the hit path reads a dozen fields); a field past the end throws like a malformed message.
 */
function u16(buf: Uint8Array, off: number): number {
  if (off + 2 > buf.length) throw new WireError('message too short for its header');
  return (buf[off]! << 8) | buf[off + 1]!;
}

/** True when a name's bytes hold an upper-case ASCII letter (length bytes are at most 63: never a letter). */
function needsFolding(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/** ASCII-only lower-casing: DNS folds A-Z and nothing else (RFC 4343). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));
}
