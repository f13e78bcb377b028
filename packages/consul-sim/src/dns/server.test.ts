import { describe, expect, it, onTestFinished } from 'vitest';
import type { Answer, SrvData, SoaData } from 'dns-packet';
import { startConsulSim } from '../sim.js';
import type { SimOptions } from '../options.js';
import { tcp, txt, udp } from '../testing/dig.js';

async function sim(opts: SimOptions = {}) {
  const s = await startConsulSim({ seed: 7, ...opts });
  onTestFinished(() => s.close());
  return s;
}

/** web on three nodes (n1 tagged primary), one of them with its own service address. */
async function small(opts: SimOptions = {}) {
  const s = await sim(opts);
  s.registerNode({ name: 'n1', address: '10.0.1.1', meta: { availability_zone: 'us-west-2a' } });
  s.registerNode({ name: 'n2', address: '10.0.1.2' });
  s.registerNode({ name: 'n3', address: '10.0.1.3' });
  s.registerService({ id: 'web-1', name: 'web', node: 'n1', port: 8080, tags: ['primary'] });
  s.registerService({ id: 'web-2', name: 'web', node: 'n2', port: 8081 });
  s.registerService({ id: 'web-3', name: 'web', node: 'n3', port: 8082, address: '10.9.0.3' });
  return s;
}

const data = (rrs: Answer[]) => rrs.map((r) => r.data);

describe('names and record types', () => {
  it('answers a service with one A per healthy instance, AA set, RD echoed, TTL 0', async () => {
    const s = await small();
    const r = await udp(s.dnsAddress, 'web.service.consul', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r).toMatchObject({ flag_aa: true, flag_rd: true, flag_ra: false, flag_tc: false });
    expect(data(r.answers).sort()).toEqual(['10.0.1.1', '10.0.1.2', '10.9.0.3']);
    expect(r.answers.every((a) => a.ttl === 0 && a.name === 'web.service.consul')).toBe(true);
    const noRd = await udp(s.dnsAddress, 'web.service.consul', 'A', { rd: false });
    expect(noRd.flag_rd).toBe(false);
  });

  it('filters by tag, in both the plain and the RFC 2782 forms, case-insensitively', async () => {
    const s = await small();
    expect(data((await udp(s.dnsAddress, 'PRIMARY.web.service.dc1.consul', 'A')).answers)).toEqual(['10.0.1.1']);
    const srv = await udp(s.dnsAddress, '_web._primary.service.consul', 'SRV');
    expect(data(srv.answers)).toEqual([{ priority: 1, weight: 1, port: 8080, target: 'n1.node.dc1.consul' }]);
    expect((await udp(s.dnsAddress, '_web._tcp.consul', 'SRV')).answers).toHaveLength(3);
    expect((await udp(s.dnsAddress, 'canary.web.service.consul', 'A')).rcode).toBe('NXDOMAIN');
  });

  it('lowercases the question and owner names (v2), keeps them as asked in v1', async () => {
    const s = await small();
    const r = await udp(s.dnsAddress, 'WEB.Service.Consul', 'A');
    expect(r.questions[0]!.name).toBe('web.service.consul');
    expect(r.answers[0]!.name).toBe('web.service.consul');
    const old = await small({ dns_variant: 'v1' });
    const r1 = await udp(old.dnsAddress, 'WEB.Service.Consul', 'A');
    expect(r1.answers[0]!.name).toBe('WEB.Service.Consul');
  });

  it('gives SRV targets NODE.node.DC.consul, or HEX.addr.DC.consul for a service address, with glue and node-meta TXT', async () => {
    const s = await small();
    const r = await udp(s.dnsAddress, 'web.service.consul', 'SRV', { edns: 4096 });
    const targets = r.answers.map((a) => (a.data as SrvData).target).sort();
    expect(targets).toEqual(['0a090003.addr.dc1.consul', 'n1.node.dc1.consul', 'n2.node.dc1.consul']);
    const glue = r.additionals.filter((a) => a.type === 'A').map((a) => [a.name, a.data]);
    expect(glue).toEqual(expect.arrayContaining([['n1.node.dc1.consul', '10.0.1.1'], ['0a090003.addr.dc1.consul', '10.9.0.3']]));
    const n1Txt = r.additionals.filter((a) => a.type === 'TXT' && a.name === 'n1.node.dc1.consul').map(txt);
    expect(n1Txt).toEqual(['consul-network-segment=', 'consul-version=1.19.2', 'availability_zone=us-west-2a']);
    // The addr-form target's node still gets its TXT under the node name.
    expect(r.additionals.some((a) => a.type === 'TXT' && a.name === 'n3.node.dc1.consul')).toBe(true);
  });

  it('leaves node-meta TXT out of the SRV additional section when the option is off', async () => {
    const s = await small({ dns_config: { enable_additional_node_meta_txt: false } });
    const r = await udp(s.dnsAddress, 'web.service.consul', 'SRV');
    expect(r.additionals.map((a) => a.type)).toEqual(['A', 'A', 'A']);
  });

  it('uses Weights.Warning for an instance whose aggregate status is warning', async () => {
    const s = await sim();
    s.registerNode({ name: 'n1', address: '10.0.1.1' });
    s.registerService({ id: 'w', name: 'web', node: 'n1', port: 80, weights: { passing: 10, warning: 2 } });
    expect((await udp(s.dnsAddress, 'web.service.consul', 'SRV')).answers[0]!.data).toMatchObject({ weight: 10 });
    s.setCheck({ node: 'n1', serviceId: 'w', status: 'warning' });
    expect((await udp(s.dnsAddress, 'web.service.consul', 'SRV')).answers[0]!.data).toMatchObject({ weight: 2 });
  });

  it('answers nodes: A with meta TXT in Additional, TXT and ANY with TXT in Answer', async () => {
    const s = await small();
    const a = await udp(s.dnsAddress, 'n1.node.consul', 'A');
    expect(data(a.answers)).toEqual(['10.0.1.1']);
    expect(a.additionals.map(txt)).toContain('availability_zone=us-west-2a');
    const t = await udp(s.dnsAddress, 'n1.node.dc1.consul', 'TXT');
    expect(t.answers.map(txt)).toEqual(['consul-network-segment=', 'consul-version=1.19.2', 'availability_zone=us-west-2a']);
    const any = await udp(s.dnsAddress, 'n1.node.consul', 'ANY', { edns: 1232 });
    expect(any.answers.map((x) => x.type)).toEqual(['A', 'TXT', 'TXT', 'TXT']);
    // Without EDNS the count cut applies to any reply, node ones included.
    expect((await udp(s.dnsAddress, 'n1.node.consul', 'ANY')).answers).toHaveLength(3);
    expect((await udp(s.dnsAddress, 'nobody.node.consul', 'A')).rcode).toBe('NXDOMAIN');
  });

  it('escapes meta keys as RFC 1464 and gives rfc1035- keys bare', async () => {
    const s = await sim();
    s.registerNode({ name: 'n1', address: '10.0.1.1', meta: { 'a=b': '1', 'rfc1035-raw': 'v=spf1' } });
    const t = await udp(s.dnsAddress, 'n1.node.consul', 'TXT', { edns: 1232 });
    expect(t.answers.map(txt).slice(2)).toEqual(['a`=b=1', 'v=spf1']);
  });

  it('answers .addr names with the address they encode', async () => {
    const s = await sim();
    expect(data((await udp(s.dnsAddress, '0a000105.addr.dc1.consul', 'A')).answers)).toEqual(['10.0.1.5']);
    const v6 = await udp(s.dnsAddress, '20010db8000000000000000000000001.addr.consul', 'AAAA');
    expect(data(v6.answers)).toEqual(['2001:db8::1']);
    expect((await udp(s.dnsAddress, '0a000105.addr.consul', 'AAAA')).answers).toEqual([]);
    // Consul ignores the datacenter of an .addr name, even one it has no path to.
    expect(data((await udp(s.dnsAddress, '0a000105.addr.nowhere.consul', 'A')).answers)).toEqual(['10.0.1.5']);
  });

  it('answers PTR for a node address (NODE.node.DC), else a service address (NAME.service), TTL 0; NXDOMAIN for others', async () => {
    const s = await small();
    const node = await udp(s.dnsAddress, '1.1.0.10.in-addr.arpa', 'PTR');
    expect(node).toMatchObject({ rcode: 'NOERROR', flag_aa: true });
    expect(node.answers.map((a) => [a.type, a.data, a.ttl])).toEqual([['PTR', 'n1.node.dc1.consul', 0]]);
    const svc = await udp(s.dnsAddress, '3.0.9.10.in-addr.arpa', 'PTR');
    expect(svc.answers.map((a) => a.data)).toEqual(['web.service.consul']);
    expect((await udp(s.dnsAddress, '9.9.9.10.in-addr.arpa', 'PTR')).rcode).toBe('NXDOMAIN');
    expect((await udp(s.dnsAddress, '0.10.in-addr.arpa', 'PTR')).rcode).toBe('NXDOMAIN');
    s.registerNode({ name: 'v6', address: '2001:db8::7' });
    const v6 = await udp(s.dnsAddress, `${'20010db8000000000000000000000007'.split('').reverse().join('.')}.ip6.arpa`, 'PTR');
    expect(v6.answers.map((a) => a.data)).toEqual(['v6.node.dc1.consul']);
  });

  it('names the service as SRV target when its address equals its node\'s (v2, Consul 1.19+), the node in v1', async () => {
    const s = await sim();
    s.registerNode({ name: 'n1', address: '10.0.1.1' });
    s.registerService({ id: 'api-1', name: 'api', node: 'n1', port: 9000, address: '10.0.1.1' });
    const r = await udp(s.dnsAddress, 'api.service.consul', 'SRV', { edns: 4096 });
    expect(r.answers.map((a) => (a.data as SrvData).target)).toEqual(['api.service.dc1.consul']);
    expect(r.additionals.filter((a) => a.type === 'A').map((a) => [a.name, a.data])).toEqual([['api.service.dc1.consul', '10.0.1.1']]);
    const v1 = await sim({ dns_variant: 'v1' });
    v1.registerNode({ name: 'n1', address: '10.0.1.1' });
    v1.registerService({ id: 'api-1', name: 'api', node: 'n1', port: 9000, address: '10.0.1.1' });
    const r1 = await udp(v1.dnsAddress, 'api.service.consul', 'SRV', { edns: 4096 });
    expect(r1.answers.map((a) => (a.data as SrvData).target)).toEqual(['n1.node.dc1.consul']);
  });

  it('takes tagged addresses for SRV targets and glue, lan_ipv6 first (any family accepted)', async () => {
    const s = await sim();
    s.registerNode({ name: 'n1', address: '10.0.1.1', taggedAddresses: { lan_ipv6: 'fd00::1' } });
    s.registerService({ id: 'a-1', name: 'a', node: 'n1', port: 1 });
    s.registerService({ id: 'b-1', name: 'b', node: 'n1', port: 2, address: '10.0.1.1', taggedAddresses: { lan_ipv6: { address: 'fd00::b' } } });
    const a = await udp(s.dnsAddress, 'a.service.consul', 'SRV', { edns: 4096 });
    expect(a.answers.map((x) => (x.data as SrvData).target)).toEqual(['n1.node.dc1.consul']);
    expect(a.additionals.filter((x) => x.type === 'AAAA').map((x) => [x.name, x.data])).toEqual([['n1.node.dc1.consul', 'fd00::1']]);
    const b = await udp(s.dnsAddress, 'b.service.consul', 'SRV', { edns: 4096 });
    expect(b.answers.map((x) => (x.data as SrvData).target)).toEqual(['fd00000000000000000000000000000b.addr.dc1.consul']);
    expect(b.additionals.filter((x) => x.type === 'AAAA').map((x) => x.data)).toEqual(['fd00::b']);
  });

  it('answers SOA and NS at the apex, with the server as NS and its glue', async () => {
    const s = await sim({ dns_config: { soa: { min_ttl: 30 } } });
    const soa = await udp(s.dnsAddress, 'consul', 'SOA');
    expect(soa.answers[0]).toMatchObject({ name: 'consul', type: 'SOA', ttl: 30 });
    expect(soa.answers[0]!.data).toMatchObject({ mname: 'ns.consul', rname: 'hostmaster.consul', refresh: 3600, retry: 600, expire: 86400, minimum: 30 });
    expect(Math.abs((soa.answers[0]!.data as SoaData).serial - Date.now() / 1000)).toBeLessThan(5);
    expect(soa.authorities.map((a) => a.data)).toEqual(['consul-sim.node.dc1.consul']);
    const ns = await udp(s.dnsAddress, 'consul', 'NS');
    expect(data(ns.answers)).toEqual(['consul-sim.node.dc1.consul']);
    expect(ns.additionals[0]).toMatchObject({ name: 'consul-sim.node.dc1.consul', type: 'A', data: '127.0.0.1' });
  });

  it('uses the alt domain in targets and SOA when the question did', async () => {
    const s = await small({ alt_domain: 'sd.example' });
    const r = await udp(s.dnsAddress, '_web._primary.service.sd.example', 'SRV');
    expect((r.answers[0]!.data as SrvData).target).toBe('n1.node.dc1.sd.example');
    const nx = await udp(s.dnsAddress, 'nope.service.sd.example', 'A');
    expect(nx.authorities[0]).toMatchObject({ name: 'sd.example', type: 'SOA' });
  });

  it('answers a prepared query with its service, by name or in the RFC 2782 form', async () => {
    const s = await small();
    s.registerPreparedQuery({ name: 'primary-web', service: 'web', tags: ['primary'], ttl: 10 });
    const r = await udp(s.dnsAddress, 'primary-web.query.consul', 'A');
    expect(r.answers).toMatchObject([{ data: '10.0.1.1', ttl: 10 }]);
    expect((await udp(s.dnsAddress, '_primary-web._tcp.query.consul', 'SRV')).answers).toHaveLength(1);
    expect((await udp(s.dnsAddress, 'nope.query.consul', 'A')).rcode).toBe('NXDOMAIN');
  });
});

describe('negative answers', () => {
  it('is NXDOMAIN with the SOA in Authority when every instance is critical', async () => {
    const s = await small();
    s.setCheck({ node: 'n1', serviceId: 'web-1', status: 'critical' });
    s.setCheck({ node: 'n2', status: 'critical' }); // a node check takes its instances with it
    s.setCheck({ node: 'n3', serviceId: 'web-3', status: 'critical' });
    for (const type of ['A', 'SRV', 'AAAA']) {
      const r = await udp(s.dnsAddress, 'web.service.consul', type);
      expect(r.rcode).toBe('NXDOMAIN');
      expect(r.flag_aa).toBe(true);
      expect(r.answers).toEqual([]);
      expect(r.authorities).toMatchObject([{ type: 'SOA', name: 'consul' }]);
    }
  });

  it('keeps warning instances unless only_passing', async () => {
    const s = await small();
    s.setCheck({ node: 'n1', serviceId: 'web-1', status: 'warning' });
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).answers).toHaveLength(3);
    const strict = await small({ dns_config: { only_passing: true } });
    strict.setCheck({ node: 'n1', serviceId: 'web-1', status: 'warning' });
    expect((await udp(strict.dnsAddress, 'web.service.consul', 'A')).answers).toHaveLength(2);
  });

  it('is NODATA (NOERROR, no answers, SOA) for AAAA on v4-only instances and for other types', async () => {
    const s = await small({ dns_config: { soa: { min_ttl: 60 } } });
    for (const type of ['AAAA', 'TXT', 'MX']) {
      const r = await udp(s.dnsAddress, 'web.service.consul', type);
      expect(r.rcode).toBe('NOERROR');
      expect(r.answers).toEqual([]);
      expect(r.authorities).toMatchObject([{ type: 'SOA', ttl: 60 }]);
    }
    expect((await udp(s.dnsAddress, 'n1.node.consul', 'AAAA')).rcode).toBe('NOERROR');
  });

  it('is NXDOMAIN for unknown services, datacenters and names, REFUSED outside the domain', async () => {
    const s = await small();
    for (const name of ['nope.service.consul', 'web.service.dc2.consul', 'web.consul', 'consul']) {
      expect((await udp(s.dnsAddress, name, 'A')).rcode).toBe('NXDOMAIN');
    }
    const out = await udp(s.dnsAddress, 'example.com', 'A');
    expect(out).toMatchObject({ rcode: 'REFUSED', flag_aa: false, flag_ra: false });
  });

  it('advertises recursion when recursors are configured, and never recurses', async () => {
    const s = await small({ recursors: ['192.0.2.1'] });
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).flag_ra).toBe(true);
    expect(await udp(s.dnsAddress, 'example.com', 'A')).toMatchObject({ rcode: 'SERVFAIL', flag_ra: true });
  });
});

describe('TTLs', () => {
  it('uses service_ttl for services and node_ttl for nodes', async () => {
    const s = await small({ dns_config: { node_ttl: '30s', service_ttl: { 'we*': '15s', '*': 5 } } });
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).answers[0]!.ttl).toBe(15);
    const srv = await udp(s.dnsAddress, 'web.service.consul', 'SRV');
    expect(new Set([...srv.answers, ...srv.additionals].map((a) => a.ttl))).toEqual(new Set([15]));
    expect((await udp(s.dnsAddress, 'n1.node.consul', 'A')).answers[0]!.ttl).toBe(30);
  });
});

describe('shuffle and limits', () => {
  it('shuffles each response, the same way for the same seed', async () => {
    const orders = async () => {
      const s = await sim({ seed: 42 });
      s.addBigService('web', 10);
      const out: string[] = [];
      for (let i = 0; i < 5; i++) out.push(data((await udp(s.dnsAddress, 'web.service.consul', 'A', { edns: 4096 })).answers).join(','));
      return out;
    };
    const a = await orders();
    expect(new Set(a).size).toBeGreaterThan(1);
    expect(await orders()).toEqual(a);
  });

  it('applies a_record_limit to A answers over UDP and TCP, not to SRV', async () => {
    const s = await sim({ dns_config: { a_record_limit: 2 } });
    s.addBigService('web', 10);
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A', { edns: 4096 })).answers).toHaveLength(2);
    expect((await tcp(s.dnsAddress, [['web.service.consul', 'A']]))[0]!.answers).toHaveLength(2);
    expect((await tcp(s.dnsAddress, [['web.service.consul', 'SRV']]))[0]!.answers).toHaveLength(10);
  });
});

describe('truncation', () => {
  it('cuts a non-EDNS UDP answer to udp_answer_limit (3) silently', async () => {
    const s = await sim();
    s.addBigService('web', 50);
    const a = await udp(s.dnsAddress, 'web.service.consul', 'A');
    expect(a.answers).toHaveLength(3);
    expect(a.flag_tc).toBe(false);
    const srv = await udp(s.dnsAddress, 'web.service.consul', 'SRV');
    expect(srv.answers).toHaveLength(3);
    // Trimming rebuilt Additional: one A per remaining target, the node-meta TXT is gone.
    expect(srv.additionals.map((x) => x.type)).toEqual(['A', 'A', 'A']);
    expect(srv.additionals.map((x) => x.name)).toEqual(srv.answers.map((x) => (x.data as SrvData).target));
    expect(srv.size).toBeLessThanOrEqual(512);
  });

  it('sets TC only when answers were dropped and enable_truncate is on', async () => {
    const s = await sim({ dns_config: { enable_truncate: true } });
    s.addBigService('web', 50);
    s.addBigService('few', 2);
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).flag_tc).toBe(true);
    expect((await udp(s.dnsAddress, 'few.service.consul', 'A')).flag_tc).toBe(false);
    const big = await udp(s.dnsAddress, 'web.service.consul', 'A', { edns: 4096 });
    expect(big.flag_tc).toBe(false);
    expect(big.answers).toHaveLength(50);
  });

  it('caps udp_answer_limit at 8', async () => {
    const five = await sim({ dns_config: { udp_answer_limit: 5 } });
    five.addBigService('web', 20);
    expect((await udp(five.dnsAddress, 'web.service.consul', 'A')).answers).toHaveLength(5);
    const many = await sim({ dns_config: { udp_answer_limit: 20 } });
    many.addBigService('web', 20);
    expect((await udp(many.dnsAddress, 'web.service.consul', 'A')).answers).toHaveLength(8);
  });

  it('trims an EDNS SRV answer to the client size, dropping the TXT, with TC per config', async () => {
    for (const enable_truncate of [false, true]) {
      const s = await sim({ dns_config: { enable_truncate } });
      s.addBigService('web', 50);
      const r = await udp(s.dnsAddress, 'web.service.consul', 'SRV', { edns: 1232 });
      expect(r.answers.length).toBeGreaterThan(3);
      expect(r.answers.length).toBeLessThan(50);
      expect(r.size).toBeLessThanOrEqual(1232);
      expect(r.additionals.filter((x) => x.type === 'TXT')).toEqual([]);
      expect(r.additionals.filter((x) => x.type === 'A')).toHaveLength(r.answers.length);
      expect(r.flag_tc).toBe(enable_truncate);
    }
  });

  it('answers all 50 instances over TCP, with every glue record and TXT', async () => {
    const s = await sim({ dns_config: { enable_truncate: true } });
    s.addBigService('web', 50);
    const [a, srv] = await tcp(s.dnsAddress, [['web.service.consul', 'A'], ['web.service.consul', 'SRV']]);
    expect(a!.answers).toHaveLength(50);
    expect(srv!.answers).toHaveLength(50);
    expect(srv!.flag_tc).toBe(false);
    expect(srv!.additionals.filter((x) => x.type === 'A')).toHaveLength(50);
    expect(srv!.additionals.filter((x) => x.type === 'TXT').length).toBeGreaterThanOrEqual(200);
  });

  it('answers pipelined TCP queries on one connection', async () => {
    const s = await small();
    const names: Array<[string, string]> = [['web.service.consul', 'A'], ['n1.node.consul', 'A'], ['nope.service.consul', 'A']];
    const replies = await tcp(s.dnsAddress, names);
    expect(replies.map((r) => [r.questions[0]!.name, r.rcode])).toEqual([
      ['web.service.consul', 'NOERROR'], ['n1.node.consul', 'NOERROR'], ['nope.service.consul', 'NXDOMAIN'],
    ]);
    expect(s.counters).toMatchObject({ dns_queries: 3, dns_queries_tcp: 3, dns_queries_udp: 0 });
  });
});

describe('EDNS', () => {
  it("echoes the client's UDP size and its subnet with scope 0; no OPT without EDNS", async () => {
    const s = await small();
    const r = await udp(s.dnsAddress, 'web.service.consul', 'A', { edns: 1232, ecs: '192.0.2.0' });
    const opt = r.additionals.find((a) => a.type === 'OPT');
    expect(opt).toMatchObject({ udpPayloadSize: 1232 });
    expect(opt!.options![0]).toMatchObject({ code: 8, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '192.0.2.0' });
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).additionals).toEqual([]);
  });
});

describe('counters', () => {
  it('counts one Health.ServiceNodes RPC per DNS service lookup, none with use_cache', async () => {
    const s = await small();
    for (let i = 0; i < 4; i++) await udp(s.dnsAddress, 'web.service.consul', 'A');
    await udp(s.dnsAddress, 'nope.service.consul', 'A');
    await udp(s.dnsAddress, 'n1.node.consul', 'A');
    expect(s.counters).toMatchObject({ dns_queries: 6, dns_queries_udp: 6, rpc_health_service_nodes: 5, rpc_catalog_node_services: 1 });
    s.resetCounters();
    expect(s.counters.dns_queries).toBe(0);
    const cached = await small({ dns_config: { use_cache: true } });
    for (let i = 0; i < 4; i++) await udp(cached.dnsAddress, 'web.service.consul', 'A');
    expect(cached.counters).toMatchObject({ dns_queries: 4, rpc_health_service_nodes: 0 });
  });
});
