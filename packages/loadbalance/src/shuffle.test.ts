import { DnsMessage, scanLayout, type WireImage } from '@dnsmesh/core';
import { prng } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { hasShufflable, permutation, shuffleReply, type Pick } from './shuffle.js';

/** A seeded pick (testkit's mulberry32), so a test sees the same orders every run. */
function seeded(seed: number): Pick {
  const random = prng(seed);
  return (n) => Math.floor(random() * n);
}

const name = (text: string): number[] => [...text.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
const u16 = (v: number): number[] => [v >> 8, v & 0xff];
const u32 = (v: number): number[] => [v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
const ptr = (off: number): number[] => [0xc0 | (off >> 8), off & 0xff];
const rr = (owner: number[], type: number, ttl: number, rdata: number[]): number[] => [...owner, ...u16(type), ...u16(1), ...u32(ttl), ...u16(rdata.length), ...rdata];

/** A reply to `web.test A` (question at 12) with the given records; counts as given. */
function message(counts: [number, number, number], records: number[][], qtype = 1): Buffer {
  return Buffer.from([...u16(0x1234), ...u16(0x8180), ...u16(1), ...u16(counts[0]), ...u16(counts[1]), ...u16(counts[2]),
    ...name('web.test'), ...u16(qtype), ...u16(1), ...records.flat()]);
}

const addresses = (m: DnsMessage, type = 'A'): string[] => (m.decode().answers ?? []).filter((r) => r.type === type).map((r) => r.data as string);

describe('shuffleReply', () => {
  const four = message([4, 0, 0], [1, 2, 3, 4].map((i) => rr(ptr(12), 1, 30 + i, [10, 0, 0, i])));

  it('moves A records (with their TTLs) and keeps the owner bytes, the length and the layout', () => {
    const reply = new DnsMessage(four);
    const out = shuffleReply(reply, reply.layout, seeded(1));
    expect(out).not.toBe(reply);
    expect(out.bytes.length).toBe(four.length);
    expect(Buffer.compare(reply.bytes, four)).toBe(0); // the input is not touched
    expect(scanLayout(out.bytes).ttlAt).toEqual(reply.layout.ttlAt);
    const records = out.decode().answers!.map((r) => [r.data, r.ttl]);
    expect(records.map(([d]) => d)).not.toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    expect([...records].sort()).toEqual([['10.0.0.1', 31], ['10.0.0.2', 32], ['10.0.0.3', 33], ['10.0.0.4', 34]]);
    for (let i = 0; i < 4; i++) expect([...out.bytes.subarray(reply.layout.start[i]!, reply.layout.start[i]! + 2)]).toEqual(ptr(12));
  });

  it('spreads the first address over every record across replies', () => {
    const reply = new DnsMessage(four);
    const pick = seeded(7);
    const firsts = new Set<string>();
    for (let i = 0; i < 64; i++) firsts.add(addresses(shuffleReply(reply, reply.layout, pick))[0]!);
    expect(firsts.size).toBe(4);
  });

  it('writes into a copy of a wire image and keeps it an image with the same TTL offsets', () => {
    const layout = scanLayout(four);
    const wire = Buffer.concat([four, Buffer.from(Array.from(layout.ttlAt).flatMap(u16))]);
    const image: WireImage = { wire, length: four.length, questionEnd: layout.questionEnd, records: 4 };
    const reply = new DnsMessage(wire.subarray(0, four.length), layout);
    reply.image = image;
    reply.ttlAge = 5;
    const out = shuffleReply(reply, layout, seeded(3));
    expect(out.image).toBeDefined();
    expect(out.image!.wire).not.toBe(wire);
    expect(out.image!.wire.subarray(four.length)).toEqual(wire.subarray(four.length));
    expect(out.bytes.equals(out.image!.wire.subarray(0, four.length))).toBe(true);
    expect(out.ttlAge).toBe(5);
    expect(wire.subarray(0, four.length).equals(four)).toBe(true);
    expect(addresses(out).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
  });

  it('shuffles MX records whole, and leaves them when a pointer points into them', () => {
    const mxAt = 12 + name('web.test').length + 4;
    const mx = (i: number, owner = ptr(12)) => rr(owner, 15, 60, [...u16(10), ...name(`mx${i}.test`)]);
    const free = message([3, 0, 0], [mx(1), mx(2), mx(3)], 15);
    const reply = new DnsMessage(free);
    const orders = new Set<string>();
    const pick = seeded(11);
    for (let i = 0; i < 20; i++) {
      const out = shuffleReply(reply, reply.layout, pick);
      orders.add(out.decode().answers!.map((r) => (r.data as { exchange: string }).exchange).join());
    }
    expect(orders.size).toBeGreaterThan(1);
    // The additional A for mx1.test points at the exchange name in the first MX record.
    const exchange1 = mxAt + 2 + 10 + 2;
    const pinned = message([3, 0, 1], [mx(1), mx(2), mx(3), rr(ptr(exchange1), 1, 60, [10, 0, 0, 9])], 15);
    const p = new DnsMessage(pinned);
    expect(shuffleReply(p, p.layout, seeded(11))).toBe(p);
  });

  it('leaves other types, and single records, alone', () => {
    const txt = new DnsMessage(message([2, 0, 0], [rr(ptr(12), 16, 60, [1, 0x61]), rr(ptr(12), 16, 60, [1, 0x62])], 16));
    expect(hasShufflable(txt.layout)).toBe(false);
    const one = new DnsMessage(message([1, 0, 0], [rr(ptr(12), 1, 60, [10, 0, 0, 1])]));
    expect(hasShufflable(one.layout)).toBe(false);
    expect(hasShufflable(new DnsMessage(four).layout)).toBe(true);
  });

  it('permutation returns each index once', () => {
    const pick = seeded(5);
    for (let n = 0; n < 8; n++) expect(permutation(n, pick).sort()).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});
