import type { Kind } from './queries.js';

/**
 * The warm-up's upstream: a reply made from the query's bytes, shaped by the first letter of the
 * first label (./queries.ts): `c` one record with its owner compressed (as Unbound and Consul
 * send), `u` one with the owner written out, `t` two records, `x` NXDOMAIN with a SOA at the root.
 * RD and CD are echoed, RA set, and an OPT of 1232 bytes (DO echoed) when the query had one.
 * Returns undefined for anything it does not expect, which then goes unanswered.
 */
export function warmupAnswer(q: Buffer): Buffer | undefined {
  if (q.length < 17 || (q[2]! & 0xf8) !== 0 || q.readUInt16BE(4) !== 1) return undefined;
  let o = 12;
  while (o < q.length && q[o] !== 0) {
    if (q[o]! > 63) return undefined;
    o += 1 + q[o]!;
  }
  const nameEnd = o + 1;
  if (nameEnd + 4 > q.length || nameEnd - 12 < 2) return undefined;
  const type = q.readUInt16BE(nameEnd);
  if (type !== A && type !== AAAA) return undefined;
  const qEnd = nameEnd + 4;
  const opt = q.readUInt16BE(10) === 1 && qEnd + 11 <= q.length && q[qEnd] === 0 && q.readUInt16BE(qEnd + 1) === OPT;
  const kind = String.fromCharCode(q[13]! | 0x20) as Kind;
  const nameLength = nameEnd - 12;
  const rdLength = type === A ? 4 : 16;
  const owner = kind === 'u' ? nameLength : 2;
  const answers = kind === 'x' ? 0 : kind === 't' ? 2 : 1;
  const size = qEnd + answers * (owner + 10 + rdLength) + (kind === 'x' ? SOA_LENGTH : 0) + (opt ? 11 : 0);
  const out = Buffer.alloc(size);
  q.copy(out, 0, 0, qEnd);
  out[2] = 0x80 | (q[2]! & 0x01);
  out[3] = 0x80 | (q[3]! & 0x10) | (kind === 'x' ? NXDOMAIN : 0);
  out.writeUInt16BE(answers, 6);
  out.writeUInt16BE(kind === 'x' ? 1 : 0, 8);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  o = qEnd;
  for (let k = 0; k < answers; k++) {
    if (kind === 'u') o += q.copy(out, o, 12, nameEnd);
    else { out.writeUInt16BE(0xc00c, o); o += 2; }
    out.writeUInt16BE(type, o);
    out.writeUInt16BE(IN, o + 2);
    out.writeUInt32BE(60 + k, o + 4);
    out.writeUInt16BE(rdLength, o + 8);
    o += 10;
    // 192.0.2.0/24 and 2001:db8::/32 (documentation addresses, RFC 5737 and 3849).
    if (type === A) { out[o] = 192; out[o + 2] = 2; out[o + 3] = 1 + k; } else { out.writeUInt32BE(0x20010db8, o); out[o + 15] = 1 + k; }
    o += rdLength;
  }
  if (kind === 'x') {
    // The root's SOA: owner, type, class, TTL, rdlength, MNAME and RNAME the root, five numbers.
    out[o] = 0;
    out.writeUInt16BE(SOA, o + 1);
    out.writeUInt16BE(IN, o + 3);
    out.writeUInt32BE(60, o + 5);
    out.writeUInt16BE(22, o + 9);
    out.writeUInt32BE(2026120401, o + 13);
    out.writeUInt32BE(1800, o + 17);
    out.writeUInt32BE(900, o + 21);
    out.writeUInt32BE(604800, o + 25);
    out.writeUInt32BE(60, o + 29);
    o += SOA_LENGTH;
  }
  if (opt) {
    out[o] = 0;
    out.writeUInt16BE(OPT, o + 1);
    out.writeUInt16BE(1232, o + 3);
    out[o + 7] = q[qEnd + 7]! & 0x80;
  }
  return out;
}

const A = 1;
const AAAA = 28;
const SOA = 6;
const IN = 1;
const OPT = 41;
const NXDOMAIN = 3;
/** Root owner (1), type, class, TTL, rdlength (10), two root names (2), five numbers (20). */
const SOA_LENGTH = 33;
