import { decodePacket } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { WARMUP_ZONES, warmupName, warmupQuery } from './queries.js';

describe('the warm-up queries', () => {
  it('are new names under .invalid, in both blocks, each kind in each', () => {
    const names = Array.from({ length: 64 }, (_, i) => warmupName(i));
    expect(new Set(names).size).toBe(64);
    for (const zone of WARMUP_ZONES) {
      const inZone = names.filter((n) => n.endsWith(`.${zone}`));
      expect(new Set(inZone.map((n) => n[0])).size).toBe(4);
    }
    expect(names.every((n) => n.endsWith('.dnsmesh.invalid'))).toBe(true);
  });

  it('are well-formed queries with RD: A or AAAA, with EDNS (and now and then a cookie) or without', () => {
    const plain = decodePacket(warmupQuery(0, 7));
    expect(plain).toMatchObject({ id: 7, type: 'query', questions: [{ name: warmupName(0), type: 'A', class: 'IN' }], additionals: [] });
    expect(plain.flags! & 0x0100).toBe(0x0100);
    expect(decodePacket(warmupQuery(3, 7)).questions![0]!.type).toBe('AAAA');
    expect(decodePacket(warmupQuery(1, 7)).additionals).toEqual([expect.objectContaining({ type: 'OPT', udpPayloadSize: 1232, options: [] })]);
    expect(decodePacket(warmupQuery(2, 7)).additionals).toEqual([expect.objectContaining({ type: 'OPT', options: [expect.objectContaining({ code: 10 })] })]);
  });
});
