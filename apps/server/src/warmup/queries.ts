import { encodeName } from '@dnsmesh/core';

/**
 * The warm-up's client side: the queries it asks, as the bytes a stub resolver sends. Their first
 * label tells the warm-up upstream (./answers.ts) what to answer, so the mix of reply shapes a real
 * upstream sends (one or two records, the owner compressed or written out, NXDOMAIN with a SOA)
 * goes through the miss path, and the same names asked again go through the hit path.
 */

/** What the upstream answers for a name, by the first letter of its first label. */
export const KINDS = ['c', 'u', 't', 'c', 'u', 'c', 't', 'x'] as const;
export type Kind = (typeof KINDS)[number];

/**
 * The warm-up's two server blocks, configured differently (./warmup.ts says why), under `.invalid`
 * (RFC 6761): names that no real upstream could answer, should one ever see them.
 */
export const WARMUP_ZONES = ['a.warmup.dnsmesh.invalid', 'b.warmup.dnsmesh.invalid'] as const;

const A = 1;
const AAAA = 28;
const IN = 1;
const OPT = 41;
const COOKIE = 10;

/** The name of warm-up query `i`: its kind, then `i`, so every name is new to the cache; each run of 8 in one block. */
export function warmupName(i: number): string {
  return `${KINDS[i % KINDS.length]}${i}.${WARMUP_ZONES[(i >> 3) % WARMUP_ZONES.length]}`;
}

/**
 * Query `i` with ID `id`: RD set; A, or AAAA for every fourth; an EDNS OPT (1232 bytes) on two in
 * three, one in four of those with a client cookie, as dig sends; the rest plain, as dnsperf sends.
 */
export function warmupQuery(i: number, id: number): Buffer {
  const name = encodeName(warmupName(i));
  const opt = i % 3 !== 0;
  const cookie = opt && i % 4 === 2;
  const out = Buffer.alloc(12 + name.length + 4 + (opt ? 11 + (cookie ? 12 : 0) : 0));
  out.writeUInt16BE(id & 0xffff, 0);
  out.writeUInt16BE(0x0100, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  let o = 12 + name.copy(out, 12);
  out.writeUInt16BE(i % 4 === 3 ? AAAA : A, o);
  out.writeUInt16BE(IN, o + 2);
  o += 4;
  if (opt) {
    out[o] = 0;
    out.writeUInt16BE(OPT, o + 1);
    out.writeUInt16BE(1232, o + 3);
    out.writeUInt16BE(cookie ? 12 : 0, o + 9);
    o += 11;
    if (cookie) {
      out.writeUInt16BE(COOKIE, o);
      out.writeUInt16BE(8, o + 2);
      out.writeUInt32BE((0x9e3779b9 ^ i) >>> 0, o + 4);
      out.writeUInt32BE(i, o + 8);
    }
  }
  return out;
}
