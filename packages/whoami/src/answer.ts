import { isIP } from 'node:net';
import { DnsMessage, FLAG_AA, FLAG_CD, FLAG_RD, typeName, type QueryContext } from '@dnsmesh/core';

/**
 * CoreDNS's whoami reply: no answer; in additional, the client's address as an A or AAAA record
 * for the question name, and `_udp.NAME` or `_tcp.NAME` SRV with the client's source port and
 * NAME as target. TTL 0 (it must never be cached), AA set.
 */
export function whoamiReply(ctx: QueryContext): DnsMessage {
  const request = ctx.request;
  const q = request.question!;
  const { address, port, transport } = ctx.client;
  const ip = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const name = q.name === '' ? '.' : q.name;
  const klass = q.class === 3 ? 'CH' : 'IN';
  return DnsMessage.fromPacket({
    id: request.id,
    type: 'response',
    flags: FLAG_AA | (request.flags & (FLAG_RD | FLAG_CD)),
    questions: [{ name, type: typeName(q.type), class: klass }],
    answers: [],
    additionals: [
      { name, type: isIP(ip) === 6 ? 'AAAA' : 'A', class: klass, ttl: 0, data: ip },
      { name: q.name === '' ? `_${transport}` : `_${transport}.${q.name}`, type: 'SRV', class: klass, ttl: 0, data: { priority: 0, weight: 0, port, target: name } },
    ] as never,
  });
}
