import { DnsMessage, FLAG_TC, HEADER_SIZE, OFF_ANCOUNT, OFF_ARCOUNT, OFF_NSCOUNT, RCODE_MASK, RRType, type Layout } from '@dnsmesh/core';
import { foldCase, readNameText } from './name-text.js';
import { recordParts } from './response.js';
import { applyName, type CnameRule } from './rules.js';

/** The answer CNAME a cname rule matched, and its new target. */
export interface CnameHit {
  /** Index of the CNAME record in the reply's layout (answer section). */
  readonly index: number;
  /** The new target, as text with its trailing dot. */
  readonly to: string;
}

/**
 * The first CNAME of the answer whose target a rule matches (targets compared in ASCII lower
 * case), trying the rules in order for each CNAME; undefined when none does.
 */
export function findCname(buf: Buffer, layout: Layout, rules: readonly CnameRule[]): CnameHit | undefined {
  for (let i = 0; i < layout.an; i++) {
    if (layout.type[i] !== RRType.CNAME) continue;
    const target = foldCase(readNameText(buf, layout.ttlAt[i]! + 6).text);
    for (const rule of rules) {
      const to = applyName(rule, target);
      if (to !== undefined) return { index: i, to: to.endsWith('.') ? to : `${to}.` };
    }
  }
  return undefined;
}

/**
 * The reply after a CNAME target was rewritten (CoreDNS's cname rule): the CNAMEs of the answer
 * up to the matched one (its target now `hit.to`), then the answer of `lookup` (the query for the
 * new target). As CoreDNS, TC comes from the lookup; unlike CoreDNS, the rcode, authority and
 * additional sections do too (they describe the end of the chain, RFC 6604: CoreDNS keeps the
 * first reply's). Records are copied byte for byte, with their names written out uncompressed.
 */
export function spliceCname(reply: DnsMessage, hit: CnameHit, lookup: DnsMessage): DnsMessage {
  const buf = reply.bytes;
  const layout = reply.layout;
  const header = Buffer.from(buf.subarray(0, HEADER_SIZE));
  const parts: Buffer[] = [header, buf.subarray(HEADER_SIZE, layout.questionEnd)];
  const same = (text: string): string => text;
  let an = 0;
  for (let i = 0; i <= hit.index; i++) {
    if (layout.type[i] !== RRType.CNAME) continue; // CoreDNS keeps only the CNAMEs before the target
    parts.push(...recordParts(buf, layout, i, same, i === hit.index ? () => hit.to : same));
    an++;
  }
  const lbuf = lookup.bytes;
  const ll = lookup.layout;
  let ns = 0;
  let ar = 0;
  for (let i = 0; i < ll.an + ll.ns + ll.ar; i++) {
    if (i === ll.opt) continue; // the edge writes its own OPT
    parts.push(...recordParts(lbuf, ll, i, same, same));
    if (i < ll.an) an++;
    else if (i < ll.an + ll.ns) ns++;
    else ar++;
  }
  header.writeUInt16BE(an, OFF_ANCOUNT);
  header.writeUInt16BE(ns, OFF_NSCOUNT);
  header.writeUInt16BE(ar, OFF_ARCOUNT);
  const rcode = lookup.rcode;
  header[3] = (header[3]! & ~RCODE_MASK) | (rcode & RCODE_MASK);
  header[2] = (header[2]! & ~(FLAG_TC >> 8)) | (lbuf[2]! & (FLAG_TC >> 8));
  const out = new DnsMessage(Buffer.concat(parts));
  out.extendedRcode = rcode >> 4;
  out.authoritative = reply.authoritative && lookup.authoritative;
  return out;
}
