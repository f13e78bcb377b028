import {
  checkRdata, DnsMessage, nameKey as ownerKey, namesEqual, Opcode, Rcode, rebuildMessage, RRType, scanLayout, WireError,
  type Layout, type Ttl,
} from '@dnsmesh/core';
import type { EntryKind } from './entry.js';
import type { CacheOptions } from './options.js';
import { scrub } from './scrub.js';
import { isDisabled } from './zones.js';

/** What the cache makes of an upstream reply. */
export type Verdict =
  | { readonly store: true; readonly kind: EntryKind; readonly bytes: Buffer; readonly layout: Layout; readonly ttl: Ttl; readonly wholeName: boolean; readonly alias?: boolean }
  | NotStored;

/**
 * Why a reply is not stored, and what the client gets instead: `servfail` when the reply must not
 * reach anyone (malformed, a CNAME loop); the scrubbed copy (`bytes`, `layout`) when the reply was
 * fine but is not kept (TTL 0, a denial without SOA, caching disabled); else the reply as it came
 * (truncated, REFUSED and other rcodes, which carry no records the cache would serve).
 */
export interface NotStored {
  readonly store: false;
  readonly reason: string;
  readonly servfail?: boolean;
  readonly bytes?: Buffer;
  readonly layout?: Layout;
}

const no = (reason: string): Verdict => ({ store: false, reason });

/**
 * Decides whether and how long a reply is cached, and prepares the bytes to store:
 * - the reply is validated first: names, pointers, counts and the RDATA of name-bearing types must
 *   parse, else it is malformed: SERVFAIL, never stored;
 * - NOERROR with data for the question (through its CNAME chain): success, TTL = the smallest TTL;
 * - NXDOMAIN, or NOERROR without data (NODATA): denial, TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308),
 *   and not cached without an SOA;
 * - SERVFAIL: the cache's own bare SERVFAIL for `servfail`; everything else (REFUSED, FORMERR,
 *   NOTIMP, TC set, no question, other opcodes, ANY/AXFR/IXFR): not cached.
 * Kept records are chosen by `scrub` (the chain, the zone's proofs, the additional data the kept
 * records point at) and copied by `rebuildMessage` (octets kept, names never re-encoded as text).
 * Every RRset's TTLs become its smallest one (RFC 2181 §5.2; a TTL with the top bit set counts as 0,
 * §8), clamped to the tier's [MINTTL, TTL].
 */
export function classify(request: DnsMessage, reply: DnsMessage, opts: CacheOptions): Verdict {
  const buf = reply.bytes;
  let layout: Layout;
  try {
    layout = reply.layout;
    checkRdata(buf, layout);
  } catch (err) {
    if (err instanceof WireError) return { store: false, reason: 'malformed', servfail: true };
    throw err;
  }
  if ((buf[2]! & 0x80) === 0) return no('not a reply');
  if (reply.opcode !== Opcode.QUERY) return no('opcode');
  if (reply.tc) return no('truncated');
  const qtype = request.qtype;
  if (qtype === RRType.ANY || qtype === RRType.AXFR || qtype === RRType.IXFR) return no('qtype');
  if (layout.questionEnd === 12) return no(`no question (${reply.rcodeName})`);
  const qEnd = request.questionEnd;
  if (layout.questionEnd !== qEnd || !namesEqual(request.bytes, 12, buf, 12)
    || buf.readUInt32BE(qEnd - 4) !== request.bytes.readUInt32BE(qEnd - 4)) return no('question mismatch');
  const rcode = reply.rcode;
  if (rcode === Rcode.SERVFAIL) {
    if (opts.servfail <= 0) return no('servfail caching off');
    const bare = DnsMessage.reply(request, Rcode.SERVFAIL);
    return { store: true, kind: 'servfail', bytes: bare.bytes, layout: bare.layout, ttl: Math.max(1, Math.floor(opts.servfail / 1000)), wholeName: false };
  }
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) return no(`rcode ${reply.rcodeName}`);

  if (rcode === Rcode.NOERROR && simpleAnswer(buf, layout, qtype)) {
    if (isDisabled(request.qnameKey, opts.disable.success)) return storeSimple(buf, layout, opts.success, 'success disabled for this zone');
    return storeSimple(buf, layout, opts.success);
  }
  const kept = scrub(buf, layout, request.qnameKey, qtype, rcode, request.do);
  if (kept.loop) return { store: false, reason: 'CNAME loop', servfail: true };
  const bytes = rebuildMessage(buf, layout, kept.keep);
  const out = scanLayout(bytes);
  const negative = rcode === Rcode.NXDOMAIN || !kept.answered;
  const soa = findSoa(out);
  if (negative && soa < 0) return { store: false, reason: 'negative answer without SOA', bytes, layout: out };
  const kind: EntryKind = negative ? 'denial' : 'success';
  const tier = negative ? opts.denial : opts.success;
  if (isDisabled(request.qnameKey, negative ? opts.disable.denial : opts.disable.success)) {
    return { store: false, reason: `${kind} disabled for this zone`, bytes, layout: out };
  }
  const ttl = normaliseTtls(bytes, out, tier.minTtl, tier.maxTtl, negative ? soa : -1);
  if (ttl <= 0) return { store: false, reason: 'TTL 0', bytes, layout: out };
  // An NXDOMAIN with no CNAME in front covers every type of the name (RFC 2308 §5).
  const wholeName = rcode === Rcode.NXDOMAIN && kept.chain === 1;
  // The name is an alias when its answer starts with a CNAME at the question name.
  const alias = kept.chain > 1 && qtype !== RRType.CNAME;
  return { store: true, kind, bytes, layout: out, ttl, wholeName, alias };
}

/** Types whose answers `scrub` treats specially (chains, DNSSEC): never the simple path. */
const NOT_SIMPLE = new Set<number>([RRType.CNAME, RRType.DNAME, RRType.RRSIG, RRType.NSEC, RRType.NSEC3]);

/**
 * The usual reply, told apart without scrub's general walk: one RRset of the question's type owned
 * by the question's name (every owner a pointer to it or the name itself, in the question's class), no authority
 * records, and no additional record but the OPT, last. Scrub keeps all of it (answered, no chain),
 * so the copy is the reply up to its OPT, and its layout the reply's without the OPT.
 */
function simpleAnswer(buf: Buffer, layout: Layout, qtype: number): boolean {
  const an = layout.an;
  if (an === 0 || layout.ns !== 0 || layout.ar > 1 || (layout.ar === 1 && layout.opt !== an) || NOT_SIMPLE.has(qtype)) return false;
  const qclass = buf.readUInt16BE(layout.questionEnd - 2);
  for (let i = 0; i < an; i++) {
    const at = layout.start[i]!;
    if (layout.type[i] !== qtype || buf.readUInt16BE(layout.ttlAt[i]! - 2) !== qclass) return false;
    if ((buf[at] !== 0xc0 || buf[at + 1] !== 12) && !namesEqual(buf, at, buf, 12)) return false; // a pointer to the question name, or the name
  }
  return true;
}

/** The verdict on a `simpleAnswer`: stored (unless `notStored` says why not), its TTLs made one. */
function storeSimple(buf: Buffer, layout: Layout, tier: { readonly minTtl: Ttl; readonly maxTtl: Ttl }, notStored?: string): Verdict {
  const an = layout.an;
  // A copy (the reply may be a plugin's own, served again), up to the OPT.
  const bytes = Buffer.from(buf.subarray(0, layout.opt >= 0 ? layout.start[layout.opt]! : layout.end));
  const out: Layout = layout.opt < 0 ? layout : new WithoutOpt(layout, bytes.length);
  if (layout.opt >= 0) bytes.writeUInt16BE(0, 10); // ARCOUNT: the OPT stays behind
  if (notStored !== undefined) return { store: false, reason: notStored, bytes, layout: out };
  // One RRset: every TTL becomes the smallest, clamped to the tier (as normaliseTtls does).
  const at = layout.ttlAt;
  let least = Infinity;
  for (let i = 0; i < an; i++) least = Math.min(least, ttlAt(bytes, at[i]!));
  const ttl = Math.min(Math.max(least, tier.minTtl), tier.maxTtl);
  for (let i = 0; i < an; i++) bytes.writeUInt32BE(ttl, at[i]!);
  if (ttl <= 0) return { store: false, reason: 'TTL 0', bytes, layout: out };
  return { store: true, kind: 'success', bytes, layout: out, ttl, wholeName: false, alias: false };
}

/**
 * The layout of a reply cut short before its OPT (the last record, in the additional section):
 * the same offsets, one record fewer. Each array is cut on first use (most are never read: a
 * cache entry reads `ttlAt` alone), as `subarray` costs about half a microsecond each.
 */
class WithoutOpt implements Layout {
  readonly questionEnd: number;
  readonly an: number;
  readonly ns: number;
  readonly ar: number;
  readonly opt = -1;
  #start: Uint32Array | undefined;
  #ttlAt: Uint32Array | undefined;
  #stop: Uint32Array | undefined;
  #type: Uint16Array | undefined;
  #section: Uint8Array | undefined;
  #rrsetStart: Uint8Array | undefined;

  readonly #whole: Layout;

  constructor(whole: Layout, readonly end: number) {
    this.#whole = whole;
    this.questionEnd = whole.questionEnd;
    this.an = whole.an;
    this.ns = whole.ns;
    this.ar = whole.ar - 1;
  }

  get #records(): number { return this.an + this.ns + this.ar; }
  get start(): Uint32Array { return (this.#start ??= this.#whole.start.subarray(0, this.#records)); }
  get ttlAt(): Uint32Array { return (this.#ttlAt ??= this.#whole.ttlAt.subarray(0, this.#records)); }
  get stop(): Uint32Array { return (this.#stop ??= this.#whole.stop.subarray(0, this.#records)); }
  get type(): Uint16Array { return (this.#type ??= this.#whole.type.subarray(0, this.#records)); }
  get section(): Uint8Array { return (this.#section ??= this.#whole.section.subarray(0, this.#records)); }
  get rrsetStart(): Uint8Array { return (this.#rrsetStart ??= this.#whole.rrsetStart.subarray(0, this.#records)); }
}

function findSoa(layout: Layout): number {
  for (let i = layout.an; i < layout.an + layout.ns; i++) if (layout.type[i] === RRType.SOA) return i;
  return -1;
}

/** A TTL as RFC 2181 §8 reads it: values with the top bit set count as 0. */
function ttlAt(bytes: Buffer, at: number): Ttl {
  const ttl = bytes.readUInt32BE(at);
  return ttl >= 0x8000_0000 ? 0 : ttl;
}

/**
 * Rewrites TTLs in place: each RRset (owner, type, class, section; for RRSIGs also the type
 * covered, RFC 4034 §3) to its smallest TTL, then clamped to [min, max]. In a negative answer the
 * authority section's records are capped at min(SOA TTL, SOA MINIMUM) (RFC 2308 §5; the NSEC TTL of
 * RFC 4035 §2.3 and RFC 9077). Returns the entry's lifetime: the smallest TTL.
 */
function normaliseTtls(bytes: Buffer, layout: Layout, min: Ttl, max: Ttl, soa: number): Ttl {
  const count = layout.an + layout.ns + layout.ar;
  const setOf: string[] = new Array(count);
  const least = new Map<string, Ttl>();
  const negativeCap = soa < 0 ? Infinity : Math.min(ttlAt(bytes, layout.ttlAt[soa]!), bytes.readUInt32BE(layout.stop[soa]! - 4));
  for (let i = 0; i < count; i++) {
    const t = layout.ttlAt[i]!;
    // Owners in a rebuilt message may be compressed: keyed by their expanded octets.
    let set = `${layout.section[i]}${ownerKey(bytes, layout.start[i]!)}${bytes.toString('latin1', t - 4, t)}`;
    if (layout.type[i] === RRType.RRSIG) set += bytes.toString('latin1', t + 6, t + 8);
    setOf[i] = set;
    let ttl = ttlAt(bytes, t);
    if (layout.section[i] === 1) ttl = Math.min(ttl, negativeCap);
    const prev = least.get(set);
    if (prev === undefined || ttl < prev) least.set(set, ttl);
  }
  let lifetime = Infinity;
  for (let i = 0; i < count; i++) {
    const ttl = Math.min(Math.max(least.get(setOf[i]!)!, min), max);
    bytes.writeUInt32BE(ttl, layout.ttlAt[i]!);
    lifetime = Math.min(lifetime, ttl);
  }
  return lifetime === Infinity ? min : lifetime;
}
