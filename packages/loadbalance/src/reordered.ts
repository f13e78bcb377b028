import { DnsMessage, type Layout, type WireImage } from '@dnsmesh/core';

/**
 * `reply` again over `bytes`, with its TTL and flag state: what every policy returns once it has
 * moved records. `layout` and `image` are undefined when offsets changed (laid out again).
 */
export function copyOf(reply: DnsMessage, bytes: Buffer, layout: Layout | undefined, image: WireImage | undefined): DnsMessage {
  const out = new DnsMessage(bytes, layout);
  out.image = image;
  out.ttlAge = reply.ttlAge;
  out.ttlSet = reply.ttlSet;
  out.extendedRcode = reply.extendedRcode;
  out.authoritative = reply.authoritative;
  return out;
}

/**
 * `reply` after record tails moved within `wire` (a copy of its image's wire, or of its bytes):
 * offsets are unchanged, so the layout stays, and a cache hit stays a wire image.
 */
export function withMovedTails(reply: DnsMessage, wire: Buffer, layout: Layout): DnsMessage {
  const image = reply.image;
  const length = image !== undefined ? image.length : reply.bytes.length;
  const next: WireImage | undefined = image === undefined ? undefined
    : { wire, length, questionEnd: image.questionEnd, records: image.records };
  return copyOf(reply, wire.subarray(0, length), layout, next);
}

/** The end (exclusive) of the RRset whose first record is `first`, among the `count` records after the question. */
export function rrsetEnd(layout: Layout, first: number, count: number): number {
  let end = first + 1;
  while (end < count && layout.rrsetStart[end] === 0) end++;
  return end;
}
