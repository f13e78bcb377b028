import { randomBytes } from 'node:crypto';
import * as dnsPacket from 'dns-packet';
import { questionEnd } from './fake-reply.js';
import { fakeUpstream, type FakeUpstream, type FakeUpstreamOptions, type QueryInfo } from './fake-upstream.js';
import type { DecodedPacket, DnsRecord } from './message.js';
import { normalizeName, type RecordTable } from './record-table.js';

/**
 * What a hostile (or just broken) upstream does instead of answering honestly. Every reply keeps the
 * query's ID and comes from the upstream's own address and port (a spoofer off-path cannot do
 * better), unless the behaviour is the lie itself ('wrong-id', 'wrong-question').
 */
export type Hostility =
  /** The record table's reply, unchanged. */
  | 'honest'
  /** Never answers. */
  | 'silence'
  /** The query's ID and QR=1, then random bytes (12-400 in all). */
  | 'garbage'
  /** 1-11 bytes: shorter than a header. */
  | 'short'
  /** An answer CNAME whose RDATA is a compression pointer to itself. */
  | 'pointer-loop'
  /** An answer CNAME whose RDATA points forward, past the end of the message. */
  | 'pointer-forward'
  /** The honest reply with another ID. */
  | 'wrong-id'
  /** The honest reply for another name (the first letter of the question changed). */
  | 'wrong-question'
  /** The honest reply plus `. NS ns.evil.` in authority and `ns.evil. A 203.0.113.66` in additional. */
  | 'inject-root-ns'
  /** The honest reply plus an unrelated `victim.test. A 203.0.113.66` in answer and additional. */
  | 'inject-answer'
  /** Header only, no question (as NSD answers a query it cannot parse). */
  | 'formerr-no-question'
  | 'notimp-no-question'
  | 'refused-no-question'
  | 'servfail-no-question'
  /** The honest reply with every TTL's top bit set (RFC 2181 §8: such a TTL means 0). */
  | 'ttl-top-bit'
  /** The honest reply with every TTL 2^31-1 (legal, far above any cache's max TTL). */
  | 'ttl-huge'
  /** The honest reply with TC=1 and its last record cut in half (counts unchanged). */
  | 'tc-cut'
  /** The honest reply with ANCOUNT one higher than the records present. */
  | 'count-lie';

export const HOSTILITIES: readonly Hostility[] = [
  'honest', 'silence', 'garbage', 'short', 'pointer-loop', 'pointer-forward', 'wrong-id', 'wrong-question',
  'inject-root-ns', 'inject-answer', 'formerr-no-question', 'notimp-no-question', 'refused-no-question',
  'servfail-no-question', 'ttl-top-bit', 'ttl-huge', 'tc-cut', 'count-lie',
];

export interface HostileUpstream extends FakeUpstream {
  /** Behave so for every name, or (with `name`) for that name only; 'honest' undoes it. */
  behave(hostility: Hostility, name?: string): void;
  /** The behaviour for a name now. */
  hostilityFor(name: string): Hostility;
}

/**
 * A fakeUpstream that lies, breaks and stays silent on request: the broken or hostile upstream an
 * issue-15 test needs. Per-name behaviours win over the default one.
 *
 * @example
 * const up = await hostileUpstream({ 'www.test A': { ttl: 300, data: ['192.0.2.1'] } }, { hostility: 'pointer-loop' });
 * up.behave('honest', 'www.test');
 */
export async function hostileUpstream(
  zone: RecordTable = {}, opts: FakeUpstreamOptions & { hostility?: Hostility } = {},
): Promise<HostileUpstream> {
  let fallback: Hostility = opts.hostility ?? 'honest';
  const byName = new Map<string, Hostility>();
  const upstream = await fakeUpstream(zone, {
    ...opts,
    onQuery: (query, info) => {
      const name = normalizeName(query.questions[0]!.name);
      return misbehave(byName.get(name) ?? fallback, query, info);
    },
  });
  return Object.assign(upstream, {
    behave(hostility: Hostility, name?: string) {
      if (name === undefined) fallback = hostility;
      else if (hostility === 'honest' && fallback === 'honest') byName.delete(normalizeName(name));
      else byName.set(normalizeName(name), hostility);
    },
    hostilityFor(name: string): Hostility {
      return byName.get(normalizeName(name)) ?? fallback;
    },
  });
}

/** The bytes a hostile upstream sends for `query` (undefined: the honest reply; 'drop': nothing). */
export function misbehave(hostility: Hostility, query: DecodedPacket, info: QueryInfo): Buffer | 'drop' | undefined {
  const raw = info.raw;
  switch (hostility) {
    case 'honest': return undefined;
    case 'silence': return 'drop';
    case 'garbage': {
      const out = randomBytes(12 + Math.floor(Math.random() * 389));
      raw.copy(out, 0, 0, 2);
      out[2] = out[2]! | 0x80;
      return out;
    }
    case 'short': return Buffer.from(raw.subarray(0, 1 + Math.floor(Math.random() * 11)));
    case 'pointer-loop': return cnameWithPointer(raw, (rdataAt) => rdataAt);
    case 'pointer-forward': return cnameWithPointer(raw, (rdataAt) => rdataAt + 100);
    case 'wrong-id': {
      const out = info.reply();
      out.writeUInt16BE(out.readUInt16BE(0) ^ 0x5a5a, 0);
      return out;
    }
    case 'wrong-question': {
      const out = info.reply();
      if (out[12]! > 0) out[13] = out[13] === 0x71 ? 0x7a : 0x71; // 'q' (or 'z' when it was 'q')
      return out;
    }
    case 'inject-root-ns': return withExtra(info.reply(), {
      authorities: [{ name: '.', type: 'NS', ttl: 86400, data: 'ns.evil' }],
      additionals: [{ name: 'ns.evil', type: 'A', ttl: 86400, data: '203.0.113.66' }],
    });
    case 'inject-answer': return withExtra(info.reply(), {
      answers: [{ name: 'victim.test', type: 'A', ttl: 86400, data: '203.0.113.66' }],
      additionals: [{ name: 'victim.test', type: 'A', ttl: 86400, data: '203.0.113.66' }],
    });
    case 'formerr-no-question': return headerOnly(raw, 1);
    case 'servfail-no-question': return headerOnly(raw, 2);
    case 'notimp-no-question': return headerOnly(raw, 4);
    case 'refused-no-question': return headerOnly(raw, 5);
    case 'ttl-top-bit': return withTtls(info.reply(), (ttl) => (ttl | 0x80000000) >>> 0);
    case 'ttl-huge': return withTtls(info.reply(), () => 0x7fffffff);
    case 'tc-cut': {
      const out = info.reply();
      const answers = out.readUInt16BE(6);
      if (answers === 0) return headerOnly(raw, 0, 0x0200);
      const { start, end } = answerSpan(out, answers - 1);
      const cut = Buffer.from(out.subarray(0, start + Math.max(1, Math.floor((end - start) / 2))));
      cut[2] = cut[2]! | 0x02;
      cut.writeUInt16BE(0, 8);
      cut.writeUInt16BE(0, 10);
      return cut;
    }
    case 'count-lie': {
      const out = info.reply();
      out.writeUInt16BE(out.readUInt16BE(6) + 1, 6);
      return out;
    }
  }
}

/** A 12-byte reply: the query's ID, opcode and RD, QR set, the rcode, every count 0. */
function headerOnly(raw: Buffer, rcode: number, extraFlags = 0): Buffer {
  const out = Buffer.alloc(12);
  raw.copy(out, 0, 0, 2);
  out.writeUInt16BE(0x8000 | (raw.readUInt16BE(2) & 0x7900) | extraFlags | rcode, 2);
  return out;
}

/** A reply with one answer: `qname CNAME <pointer>` where the pointer's target is `target(rdataAt)`. */
function cnameWithPointer(raw: Buffer, target: (rdataAt: number) => number): Buffer {
  const qEnd = questionEnd(raw);
  const out = Buffer.alloc(qEnd + 14);
  raw.copy(out, 0, 0, qEnd);
  out.writeUInt16BE(0x8400 | (raw.readUInt16BE(2) & 0x7910), 2); // QR AA, opcode RD CD echoed
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(1, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  let at = qEnd;
  out.writeUInt16BE(0xc00c, at); at += 2;          // owner: the question name
  out.writeUInt16BE(5, at); at += 2;               // CNAME
  out.writeUInt16BE(1, at); at += 2;               // IN
  out.writeUInt32BE(300, at); at += 4;
  out.writeUInt16BE(2, at); at += 2;
  out.writeUInt16BE(0xc000 | (target(at) & 0x3fff), at);
  return out;
}

/** The reply with records added (decoded and encoded again: a test upstream's own reply, never an upstream's). */
function withExtra(reply: Buffer, extra: { answers?: DnsRecord[]; authorities?: DnsRecord[]; additionals?: DnsRecord[] }): Buffer {
  const packet = dnsPacket.decode(reply);
  const opt = packet.additionals.filter((r) => r.type === 'OPT');
  packet.answers = [...packet.answers, ...(extra.answers ?? [])];
  packet.authorities = [...packet.authorities, ...(extra.authorities ?? [])];
  packet.additionals = [...packet.additionals.filter((r) => r.type !== 'OPT'), ...(extra.additionals ?? []), ...opt];
  const out = dnsPacket.encode(packet);
  // Keep the question bytes exactly as the query had them (dns-packet re-encodes names).
  const qEnd = questionEnd(reply);
  return Buffer.concat([out.subarray(0, 12), reply.subarray(12, qEnd), out.subarray(questionEnd(out))]);
}

/** The reply with each record's TTL (OPT excluded) replaced by `f(ttl)`, bytes otherwise unchanged. */
function withTtls(reply: Buffer, f: (ttl: number) => number): Buffer {
  const out = Buffer.from(reply);
  let at = questionEnd(out);
  const count = out.readUInt16BE(6) + out.readUInt16BE(8) + out.readUInt16BE(10);
  for (let i = 0; i < count; i++) {
    at = skipName(out, at);
    const type = out.readUInt16BE(at);
    if (type !== 41) out.writeUInt32BE(f(out.readUInt32BE(at + 4)), at + 4);
    at += 10 + out.readUInt16BE(at + 8);
  }
  return out;
}

/** Where record `index` of a well-formed reply starts and ends. */
function answerSpan(reply: Buffer, index: number): { start: number; end: number } {
  let at = questionEnd(reply);
  let start = at;
  for (let i = 0; i <= index; i++) {
    start = at;
    at = skipName(reply, at);
    at += 10 + reply.readUInt16BE(at + 8);
  }
  return { start, end: at };
}

function skipName(buf: Buffer, at: number): number {
  for (;;) {
    const len = buf[at]!;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
}
