import { decodePacket, DnsMessage, Rcode, RRType } from '@dnsmesh/core';
import { buildQuery } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { addrReply, apexReply, negativeReply, nodeReply, serviceReply, shuffled, srvTarget } from './answer.js';
import type { Instance, SrvPlan } from './view.js';

function request(name: string, type: string): DnsMessage {
  return new DnsMessage(buildQuery(name, type, { id: 4242 }));
}

const inst = (n: number, over: Partial<Instance> = {}): Instance => {
  const address = over.address ?? `10.0.0.${n}`;
  const byType = { a: address, aaaa: address, any: address };
  const srv: SrvPlan = over.srv ?? { target: 'node', ip: address, family: 4 };
  return {
    node: `node-${n}`, address, family: 4, ownAddress: false, port: 8000 + n, tags: [], weight: 1, datacenter: 'dc1',
    byType, srv, service: 'web', namespace: '', wan: { byType, srv, port: 8000 + n }, ...over,
  };
};

describe('answers', () => {
  it('writes A records owned by the question name (pointers to the client\'s own bytes)', () => {
    const req = request('Web.Service.Consul', 'A');
    const reply = serviceReply({ request: req, zone: 'consul.', ttl: 5 }, RRType.A, [inst(1), inst(2), inst(2)]);
    const p = decodePacket(reply.bytes);
    expect(reply.id).toBe(4242);
    expect(reply.aa).toBe(true);
    expect(reply.rd).toBe(true);
    expect(p.answers!.map((a) => [a.name, a.ttl, a.data]).sort()).toEqual([['Web.Service.Consul', 5, '10.0.0.1'], ['Web.Service.Consul', 5, '10.0.0.2']]);
    expect(reply.bytes.length).toBe(req.bytes.length + 2 * (2 + 10 + 4));  // every owner is a 2-byte pointer
  });

  it('writes SRV with uncompressed targets, and glue that points into them', () => {
    const list = Array.from({ length: 40 }, (_, i) => inst(i + 1));
    const reply = serviceReply({ request: request('web.service.consul', 'SRV'), zone: 'consul.', ttl: 5 }, RRType.SRV, list);
    const p = decodePacket(reply.bytes);
    expect(p.answers).toHaveLength(40);
    expect(p.additionals).toHaveLength(40);
    const targets = new Map(p.answers!.map((a) => [(a.data as { target: string }).target, a.data]));
    expect(targets.get('node-7.node.dc1.consul')).toEqual({ priority: 1, weight: 1, port: 8007, target: 'node-7.node.dc1.consul' });
    for (const g of p.additionals!) expect(targets.has(g.name)).toBe(true);
    const glue7 = p.additionals!.find((g) => g.name === 'node-7.node.dc1.consul');
    expect(glue7).toMatchObject({ type: 'A', data: '10.0.0.7', ttl: 5 });
    // Compression: each glue owner is one pointer, each SRV target spells only its first labels.
    expect(reply.bytes.length).toBeLessThan(40 * 60);
  });

  it('uses Consul\'s .addr target and AAAA glue for instances with their own address', () => {
    const v6 = inst(1, { address: '2001:db8::1', family: 6, ownAddress: true, srv: { target: 'addr', ip: '2001:db8::1', family: 6 } });
    expect(srvTarget(v6, v6, 'consul.')).toBe('20010db8000000000000000000000001.addr.dc1.consul.');
    const host = inst(2, { address: 'db.example.com', family: 0, ownAddress: true, srv: { target: 'host', host: 'db.example.com' } });
    expect(srvTarget(host, host, 'consul.')).toBe('db.example.com.');
    // A service address equal to its node's: Consul 1.19+ names the service (and its namespace when not default).
    const same = inst(3, { srv: { target: 'service', ip: '10.0.0.3', family: 4 } });
    expect(srvTarget(same, same, 'consul.')).toBe('web.service.dc1.consul.');
    expect(srvTarget({ ...same, namespace: 'team' }, same, 'consul.')).toBe('web.service.team.dc1.consul.');
    const reply = serviceReply({ request: request('web.service.consul', 'SRV'), zone: 'consul.', ttl: 5 }, RRType.SRV, [v6]);
    expect(decodePacket(reply.bytes).additionals).toMatchObject([{ type: 'AAAA', name: '20010db8000000000000000000000001.addr.dc1.consul', data: '2001:db8::1' }]);
  });

  it('gives NXDOMAIN for no instance and NODATA for a type with no record, both with the SOA', () => {
    const scope = { request: request('web.service.consul', 'AAAA'), zone: 'consul.', ttl: 7 };
    const nodata = decodePacket(serviceReply(scope, RRType.AAAA, [inst(1)]).bytes);
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.answers).toEqual([]);
    expect(nodata.authorities).toMatchObject([{ type: 'SOA', name: 'consul', ttl: 7, data: { mname: 'ns.consul', rname: 'hostmaster.consul', refresh: 3600, retry: 600, expire: 86400, minimum: 7 } }]);
    const nx = serviceReply(scope, RRType.A, []);
    expect(nx.rcode).toBe(Rcode.NXDOMAIN);
    expect(negativeReply(scope, Rcode.NXDOMAIN).nscount).toBe(1);
  });

  it('answers nodes (A, TXT meta), .addr names and the apex', () => {
    const node = { name: 'db-1', address: '10.2.0.1', family: 4 as const, datacenter: 'dc1', byType: { a: '10.2.0.1', aaaa: '10.2.0.1', any: '10.2.0.1' }, wanByType: { a: '10.2.0.1', aaaa: '10.2.0.1', any: '10.2.0.1' }, meta: { rack: 'r7', 'a=b': 'c', 'rfc1035-x': 'raw' } };
    const txt = decodePacket(nodeReply({ request: request('db-1.node.consul', 'TXT'), zone: 'consul.', ttl: 5 }, RRType.TXT, node).bytes);
    expect(txt.answers!.map((a) => String(a.data))).toEqual(['rack=r7', 'a`=b=c', 'raw']);
    const any = decodePacket(nodeReply({ request: request('db-1.node.consul', 'ANY'), zone: 'consul.', ttl: 5 }, RRType.ANY, node).bytes);
    expect(any.answers!.map((a) => a.type)).toEqual(['A', 'TXT', 'TXT', 'TXT']);
    expect(nodeReply({ request: request('x.node.consul', 'A'), zone: 'consul.', ttl: 5 }, RRType.A, undefined).rcode).toBe(Rcode.NXDOMAIN);
    const addr = decodePacket(addrReply({ request: request('0a000105.addr.consul', 'A'), zone: 'consul.', ttl: 5 }, RRType.A, '10.0.1.5', 4).bytes);
    expect(addr.answers).toMatchObject([{ type: 'A', data: '10.0.1.5' }]);
    const soa = decodePacket(apexReply({ request: request('consul', 'SOA'), zone: 'consul.', ttl: 5 }, RRType.SOA).bytes);
    expect(soa.answers).toMatchObject([{ type: 'SOA', name: 'consul' }]);
  });

  it('shuffles into every order over many replies, without losing or repeating', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const s = shuffled([1, 2, 3]);
      expect([...s].sort()).toEqual([1, 2, 3]);
      seen.add(s.join(''));
    }
    expect(seen.size).toBe(6);
  });
});
