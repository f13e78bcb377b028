// One query in, one reply out: header flags, EDNS echo and trimming around answer() (notes §2).
import dnsPacket from 'dns-packet';
import type { Answer, Decoded, EdnsOption, Packet } from 'dns-packet';
import { answer, type AnswerContext, type Rcode, type Sections } from './answer.js';
import { parseName } from './names.js';
import { trimTcp, trimUdp, udpLimit } from './truncate.js';

const RCODES: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

export type Transport = 'udp' | 'tcp';

/** The reply bytes, or undefined for a packet too short to answer. */
export function respond(query: Buffer, transport: Transport, ctx: AnswerContext): Buffer | undefined {
  let req: Decoded;
  try {
    req = dnsPacket.decode(query);
  } catch {
    return query.length >= 12 ? headerOnly(query, RCODES.FORMERR) : undefined;
  }
  ctx.counters.dns_queries++;
  ctx.counters[transport === 'udp' ? 'dns_queries_udp' : 'dns_queries_tcp']++;
  const { cfg } = ctx;
  const q = req.questions[0];
  if (req.opcode !== 'QUERY' || q === undefined) {
    return headerOnly(query, req.opcode !== 'QUERY' ? RCODES.NOTIMP : RCODES.FORMERR);
  }
  const owner = cfg.variant === 'v2' ? q.name.toLowerCase() : q.name;
  const parsed = parseName(q.name, q.type, cfg);
  const out: Sections = parsed === undefined
    // Outside the domains: recursors would get it; the simulator never recurses, so they "fail".
    ? { rcode: cfg.recursors.length > 0 ? 'SERVFAIL' : 'REFUSED', answers: [], authorities: [], additionals: [] }
    : answer(owner, q.type, parsed.lookup, parsed.domain, ctx);
  const authoritative = parsed !== undefined && !(out.rcode === 'SERVFAIL' && cfg.variant === 'v2');
  const reply: Packet = {
    id: req.id ?? 0,
    type: 'response',
    flags: (req.flag_rd ? dnsPacket.RECURSION_DESIRED : 0)
      | (authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0)
      | (cfg.recursors.length > 0 ? dnsPacket.RECURSION_AVAILABLE : 0)
      | RCODES[out.rcode],
    questions: [{ name: owner, type: q.type, class: q.class ?? 'IN' }],
    answers: out.answers, authorities: out.authorities, additionals: out.additionals,
  };
  const opt = req.additionals.find((rr) => rr.type === 'OPT');
  const echo = opt === undefined ? undefined : ednsEcho(opt);
  // v1 adds the OPT before trimming, so trimming can drop it; v2 adds it after.
  if (echo !== undefined && cfg.variant === 'v1') reply.additionals.push(echo);
  const trimmed = transport === 'udp'
    ? trimUdp(reply, udpLimit(opt?.udpPayloadSize), cfg.udpAnswerLimit)
    : trimTcp(reply, q.type);
  if (trimmed && cfg.enableTruncate) reply.flags! |= dnsPacket.TRUNCATED_RESPONSE;
  if (echo !== undefined && cfg.variant === 'v2') reply.additionals.push(echo);
  return dnsPacket.encode(reply);
}

/** Echo the client's UDP size, and its client subnet with scope 0 (the answer is global). */
function ednsEcho(opt: Answer): Answer {
  const options: EdnsOption[] = [];
  const ecs = opt.options?.find((o) => o.code === 8 || o.code === 'CLIENT_SUBNET');
  if (ecs !== undefined && ecs.ip !== undefined) {
    options.push({
      code: 'CLIENT_SUBNET', family: ecs.family ?? 1, sourcePrefixLength: ecs.sourcePrefixLength ?? 0,
      scopePrefixLength: 0, ip: ecs.ip,
    });
  }
  return { name: '.', type: 'OPT', udpPayloadSize: opt.udpPayloadSize ?? 512, flags: 0, options };
}

/** A reply with the query's ID, opcode and RD, no sections, and the given rcode. */
function headerOnly(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  out.writeUInt16BE(0x8000 | (query.readUInt16BE(2) & 0x7900) | rcode, 2); // QR, opcode, RD
  return out;
}
