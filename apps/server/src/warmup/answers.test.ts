import { decodePacket } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { warmupAnswer } from './answers.js';
import { warmupName, warmupQuery } from './queries.js';

/** Query i (see KINDS: 0 c, 1 u, 2 t, ..., 7 x; AAAA when i % 4 === 3; OPT unless i % 3 === 0). */
function answer(i: number) {
  const q = warmupQuery(i, 0x4242);
  const reply = warmupAnswer(q);
  expect(reply).toBeDefined();
  return { q, reply: reply!, decoded: decodePacket(reply!) };
}

describe('the warm-up upstream', () => {
  it('answers the question as asked, ID and RD echoed, RA set', () => {
    const { decoded } = answer(0);
    expect(decoded.id).toBe(0x4242);
    expect(decoded.type).toBe('response');
    expect(decoded.flags! & 0x0100).toBe(0x0100);
    expect(decoded.flags! & 0x0080).toBe(0x0080);
    expect(decoded.questions).toEqual([{ name: warmupName(0), type: 'A', class: 'IN' }]);
  });

  it('gives one record with its owner compressed (c), written out (u), two records (t)', () => {
    const c = answer(0);
    expect(c.decoded.answers).toEqual([expect.objectContaining({ name: warmupName(0), type: 'A', ttl: 60, data: '192.0.2.1' })]);
    // The owner is a pointer to the question's name at offset 12.
    expect(c.reply.subarray(c.q.length, c.q.length + 2)).toEqual(Buffer.from([0xc0, 0x0c]));
    const u = answer(1);
    expect(u.decoded.answers).toEqual([expect.objectContaining({ name: warmupName(1), type: 'A', data: '192.0.2.1' })]);
    expect(u.reply.indexOf(Buffer.from([0xc0, 0x0c]))).toBe(-1);
    const t = answer(2);
    expect(t.decoded.answers!.map((a) => [a.type, a.ttl, a.data])).toEqual([['A', 60, '192.0.2.1'], ['A', 61, '192.0.2.2']]);
  });

  it('answers AAAA with documentation addresses', () => {
    expect(answer(3).decoded.answers).toEqual([expect.objectContaining({ name: warmupName(3), type: 'AAAA', data: '2001:db8::1' })]);
  });

  it('answers x names NXDOMAIN with the root SOA in authority', () => {
    const { decoded } = answer(7);
    expect(decoded.rcode).toBe('NXDOMAIN');
    expect(decoded.answers).toEqual([]);
    expect(decoded.authorities).toEqual([expect.objectContaining({ name: '.', type: 'SOA', ttl: 60, data: expect.objectContaining({ minimum: 60 }) })]);
  });

  it('echoes EDNS (1232 bytes) only when the query had it', () => {
    expect(answer(1).decoded.additionals).toEqual([expect.objectContaining({ type: 'OPT', udpPayloadSize: 1232 })]);
    expect(answer(0).decoded.additionals).toEqual([]);
  });

  it('leaves what it does not expect unanswered', () => {
    const mx = warmupQuery(0, 1);
    mx.writeUInt16BE(15, mx.length - 4);
    expect(warmupAnswer(mx)).toBeUndefined();
    expect(warmupAnswer(Buffer.alloc(10))).toBeUndefined();
    const response = warmupQuery(1, 1);
    response[2]! |= 0x80;
    expect(warmupAnswer(response)).toBeUndefined();
  });
});
