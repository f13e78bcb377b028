import { parseCidr, type Cidr } from '@dnsmesh/acl';
import { DnsMessage } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { preferReply } from './prefer.js';

const name = (text: string): number[] => [...text.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
const u16 = (v: number): number[] => [v >> 8, v & 0xff];
const ptr = (off: number): number[] => [0xc0 | (off >> 8), off & 0xff];
const a = (owner: number[], ttl: number, ip: number[]): number[] => [...owner, ...u16(1), ...u16(1), 0, 0, 0, ttl, ...u16(4), ...ip];

/** A reply to `web.test A`: answer, authority and additional A records as given. */
function message(answer: number[][], authority: number[][], additional: number[][]): DnsMessage {
  return new DnsMessage(Buffer.from([...u16(0x1234), ...u16(0x8180), ...u16(1), ...u16(answer.length), ...u16(authority.length), ...u16(additional.length),
    ...name('web.test'), ...u16(1), ...u16(1), ...answer.flat(), ...authority.flat(), ...additional.flat()]));
}

const nets = (...texts: string[]): Cidr[] => texts.map((t) => parseCidr(t) as Cidr);
const section = (m: DnsMessage, s: 'answers' | 'authorities' | 'additionals') => (m.decode()[s] ?? []).map((r) => `${r.data as string}/${r.ttl}`);

describe('preferReply', () => {
  const ns = name('ns.test');
  const reply = message(
    [a(ptr(12), 1, [10, 0, 0, 1]), a(ptr(12), 2, [192, 168, 1, 9]), a(ptr(12), 3, [10, 9, 20, 1]), a(ptr(12), 4, [10, 0, 0, 2])],
    [a(ns, 5, [10, 0, 0, 1]), a(ns, 6, [10, 9, 20, 5])],
    [a(name('x.test'), 7, [10, 0, 0, 3]), a(name('x.test'), 8, [192, 168, 1, 1])],
  );

  it('answer and additional: listed networks first in list order, the rest in the order they had; authority untouched', () => {
    const out = preferReply(reply, reply.layout, nets('10.9.20.0/24', '192.168.0.0/16'));
    expect(section(out, 'answers')).toEqual(['10.9.20.1/3', '192.168.1.9/2', '10.0.0.1/1', '10.0.0.2/4']);
    expect(section(out, 'authorities')).toEqual(['10.0.0.1/5', '10.9.20.5/6']);
    expect(section(out, 'additionals')).toEqual(['192.168.1.1/8', '10.0.0.3/7']);
    expect(out.bytes.length).toBe(reply.bytes.length);
    expect(out.bytes.subarray(0, 12)).toEqual(reply.bytes.subarray(0, 12));
    expect(section(reply, 'answers')).toEqual(['10.0.0.1/1', '192.168.1.9/2', '10.9.20.1/3', '10.0.0.2/4']); // the input is not changed
  });

  it('returns the reply itself when nothing moves', () => {
    expect(preferReply(reply, reply.layout, nets('10.0.0.1/32'))).toBe(reply); // already first
    expect(preferReply(reply, reply.layout, nets('172.16.0.0/12'))).toBe(reply);
  });
});
