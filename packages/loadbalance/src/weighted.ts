import { type DnsMessage, readName, RRType, type Layout } from '@dnsmesh/core';
import type { Pick } from './shuffle.js';
import { rdataAddress, type WeightTable } from './weights.js';
import { rrsetEnd, withMovedTails } from './reordered.js';

/**
 * CoreDNS's weighted policy: for an A or AAAA RRset whose owner the weight file lists, one record
 * is picked at random in proportion to its address's weight and goes first; the others keep
 * their order. Addresses the file does not list weigh 0. Only record tails move (owner bytes stay,
 * as in `shuffleReply`), so a cache hit stays a wire image. Returns `reply` when nothing moved.
 */
export function weightedReply(reply: DnsMessage, layout: Layout, table: WeightTable, pick: Pick): DnsMessage {
  const src = reply.image !== undefined ? reply.image.wire : reply.bytes;
  const count = layout.an + layout.ns + layout.ar;
  let out: Buffer | undefined;
  for (let first = 0; first < count;) {
    const end = rrsetEnd(layout, first, count);
    const t = layout.type[first]!;
    if (end - first > 1 && layout.section[first] === 0 && (t === RRType.A || t === RRType.AAAA)) {
      const weights = table.get(ownerOf(src, layout.start[first]!));
      const chosen = weights === undefined ? -1 : choose(src, layout, first, end, weights, pick);
      if (chosen > first) {
        out ??= Buffer.from(src);
        swapTails(out, layout, first, chosen);
      }
    }
    first = end;
  }
  return out === undefined ? reply : withMovedTails(reply, out, layout);
}

function ownerOf(buf: Uint8Array, at: number): string {
  const name = readName(buf, at).toLowerCase();
  return name === '' ? '.' : `${name}.`;
}

/** The index of the record picked by weight among [first, end), or -1 when none has a weight. */
function choose(buf: Uint8Array, layout: Layout, first: number, end: number, weights: ReadonlyMap<string, number>, pick: Pick): number {
  const w: number[] = [];
  let total = 0;
  for (let i = first; i < end; i++) {
    const rdata = layout.ttlAt[i]! + 6;
    const weight = weights.get(rdataAddress(buf, rdata, layout.stop[i]! - rdata)) ?? 0;
    w.push(weight);
    total += weight;
  }
  if (total === 0) return -1;
  let r = pick(total);
  for (let i = 0; i < w.length; i++) {
    if (r < w[i]!) return first + i;
    r -= w[i]!;
  }
  return -1;
}

/** Swaps the parts after the owner name of records a and b (same size: one RRset of A or AAAA). */
function swapTails(buf: Buffer, layout: Layout, a: number, b: number): void {
  const fa = layout.ttlAt[a]! - 4;
  const fb = layout.ttlAt[b]! - 4;
  const size = layout.stop[a]! - fa;
  if (layout.stop[b]! - fb !== size) return;
  const tmp = Buffer.from(buf.subarray(fa, fa + size));
  buf.copy(buf, fa, fb, fb + size);
  tmp.copy(buf, fb);
}
