import {
  decodePacket, DnsMessage, encodePacket, Opcode, Rcode, readName, RRType, scanLayout, withOptLast,
  type Layout, type Ttl,
} from '@dnsmesh/core';
import type { EntryKind } from './entry.js';
import type { CacheOptions } from './options.js';

/** What the cache makes of an upstream reply. */
export type Verdict =
  | { readonly store: true; readonly kind: EntryKind; readonly bytes: Buffer; readonly layout: Layout; readonly ttl: Ttl; readonly wholeName: boolean; readonly alias?: boolean }
  | { readonly store: false; readonly reason: string };

const no = (reason: string): Verdict => ({ store: false, reason });

/**
 * Decides whether and how long a reply is cached, and prepares the bytes to store:
 * - NOERROR with data for the question (through its CNAME chain): success, TTL = the smallest TTL;
 * - NXDOMAIN, or NOERROR without data (NODATA): denial, TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308),
 *   and not cached without an SOA; the SOA's TTL becomes that TTL;
 * - SERVFAIL: for `servfail`; everything else (REFUSED, FORMERR, TC set, other opcodes, ANY): not cached.
 * Every RRset's TTLs become its smallest one (RFC 2181 §5.2), clamped to the tier's [MINTTL, TTL].
 * Records off the answer's own chain are dropped (no out-of-bailiwick data).
 */
export function classify(request: DnsMessage, reply: DnsMessage, opts: CacheOptions): Verdict {
  if (reply.tc) return no('truncated');
  if (reply.opcode !== Opcode.QUERY) return no('opcode');
  const q = request.question!;
  if (q.type === RRType.ANY || q.type === RRType.AXFR || q.type === RRType.IXFR) return no('qtype');
  const rq = reply.question;
  if (rq === undefined || rq.lname !== q.lname || rq.type !== q.type || rq.class !== q.class) return no('question mismatch');
  const rcode = reply.rcode;
  if (rcode === Rcode.SERVFAIL) {
    if (opts.servfail <= 0) return no('servfail caching off');
    const bare = DnsMessage.reply(request, Rcode.SERVFAIL);
    return { store: true, kind: 'servfail', bytes: bare.bytes, layout: bare.layout, ttl: Math.max(1, Math.floor(opts.servfail / 1000)), wholeName: false };
  }
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) return no(`rcode ${reply.rcodeName}`);

  let bytes = stripOpt(reply);
  let layout = scanLayout(bytes);
  const chain = followChain(bytes, layout, q.lname);
  if (chain.drop.size > 0) {
    bytes = dropRecords(bytes, chain.drop);
    layout = scanLayout(bytes);
  }
  const hasData = chain.answered || q.type === RRType.CNAME && chain.names.length > 1;
  const negative = rcode === Rcode.NXDOMAIN || !hasData;
  const soa = findSoa(layout);
  if (negative && soa < 0) return no('negative answer without SOA');
  const kind: EntryKind = negative ? 'denial' : 'success';
  const tier = negative ? opts.denial : opts.success;
  if (isDisabled(q.lname, negative ? opts.disable.denial : opts.disable.success)) return no(`${kind} disabled for this zone`);

  const ttl = normaliseTtls(bytes, layout, tier.minTtl, tier.maxTtl, negative ? soa : -1);
  if (ttl <= 0) return no('TTL 0');
  // An NXDOMAIN with no CNAME in front covers every type of the name (RFC 2308 §5).
  const wholeName = rcode === Rcode.NXDOMAIN && chain.names.length === 1;
  // The name is an alias when its answer starts with a CNAME at the question name.
  const alias = chain.names.length > 1 && q.type !== RRType.CNAME;
  return { store: true, kind, bytes, layout, ttl, wholeName, alias };
}

/** The reply's bytes without its OPT (never cached: RFC 6891 §6.1.1), in a fresh buffer. */
function stripOpt(reply: DnsMessage): Buffer {
  const m = withOptLast(reply);
  const layout = m.layout;
  if (layout.opt < 0) return Buffer.from(m.bytes.subarray(0, layout.end));
  const out = Buffer.from(m.bytes.subarray(0, layout.start[layout.opt]!));
  out.writeUInt16BE(layout.ar - 1, 10);
  return out;
}

interface Chain { readonly names: string[]; readonly answered: boolean; readonly drop: Set<number> }

/**
 * Follows the answer from the question name through its CNAMEs. Answer records whose owner is not
 * on the chain, authority records not above the chain, and additional records that no kept record
 * points at are marked to drop.
 */
function followChain(bytes: Buffer, layout: Layout, qname: string): Chain {
  const names = [qname];
  const onChain = new Set(names);
  const qtype = bytes.readUInt16BE(layout.questionEnd - 4);
  const owners: string[] = [];
  const count = layout.an + layout.ns + layout.ar;
  for (let i = 0; i < count; i++) owners.push(lower(readName(bytes, layout.start[i]!)));
  // CNAMEs may come in any order: repeat until the chain stops growing.
  for (let grew = true, rounds = 0; grew && rounds < 16; rounds++) {
    grew = false;
    for (let i = 0; i < layout.an; i++) {
      if (layout.type[i] !== RRType.CNAME || !onChain.has(owners[i]!)) continue;
      const target = lower(readName(bytes, layout.ttlAt[i]! + 6));
      if (!onChain.has(target)) { onChain.add(target); names.push(target); grew = true; }
    }
  }
  const drop = new Set<number>();
  const wanted = new Set<string>(names);
  let answered = false;
  for (let i = 0; i < layout.an; i++) {
    const owner = owners[i]!;
    const t = layout.type[i]!;
    if (onChain.has(owner) || (t === RRType.DNAME && names.some((n) => isBelow(n, owner)))) {
      if (t === qtype || qtype === RRType.ANY) answered = true;
      addTargets(bytes, layout, i, wanted);
    } else drop.add(i);
  }
  for (let i = layout.an; i < layout.an + layout.ns; i++) {
    if (names.some((n) => isBelow(n, owners[i]!))) addTargets(bytes, layout, i, wanted);
    else drop.add(i);
  }
  for (let i = layout.an + layout.ns; i < count; i++) {
    if (i !== layout.opt && !wanted.has(owners[i]!)) drop.add(i);
  }
  return { names, answered, drop };
}

/** Names a record points at, whose addresses may sit in the additional section. */
function addTargets(bytes: Buffer, layout: Layout, i: number, wanted: Set<string>): void {
  const rdata = layout.ttlAt[i]! + 6;
  switch (layout.type[i]) {
    case RRType.NS: case RRType.CNAME: wanted.add(lower(readName(bytes, rdata))); break;
    case RRType.MX: wanted.add(lower(readName(bytes, rdata + 2))); break;
    case RRType.SRV: wanted.add(lower(readName(bytes, rdata + 6))); break;
  }
}

/** Rebuilds a message without some records (rare: only for replies carrying foreign data). */
function dropRecords(bytes: Buffer, drop: Set<number>): Buffer {
  const packet = decodePacket(bytes);
  const an = packet.answers?.length ?? 0;
  const ns = packet.authorities?.length ?? 0;
  packet.answers = packet.answers?.filter((_, i) => !drop.has(i));
  packet.authorities = packet.authorities?.filter((_, i) => !drop.has(an + i));
  packet.additionals = packet.additionals?.filter((_, i) => !drop.has(an + ns + i));
  return encodePacket(packet);
}

function findSoa(layout: Layout): number {
  for (let i = layout.an; i < layout.an + layout.ns; i++) if (layout.type[i] === RRType.SOA) return i;
  return -1;
}

/**
 * Rewrites TTLs in place: each RRset to its smallest TTL, then clamped to [min, max]; the SOA of a
 * negative answer to min(its TTL, its MINIMUM). Returns the entry's lifetime: the smallest TTL.
 */
function normaliseTtls(bytes: Buffer, layout: Layout, min: Ttl, max: Ttl, soa: number): Ttl {
  const count = layout.an + layout.ns + layout.ar;
  let lifetime = Infinity;
  let i = 0;
  while (i < count) {
    let j = i + 1;
    while (j < count && layout.rrsetStart[j] === 0) j++;
    let ttl = Infinity;
    for (let k = i; k < j; k++) ttl = Math.min(ttl, bytes.readUInt32BE(layout.ttlAt[k]!));
    if (i === soa) {
      const minimum = bytes.readUInt32BE(layout.stop[soa]! - 4);
      ttl = Math.min(ttl, minimum);
    }
    ttl = Math.min(Math.max(ttl, min), max);
    for (let k = i; k < j; k++) bytes.writeUInt32BE(ttl, layout.ttlAt[k]!);
    lifetime = Math.min(lifetime, ttl);
    i = j;
  }
  return lifetime === Infinity ? min : lifetime;
}

function isDisabled(lname: string, zones: readonly string[]): boolean {
  return zones.some((z) => isBelow(lname, z));
}

function isBelow(name: string, zone: string): boolean {
  return zone === '.' || name === zone || name.endsWith(`.${zone}`);
}

function lower(name: string): string {
  return name === '' ? '.' : `${name.toLowerCase()}.`;
}
