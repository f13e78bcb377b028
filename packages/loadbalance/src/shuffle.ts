import { type DnsMessage, RRType, type Layout } from '@dnsmesh/core';
import { copyOf, rrsetEnd, withMovedTails } from './reordered.js';

/** An integer in [0, n): `Math.random` by default; tests pass a seeded one. */
export type Pick = (n: number) => number;

export const randomPick: Pick = (n) => Math.floor(Math.random() * n);

/** RRset types whose records are put in a new order on every reply (as CoreDNS's loadbalance). */
const SHUFFLED = new Set<number>([RRType.A, RRType.AAAA, RRType.MX]);

/** True when the message holds an A, AAAA or MX RRset of more than one record: reads only the layout. */
export function hasShufflable(layout: Layout): boolean {
  const count = layout.an + layout.ns + layout.ar;
  const { type, rrsetStart } = layout;
  for (let i = 1; i < count; i++) {
    if (rrsetStart[i] === 0 && SHUFFLED.has(type[i]!)) return true;
  }
  return false;
}

/**
 * The reply with the records of each A, AAAA and MX RRset in a random order, in every section;
 * `reply` itself is not changed (it may be a view on a cache entry). Names are never re-encoded:
 *
 * - A and AAAA: each record's owner name stays where it is and only the fixed-size rest (type,
 *   class, TTL, length, address) moves. Every record keeps its length, so the layout, the TTL
 *   offsets and a cache hit's wire image stay valid: the copy is one buffer, and the edge still
 *   writes it on its fast path. Nothing points into an address (compression pointers point to
 *   names), so moving one breaks no pointer.
 * - MX: whole records move (their exchange names differ in length), and only when no compression
 *   pointer in the message points into the RRset; otherwise that RRset keeps its order. The copy
 *   is a plain message that the edge lays out again.
 *
 * Returns `reply` when nothing moved.
 */
export function shuffleReply(reply: DnsMessage, layout: Layout, pick: Pick = randomPick): DnsMessage {
  const image = reply.image;
  const wire = image !== undefined ? Buffer.from(image.wire) : Buffer.from(reply.bytes);
  const length = image !== undefined ? image.length : reply.bytes.length;
  const buf = wire.subarray(0, length);
  const count = layout.an + layout.ns + layout.ar;
  let movedTails = false;
  let mx: [number, number][] | undefined;
  for (let first = 0; first < count;) {
    const end = rrsetEnd(layout, first, count);
    const t = layout.type[first]!;
    if (end - first > 1) {
      if (t === RRType.A || t === RRType.AAAA) movedTails = shuffleTails(buf, layout, first, end, pick) || movedTails;
      else if (t === RRType.MX) (mx ??= []).push([first, end]);
    }
    first = end;
  }
  if (mx !== undefined) {
    let moved = false;
    for (const [first, end] of mx) moved = shuffleRecords(buf, layout, first, end, pick) || moved;
    if (moved) return copyOf(reply, Buffer.from(buf), undefined, undefined); // offsets changed: laid out again
  }
  return movedTails ? withMovedTails(reply, wire, layout) : reply;
}

/** Scratch memory for one RRset's tails (a reply is at most 64 KiB): no allocation per reply. */
const scratch = new Uint8Array(65536);
/** Scratch for a permutation (an RRset has at most 65535 records). */
const order = new Int32Array(65536);

/** Records [first, end): their parts after the owner name, put in a random order in place. False when they differ in size. */
function shuffleTails(buf: Buffer, layout: Layout, first: number, end: number, pick: Pick): boolean {
  const { ttlAt, stop } = layout;
  const size = stop[first]! - (ttlAt[first]! - 4);
  for (let i = first + 1; i < end; i++) if (stop[i]! - (ttlAt[i]! - 4) !== size) return false;
  const n = end - first;
  permute(n, pick);
  // Plain byte loops: a tail is 14 or 26 bytes, where a native copy call costs more than the copy.
  for (let i = 0, at = 0; i < n; i++, at += size) {
    const from = ttlAt[first + i]! - 4;
    for (let k = 0; k < size; k++) scratch[at + k] = buf[from + k]!;
  }
  for (let i = 0; i < n; i++) {
    const to = ttlAt[first + i]! - 4;
    const from = order[i]! * size;
    for (let k = 0; k < size; k++) buf[to + k] = scratch[from + k]!;
  }
  return true;
}

/** Fills `order[0, n)` with a random permutation of 0..n-1 (Fisher-Yates). */
function permute(n: number, pick: Pick): void {
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = pick(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/** Records [first, end) moved whole into a random order, unless a compression pointer points into them. */
function shuffleRecords(buf: Buffer, layout: Layout, first: number, end: number, pick: Pick): boolean {
  const from = layout.start[first]!;
  const to = layout.stop[end - 1]!;
  if (pointsInto(buf, layout, from, to)) return false;
  const n = end - first;
  const perm = permutation(n, pick);
  const span = Buffer.from(buf.subarray(from, to));
  let at = from;
  for (let i = 0; i < n; i++) {
    const r = first + perm[i]!;
    span.copy(buf, at, layout.start[r]! - from, layout.stop[r]! - from);
    at += layout.stop[r]! - layout.start[r]!;
  }
  return true;
}

/** A random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, pick: Pick): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = pick(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Where names sit in the RDATA of the types a message may compress (RFC 3597 §4), as offsets from the RDATA. */
const RDATA_NAMES: Record<number, 'one' | 'mx' | 'srv' | 'soa'> = {
  [RRType.NS]: 'one', [RRType.CNAME]: 'one', [RRType.PTR]: 'one', [RRType.DNAME]: 'one',
  [RRType.MX]: 'mx', [RRType.SRV]: 'srv', [RRType.SOA]: 'soa',
};

/** True when a compression pointer anywhere in the message (question, owners, names in RDATA) lands in [from, to). */
export function pointsInto(buf: Buffer, layout: Layout, from: number, to: number): boolean {
  if (nameHits(buf, 12, from, to)) return true;
  const count = layout.an + layout.ns + layout.ar;
  for (let i = 0; i < count; i++) {
    if (nameHits(buf, layout.start[i]!, from, to)) return true;
    const kind = RDATA_NAMES[layout.type[i]!];
    if (kind === undefined) continue;
    const rdata = layout.ttlAt[i]! + 6;
    if (kind === 'one' && nameHits(buf, rdata, from, to)) return true;
    if (kind === 'mx' && nameHits(buf, rdata + 2, from, to)) return true;
    if (kind === 'srv' && nameHits(buf, rdata + 6, from, to)) return true;
    if (kind === 'soa' && (nameHits(buf, rdata, from, to) || nameHits(buf, skip(buf, rdata), from, to))) return true;
  }
  return false;
}

/** Follows the name at `pos` (its pointers too, at most 64 hops): true when a pointer lands in [from, to). */
function nameHits(buf: Buffer, pos: number, from: number, to: number): boolean {
  for (let hops = 0; pos < buf.length && hops < 64;) {
    const len = buf[pos]!;
    if (len === 0) return false;
    if ((len & 0xc0) === 0xc0) {
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= from && target < to) return true;
      pos = target;
      hops++;
      continue;
    }
    pos += len + 1;
  }
  return false;
}

/** The offset past the name at `pos` (not following pointers). */
function skip(buf: Buffer, pos: number): number {
  while (pos < buf.length) {
    const len = buf[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2;
    pos += len + 1;
  }
  return pos;
}
