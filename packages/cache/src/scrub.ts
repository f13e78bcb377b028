import { keyAtOrBelow, nameKey, Rcode, RRType, type Layout } from '@dnsmesh/core';

/** What `scrub` keeps of a reply. */
export interface Scrubbed {
  /** 1 for each record to keep (by layout index). */
  readonly keep: Uint8Array;
  /** True when the answer holds the question's type at the end of the chain (or the CNAME asked for). */
  readonly answered: boolean;
  /** Names on the chain, the question name included (1: no CNAME followed). */
  readonly chain: number;
  /** A CNAME points back into its own chain (or one name has two different CNAMEs): the reply is unusable. */
  readonly loop: boolean;
}

/** Chains longer than this stop being followed (the rest of the answer is dropped, so it is not stored). */
export const MAX_CHAIN = 16;

const DNSSEC_TYPES = new Set<number>([RRType.RRSIG, RRType.NSEC, RRType.NSEC3]);
/** The root's name key (`nameKey` of the root name). */
const ROOT = '\0';

/**
 * Chooses the records of a NOERROR or NXDOMAIN reply that the cache may keep and serve, comparing
 * names as octets with ASCII case folded (`nameKey`). In the spirit of Unbound's scrubber
 * (iterator/iter_scrub.c) for a forwarder:
 * - answer: records owned by a name on the CNAME chain from the question name, and a DNAME above
 *   one; a CNAME pointing back into the chain is a loop;
 * - authority: in a denial, the SOA of a zone at or above the chain's last name; with DNSSEC
 *   (the client's DO), NSEC/NSEC3 records and RRSIGs owned at or below the answer's zone (the SOA's
 *   owner, else the signer of the answer's RRSIGs), an NSEC only when its next name is in the zone
 *   too (Unbound drops overreaching NSECs). NS sets are dropped in every answer (Unbound's
 *   `scrub-promiscuous`): so `. NS ns.evil` never reaches a client; a referral (no answer, no SOA)
 *   keeps the NS set of its delegation and the glue, as Unbound passes it on;
 * - additional: records owned by names the kept records point at (NS, MX, SRV, KX, NAPTR targets),
 *   never NS, CNAME or DNAME there (Unbound drops those too);
 * - DNSSEC records (RRSIG, NSEC, NSEC3) only for a DO client, unless asked for by type (RFC 4035 §3.2.1).
 */
export function scrub(buf: Uint8Array, layout: Layout, qname: string, qtype: number, rcode: number, dnssec: boolean): Scrubbed {
  const count = layout.an + layout.ns + layout.ar;
  const keep = new Uint8Array(count);
  const owners: string[] = new Array(count);
  for (let i = 0; i < count; i++) owners[i] = i === layout.opt ? '' : nameKey(buf, layout.start[i]!);
  const rdata = (i: number): number => layout.ttlAt[i]! + 6;

  // The chain: CNAMEs may come in any order, so repeat until it stops growing.
  const names = [qname];
  const followed = new Map<string, string>();
  let loop = false;
  for (let grew = true; grew && !loop && names.length < MAX_CHAIN;) {
    grew = false;
    for (let i = 0; i < layout.an && !loop; i++) {
      if (layout.type[i] !== RRType.CNAME || !names.includes(owners[i]!)) continue;
      const target = nameKey(buf, rdata(i));
      const before = followed.get(owners[i]!);
      if (before !== undefined) { if (before !== target) loop = true; continue; }
      followed.set(owners[i]!, target);
      if (names.includes(target)) { loop = true; break; }
      names.push(target);
      grew = true;
      if (names.length >= MAX_CHAIN) break;
    }
  }
  if (loop) return { keep, answered: false, chain: names.length, loop };
  const last = names[names.length - 1]!;
  const onChain = new Set(names);
  const dnameOwners = new Set<string>();
  const wanted = new Set<string>();
  const dnssecOk = (type: number): boolean => dnssec || !DNSSEC_TYPES.has(type) || type === qtype;

  let answered = false;
  let signer: string | undefined;
  for (let i = 0; i < layout.an; i++) {
    const owner = owners[i]!;
    const type = layout.type[i]!;
    if (!dnssecOk(type)) continue;
    const onIt = onChain.has(owner);
    if (type === RRType.DNAME && !onIt && names.some((n) => n !== owner && keyAtOrBelow(n, owner))) {
      keep[i] = 1;
      dnameOwners.add(owner);
      continue;
    }
    if (!onIt) continue;
    keep[i] = 1;
    if (type === qtype || (qtype === RRType.CNAME && type === RRType.CNAME)) answered = true;
    if (type === RRType.RRSIG) signer = nameKey(buf, rdata(i) + 18);
    addTargets(buf, layout, i, wanted);
  }
  // RRSIGs over a kept DNAME (owned by it, off the chain).
  for (let i = 0; i < layout.an; i++) {
    if (keep[i] === 0 && layout.type[i] === RRType.RRSIG && dnssec && dnameOwners.has(owners[i]!)) keep[i] = 1;
  }

  const negative = rcode === Rcode.NXDOMAIN || !answered;
  // The answer's zone: a denial's SOA owner (at or above the chain's last name), else the signer.
  let zone: string | undefined;
  for (let i = layout.an; i < layout.an + layout.ns; i++) {
    if (negative && layout.type[i] === RRType.SOA && keyAtOrBelow(last, owners[i]!)) {
      if (zone === undefined) zone = owners[i]!;
      if (owners[i] === zone) keep[i] = 1;
    }
  }
  // A referral (NOERROR, no answer for the name, no SOA: the upstream is an authoritative server
  // that delegates) goes on as Unbound passes it: the NS set of the deepest delegation at or above
  // the chain's last name, and its glue. Never the root's (an upward referral is lame, and
  // `. NS ns.evil` stays out); never stored (a denial without SOA is not cached).
  if (rcode === Rcode.NOERROR && !answered && zone === undefined) {
    let cut: string | undefined;
    for (let i = layout.an; i < layout.an + layout.ns; i++) {
      const owner = owners[i]!;
      if (layout.type[i] !== RRType.NS || owner === ROOT || !keyAtOrBelow(last, owner)) continue;
      if (cut === undefined || owner.length > cut.length) cut = owner;
    }
    if (cut !== undefined) {
      for (let i = layout.an; i < layout.an + layout.ns; i++) {
        if (layout.type[i] === RRType.NS && owners[i] === cut) { keep[i] = 1; addTargets(buf, layout, i, wanted); }
      }
    }
  }
  if (zone === undefined && signer !== undefined && names.some((n) => keyAtOrBelow(n, signer!))) zone = signer;
  if (dnssec && zone !== undefined) {
    for (let i = layout.an; i < layout.an + layout.ns; i++) {
      const type = layout.type[i]!;
      if (!DNSSEC_TYPES.has(type) || !keyAtOrBelow(owners[i]!, zone)) continue;
      if (type === RRType.NSEC && !keyAtOrBelow(nameKey(buf, rdata(i)), zone)) continue;
      if (type === RRType.RRSIG) {
        const covered = (buf[rdata(i)]! << 8) | buf[rdata(i) + 1]!;
        if (covered !== RRType.SOA && !DNSSEC_TYPES.has(covered)) continue;
        if (covered === RRType.SOA && !negative) continue;
      }
      keep[i] = 1;
    }
  }

  for (let i = layout.an + layout.ns; i < count; i++) {
    if (i === layout.opt) continue;
    const type = layout.type[i]!;
    if (type === RRType.NS || type === RRType.CNAME || type === RRType.DNAME) continue;
    if (!dnssecOk(type) || (DNSSEC_TYPES.has(type) && type !== RRType.RRSIG)) continue;
    if (wanted.has(owners[i]!)) keep[i] = 1;
  }
  return { keep, answered, chain: names.length, loop };
}

/** Names a record points at, whose addresses may sit in the additional section. */
function addTargets(buf: Uint8Array, layout: Layout, i: number, wanted: Set<string>): void {
  const rdata = layout.ttlAt[i]! + 6;
  switch (layout.type[i]) {
    case RRType.NS: wanted.add(nameKey(buf, rdata)); break;
    case RRType.MX: case 36: wanted.add(nameKey(buf, rdata + 2)); break; // MX, KX
    case RRType.SRV: wanted.add(nameKey(buf, rdata + 6)); break;
    case RRType.NAPTR: {
      let p = rdata + 4;
      for (let s = 0; s < 3; s++) p += 1 + buf[p]!;
      wanted.add(nameKey(buf, p));
      break;
    }
  }
}
