// Consul's trimming (notes §2, "Truncation"), the same in v1 and v2. Sizes come from dns-packet,
// which never compresses, so they match Consul's uncompressed 512-byte check and are larger than
// the compressed sizes Consul uses for EDNS and TCP replies.
import dnsPacket from 'dns-packet';
import type { Answer, Packet, SrvData } from 'dns-packet';

const NON_EDNS_UDP = 512;
const MAX_UDP = 65467;
const MAX_TCP = 65523;
const MAX_UDP_ANSWER_LIMIT = 8;

/** 512, or the client's EDNS0 size when larger, capped at 65467. */
export function udpLimit(ednsSize: number | undefined): number {
  return Math.min(Math.max(NON_EDNS_UDP, ednsSize ?? 0), MAX_UDP);
}

/** Cuts a UDP reply in place; true when answers were dropped. */
export function trimUdp(msg: Packet, limit: number, udpAnswerLimit: number): boolean {
  const total = msg.answers.length;
  const index = indexByName(msg.additionals);
  const hasExtra = msg.additionals.length > 0;
  const maxAnswers = Math.min(udpAnswerLimit, MAX_UDP_ANSWER_LIMIT);
  // The count cut applies only at exactly 512, i.e. to clients without a larger EDNS size.
  if (limit === NON_EDNS_UDP && msg.answers.length > maxAnswers) {
    msg.answers = msg.answers.slice(0, maxAnswers);
    if (hasExtra) syncExtra(msg, index);
  }
  cutToSize(msg, limit, 8, index, hasExtra);
  return msg.answers.length < total;
}

/** Cuts a TCP reply in place: 1024 SRV or 4096 other answers, then 65523 bytes. */
export function trimTcp(msg: Packet, qtype: string): boolean {
  const index = indexByName(msg.additionals);
  const hasExtra = msg.additionals.length > 0;
  const cap = qtype === 'SRV' ? 1024 : 4096;
  if (msg.answers.length > cap) msg.answers = msg.answers.slice(0, cap); // Consul does not count this one
  return cutToSize(msg, MAX_TCP, 0, index, hasExtra);
}

/**
 * While more than one answer and bigger than limit - margin: drop Authority, then binary-search the
 * answer count against the limit itself (or drop one answer when within 100 bytes of it).
 */
function cutToSize(msg: Packet, max: number, margin: number, index: Map<string, Answer>, hasExtra: boolean): boolean {
  let cut = false;
  while (msg.answers.length > 1 && dnsPacket.encodingLength(msg) > max - margin) {
    cut = true;
    msg.authorities = [];
    if (dnsPacket.encodingLength(msg) - max > 100) {
      msg.answers = msg.answers.slice(0, binarySearch(msg, max, index, hasExtra));
    } else {
      msg.answers = msg.answers.slice(0, -1);
    }
    if (hasExtra) syncExtra(msg, index);
  }
  return cut;
}

/** The largest answer count that fits, stopping early when within 10 bytes of the limit. */
function binarySearch(msg: Packet, max: number, index: Map<string, Answer>, hasExtra: boolean): number {
  const all = msg.answers;
  let start = 0;
  let end = all.length + 1;
  while (end - start > 1) {
    const median = start + Math.floor((end - start) / 2);
    msg.answers = all.slice(0, median);
    if (hasExtra) syncExtra(msg, index);
    const size = dnsPacket.encodingLength(msg);
    if (size <= max) {
      if (max - size < 10) { msg.answers = all; return median; }
      start = median;
    } else {
      end = median;
    }
  }
  msg.answers = all;
  return start;
}

/** The first record per owner name, from the untrimmed Additional section. */
function indexByName(rrs: readonly Answer[]): Map<string, Answer> {
  const index = new Map<string, Answer>();
  for (const rr of rrs) {
    const key = rr.name.toLowerCase();
    if (!index.has(key)) index.set(key, rr);
  }
  return index;
}

/**
 * Rebuilds Additional from the remaining SRV targets, one record each (following CNAMEs). That first
 * record is the A/AAAA glue, so node-meta TXT disappears, and so does anything not tied to a target.
 */
function syncExtra(msg: Packet, index: Map<string, Answer>): void {
  const extra: Answer[] = [];
  const resolved = new Set<string>();
  for (const rr of msg.answers) {
    if (rr.type !== 'SRV') continue;
    let target = (rr.data as SrvData).target.toLowerCase();
    while (!resolved.has(target)) {
      resolved.add(target);
      const found = index.get(target);
      if (found === undefined) break;
      extra.push(found);
      if (found.type !== 'CNAME') break;
      target = String(found.data).toLowerCase();
    }
  }
  msg.additionals = extra;
}
