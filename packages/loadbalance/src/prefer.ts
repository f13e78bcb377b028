import { contains, type Cidr, type Ip } from '@dnsmesh/acl';
import { type DnsMessage, RRType, Section, type Layout } from '@dnsmesh/core';
import { rrsetEnd, withMovedTails } from './reordered.js';

/**
 * CoreDNS's `prefer`: in the answer and additional sections, the records of each A and AAAA RRset
 * are put in the order of the networks listed (those in the first network first, then the second,
 * ...), the rest after them; within each group the order the policy gave (shuffled, or weighted)
 * stays. Only record tails move, as in `shuffleReply`, so a cache hit stays a wire image. Returns
 * `reply` when nothing moved.
 */
export function preferReply(reply: DnsMessage, layout: Layout, networks: readonly Cidr[]): DnsMessage {
  const src = reply.image !== undefined ? reply.image.wire : reply.bytes;
  const count = layout.an + layout.ns + layout.ar;
  let out: Buffer | undefined;
  for (let first = 0; first < count;) {
    const end = rrsetEnd(layout, first, count);
    const t = layout.type[first]!;
    if (end - first > 1 && layout.section[first] !== Section.AUTHORITY && (t === RRType.A || t === RRType.AAAA)) {
      const ranks = rankOf(src, layout, first, end, networks);
      if (ranks !== undefined) {
        out ??= Buffer.from(src);
        reorderTails(out, layout, first, end, ranks);
      }
    }
    first = end;
  }
  return out === undefined ? reply : withMovedTails(reply, out, layout);
}

/** Per record of [first, end): the index of the first network holding its address (networks.length for none); undefined when already in order. */
function rankOf(buf: Uint8Array, layout: Layout, first: number, end: number, networks: readonly Cidr[]): number[] | undefined {
  const ranks: number[] = [];
  let sorted = true;
  for (let i = first; i < end; i++) {
    const rdata = layout.ttlAt[i]! + 6;
    const ip = addressOf(buf, rdata, layout.stop[i]! - rdata);
    let rank = networks.length;
    if (ip !== undefined) {
      for (let n = 0; n < networks.length; n++) if (contains(networks[n]!, ip)) { rank = n; break; }
    }
    if (ranks.length > 0 && rank < ranks[ranks.length - 1]!) sorted = false;
    ranks.push(rank);
  }
  return sorted ? undefined : ranks;
}

/** The address in an A or AAAA RDATA (an IPv4-mapped IPv6 address as its IPv4 one, as Go's IPNet.Contains sees it). */
function addressOf(buf: Uint8Array, at: number, length: number): Ip | undefined {
  const word = (p: number): number => ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
  if (length === 4) return { family: 4, words: [word(at)] };
  if (length !== 16) return undefined;
  const words = [word(at), word(at + 4), word(at + 8), word(at + 12)];
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return { family: 4, words: [words[3]!] };
  return { family: 6, words };
}

/** Moves the tails (all after the owner name) of records [first, end) into a stable order by rank. */
function reorderTails(buf: Buffer, layout: Layout, first: number, end: number, ranks: readonly number[]): void {
  const size = layout.stop[first]! - (layout.ttlAt[first]! - 4);
  for (let i = first + 1; i < end; i++) if (layout.stop[i]! - (layout.ttlAt[i]! - 4) !== size) return; // one RRset: one size
  const order = ranks.map((rank, i) => ({ rank, i })).sort((a, b) => a.rank - b.rank || a.i - b.i);
  const tails = order.map(({ i }) => Buffer.from(buf.subarray(layout.ttlAt[first + i]! - 4, layout.stop[first + i]!)));
  for (let k = 0; k < tails.length; k++) tails[k]!.copy(buf, layout.ttlAt[first + k]! - 4);
}
