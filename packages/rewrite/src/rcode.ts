import { DnsMessage, RCODE_MASK } from '@dnsmesh/core';
import type { RcodeRule } from './rules.js';

/**
 * The reply's rcode after the rcode rules that matched the query (CoreDNS applies them last
 * first, once for a message): a copy with the header's four bits changed, and the upper bits
 * where an rcode above 15 keeps them (the OPT the reply carries, or the edge's fresh one). Every
 * other byte is copied. Returns `reply` when no rule's FROM is its rcode.
 */
export function rewriteRcode(reply: DnsMessage, rules: readonly RcodeRule[]): DnsMessage {
  let rcode = reply.rcode;
  const from = rcode;
  for (let i = rules.length - 1; i >= 0; i--) if (rules[i]!.fromRcode === rcode) rcode = rules[i]!.toRcode;
  if (rcode === from) return reply;
  const layout = reply.layout;
  const bytes = Buffer.from(reply.bytes);
  bytes[3] = (bytes[3]! & ~RCODE_MASK) | (rcode & RCODE_MASK);
  if (layout.opt >= 0) bytes[layout.ttlAt[layout.opt]!] = rcode >> 4; // the OPT's EXTENDED-RCODE
  const out = new DnsMessage(bytes, layout);
  out.ttlAge = reply.ttlAge;
  out.ttlSet = reply.ttlSet;
  out.extendedRcode = rcode >> 4;
  out.authoritative = reply.authoritative;
  return out;
}
