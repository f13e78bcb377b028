import { query, type Reply } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { catalogPlugin, resolver, sim, until } from './helpers.js';

const addresses = (r: Reply): string[] => r.answers.map((a) => String(a.data)).sort();
const srvs = (r: Reply): string[] => r.answers.map((a) => { const d = a.data as { port: number; target: string }; return `${d.port} ${d.target}`; }).sort();

describe('consul catalog mode: prepared queries', () => {
  it('answers NAME.query.consul as the agent\'s DNS does, with the query\'s TTL, from /v1/query/NAME/execute', async () => {
    const s = await sim();
    s.registerPreparedQuery({ name: 'web-primary', service: 'web', tags: ['primary'], ttl: 10 });
    const r = await resolver({ http: s.httpUrl });
    const ours = await query(r.address, 'web-primary.query.consul', 'A');
    const consuls = await query(s.dnsAddress, 'web-primary.query.consul', 'A');
    expect(ours.rcode).toBe('NOERROR');
    expect(addresses(ours)).toEqual(addresses(consuls));
    expect(addresses(ours)).toEqual(['10.1.0.1', '10.1.0.3']);
    expect(ours.answers.every((a) => a.ttl === 10)).toBe(true);
    expect(consuls.answers.every((a) => a.ttl === 10)).toBe(true);
    // With EDNS, so that Consul's own trimming (512 bytes without it) leaves every record.
    const srvOurs = await query(r.address, '_web-primary._tcp.query.consul', 'SRV', { edns: 4096 });
    const srvConsul = await query(s.dnsAddress, '_web-primary._tcp.query.consul', 'SRV', { edns: 4096 });
    expect(srvs(srvOurs)).toHaveLength(2);
    expect(srvs(srvOurs)).toEqual(srvs(srvConsul));
    expect(s.counters.http_requests.by_path['/v1/query/web-primary/execute']).toBe(1);
    // Later lookups come from the view.
    for (let i = 0; i < 20; i++) await query(r.address, 'web-primary.query.consul', 'A');
    expect(s.counters.http_requests.by_path['/v1/query/web-primary/execute']).toBe(1);
  });

  it('gives NXDOMAIN for an unknown query, as the agent does', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    expect((await query(s.dnsAddress, 'nosuch.query.consul', 'A')).rcode).toBe('NXDOMAIN');
    const ours = await query(r.address, 'nosuch.query.consul', 'A');
    expect(ours.rcode).toBe('NXDOMAIN');
    expect(ours.authorities.map((a) => a.type)).toEqual(['SOA']);
  });

  it('sees a change of the query\'s service at once (through the change feed), and re-runs the query every TTL', async () => {
    const s = await sim();
    s.registerPreparedQuery({ name: 'all-web', service: 'web', ttl: 1 });
    const r = await resolver({ http: s.httpUrl });
    expect(addresses(await query(r.address, 'all-web.query.consul', 'A'))).toHaveLength(3);
    const p = catalogPlugin(r);
    await until(() => s.counters.blocking_waiters === 2);                          // both feeds hold their blocking query
    const refetches = p.counts.feedRefetches;
    const before = s.counters.http_requests.by_path['/v1/query/all-web/execute']!;
    // web-1 goes: web's tags stay (primary, secondary), so the catalog feed's body names nothing and
    // only the change feed can name the query's service. It wakes the view (a feedRefetch; the TTL
    // refresh counts none), and the run it causes has the change.
    s.deregisterService('web-1');
    await until(() => p.counts.feedRefetches > refetches, 2000);
    await until(async () => addresses(await query(r.address, 'all-web.query.consul', 'A')).length === 2, 2000);
    expect(s.counters.http_requests.by_path['/v1/query/all-web/execute']).toBeGreaterThan(before);
    const runs = s.counters.http_requests.by_path['/v1/query/all-web/execute']!;
    await until(() => s.counters.http_requests.by_path['/v1/query/all-web/execute']! > runs, 2500);
    expect(catalogPlugin(r).catalog.size).toBe(1);
  });
});

describe('consul catalog mode: services registered with a host name', () => {
  it('answers a CNAME to the host name for A and AAAA, as the agent\'s DNS does, and the host name as SRV target', async () => {
    const s = await sim({}, false);
    s.registerNode({ name: 'n1', address: '10.1.0.1' });
    s.registerService({ id: 'db-1', name: 'db', node: 'n1', port: 5432, address: 'db-primary.example.internal' });
    const r = await resolver({ http: s.httpUrl });
    for (const type of ['A', 'AAAA']) {
      const ours = await query(r.address, 'db.service.consul', type);
      const consuls = await query(s.dnsAddress, 'db.service.consul', type);
      expect(ours.rcode).toBe('NOERROR');
      expect(ours.answers.map((a) => [a.type, String(a.data)])).toEqual([['CNAME', 'db-primary.example.internal']]);
      expect(ours.answers.map((a) => [a.type, String(a.data)])).toEqual(consuls.answers.map((a) => [a.type, String(a.data)]));
    }
    const srv = await query(r.address, 'db.service.consul', 'SRV');
    expect(srvs(srv)).toEqual(['5432 db-primary.example.internal']);
    expect(srvs(srv)).toEqual(srvs(await query(s.dnsAddress, 'db.service.consul', 'SRV')));
    expect(srv.additionals.filter((a) => a.type === 'A' || a.type === 'AAAA')).toEqual([]);
  });
});

describe('consul catalog mode: SRV targets and .addr, as the agent answers them', () => {
  it('gives Consul 1.19\'s NAME.service.DC target when the service address equals the node\'s, .addr when it differs', async () => {
    const s = await sim({}, false);
    s.registerNode({ name: 'n1', address: '10.1.0.1' });
    s.registerNode({ name: 'n2', address: '10.1.0.2' });
    s.registerService({ id: 'api-1', name: 'api', node: 'n1', port: 9000, address: '10.1.0.1' });
    s.registerService({ id: 'api-2', name: 'api', node: 'n2', port: 9000, address: '10.7.0.2' });
    const r = await resolver({ http: s.httpUrl });
    const ours = srvs(await query(r.address, 'api.service.consul', 'SRV', { edns: 4096 }));
    expect(ours).toEqual(['9000 0a070002.addr.dc1.consul', '9000 api.service.dc1.consul']);
    expect(ours).toEqual(srvs(await query(s.dnsAddress, 'api.service.consul', 'SRV', { edns: 4096 })));
  });

  it('answers .addr names whatever their datacenter, as the agent does', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    for (const name of ['0a000105.addr.dc1.consul', '0a000105.addr.nowhere.consul', '0a000105.addr.consul']) {
      const ours = await query(r.address, name, 'A');
      expect(addresses(ours)).toEqual(['10.0.1.5']);
      expect(addresses(ours)).toEqual(addresses(await query(s.dnsAddress, name, 'A')));
    }
  });
});

describe('consul catalog mode: reverse lookups', () => {
  it('answers PTR for node addresses and service addresses as the agent does, when an arpa zone is the plugin\'s', async () => {
    const s = await sim();
    s.registerNode({ name: 'v6', address: '2001:db8::7' });
    s.registerService({ id: 'api-1', name: 'api', node: 'n1', port: 9000, address: '10.7.0.1' });
    const r = await resolver({ http: s.httpUrl, zones: ['consul.', 'in-addr.arpa.', 'ip6.arpa.'] });
    await query(r.address, 'api.service.consul', 'A');                          // a watched service knows its own address
    const v6name = `${'20010db8000000000000000000000007'.split('').reverse().join('.')}.ip6.arpa`;
    for (const name of ['2.0.1.10.in-addr.arpa', '1.0.7.10.in-addr.arpa', v6name]) {
      const ours = await query(r.address, name, 'PTR');
      const consuls = await query(s.dnsAddress, name, 'PTR');
      expect(ours.rcode).toBe('NOERROR');
      expect(ours.answers.map((a) => String(a.data))).toEqual(consuls.answers.map((a) => String(a.data)));
    }
    expect((await query(r.address, '2.0.1.10.in-addr.arpa', 'PTR')).answers.map((a) => String(a.data))).toEqual(['n2.node.dc1.consul']);
    const unknown = await query(r.address, '9.9.9.10.in-addr.arpa', 'PTR');
    expect(unknown.rcode).toBe('NXDOMAIN');
    expect((await query(s.dnsAddress, '9.9.9.10.in-addr.arpa', 'PTR')).rcode).toBe('NXDOMAIN');
    expect(unknown.authorities.map((a) => a.name)).toEqual(['consul']);
    expect((await query(r.address, '2.0.1.10.in-addr.arpa', 'A')).answers).toEqual([]);   // NODATA
    // A node registered later shows up (the feed sees its serfHealth check).
    s.registerNode({ name: 'late', address: '10.1.0.99' });
    await until(async () => (await query(r.address, '99.0.1.10.in-addr.arpa', 'PTR')).rcode === 'NOERROR', 2000);
  });
});

describe('consul catalog mode: TTLs per service and node', () => {
  it('takes service_ttl by exact name, then the longest prefix*, then *, and node_ttl for nodes; negative answers keep ttl', async () => {
    const s = await sim();
    s.registerService({ id: 'db-main-1', name: 'db-main', node: 'n1', port: 5432 });
    s.registerService({ id: 'dbx-1', name: 'dbx', node: 'n1', port: 5432 });
    const r = await resolver({ http: s.httpUrl, ttl: 7, serviceTtl: { web: 30, 'db*': 60, 'db-*': 90, '*': 15 }, nodeTtl: 3600 });
    const ttls = async (name: string, type = 'A'): Promise<number[]> => [...new Set((await query(r.address, name, type)).answers.map((a) => a.ttl))];
    expect(await ttls('web.service.consul')).toEqual([30]);
    expect(await ttls('db-main.service.consul')).toEqual([90]);
    expect(await ttls('dbx.service.consul')).toEqual([60]);
    expect(await ttls('consul.service.consul')).toEqual([15]);
    expect(await ttls('n1.node.consul')).toEqual([3600]);
    expect(await ttls('0a000105.addr.consul')).toEqual([3600]);
    const nx = await query(r.address, 'nosuch.service.consul', 'A');
    expect(nx.authorities.map((a) => a.ttl)).toEqual([7]);
  });
});

describe('consul catalog mode: node meta TXT in the additional section', () => {
  const txts = (r: Reply): string[] => r.additionals.filter((a) => a.type === 'TXT')
    .map((a) => `${a.name} ${((a as { data: Buffer[] }).data).map((b) => b.toString()).join('')}`).sort();

  it('adds each node\'s meta as TXT to SRV and node A answers, as the agent does (enable_additional_node_meta_txt)', async () => {
    const s = await sim();
    s.registerService({ id: 'api-1', name: 'api', node: 'n2', port: 9000, address: '10.7.0.2' });
    const r = await resolver({ http: s.httpUrl });
    for (const [name, type] of [['web.service.consul', 'SRV'], ['api.service.consul', 'SRV'], ['n1.node.consul', 'A']] as const) {
      const ours = txts(await query(r.address, name, type, { edns: 4096 }));
      expect(ours.length).toBeGreaterThan(0);
      expect(ours).toEqual(txts(await query(s.dnsAddress, name, type, { edns: 4096 })));
    }
    expect(txts(await query(r.address, 'web.service.consul', 'SRV', { edns: 4096 }))).toContain('n1.node.dc1.consul zone=z1');
    const off = await resolver({ http: s.httpUrl, nodeMetaTxt: false });
    expect(txts(await query(off.address, 'web.service.consul', 'SRV', { edns: 4096 }))).toEqual([]);
  });
});

describe('consul catalog mode: a_record_limit', () => {
  it('answers at most a_record_limit address records, picked after the shuffle, as the agent does; SRV is not limited', async () => {
    const s = await sim({ dns_config: { a_record_limit: 2 } });
    const r = await resolver({ http: s.httpUrl, aRecordLimit: 2 });
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const ours = await query(r.address, 'web.service.consul', 'A');
      expect(ours.answers).toHaveLength(2);
      for (const a of ours.answers) seen.add(String(a.data));
    }
    expect((await query(s.dnsAddress, 'web.service.consul', 'A', { edns: 1232 })).answers).toHaveLength(2);
    expect(seen.size).toBe(3);                                                    // every instance gets its turn
    expect((await query(r.address, 'web.service.consul', 'SRV', { edns: 4096 })).answers).toHaveLength(3);
    expect((await query(s.dnsAddress, 'web.service.consul', 'SRV', { edns: 4096 })).answers).toHaveLength(3);
  });
});

describe('consul catalog mode: Connect names', () => {
  it('answers NAME.connect from /v1/health/connect/NAME (sidecar proxies, Connect-native instances) as the agent does, and follows a new sidecar', async () => {
    const s = await sim();
    s.registerService({ id: 'web-1-sidecar', name: 'web-sidecar-proxy', node: 'n1', port: 21000, proxyFor: 'web' });
    s.registerService({ id: 'pay-1', name: 'pay', node: 'n3', port: 9000, connectNative: true });
    const r = await resolver({ http: s.httpUrl });
    for (const name of ['web.connect.consul', 'pay.connect.consul']) {
      const ours = await query(r.address, name, 'SRV', { edns: 4096 });
      expect(ours.rcode).toBe('NOERROR');
      expect(srvs(ours)).toEqual(srvs(await query(s.dnsAddress, name, 'SRV', { edns: 4096 })));
    }
    expect(srvs(await query(r.address, 'web.connect.consul', 'SRV'))).toEqual(['21000 n1.node.dc1.consul']);
    expect((await query(r.address, 'db.connect.consul', 'A')).rcode).toBe('NXDOMAIN');
    expect(s.counters.http_requests.by_path['/v1/health/connect/web']).toBe(1);
    // A second sidecar registers: the change feed wakes the Connect view.
    s.registerService({ id: 'web-2-sidecar', name: 'web-sidecar-proxy', node: 'n2', port: 21001, proxyFor: 'web' });
    await until(async () => srvs(await query(r.address, 'web.connect.consul', 'SRV')).length === 2, 2000);
  });

  it('answers NAME.ingress from /v1/health/ingress/NAME (the gateways exposing it) as the agent does', async () => {
    const s = await sim();
    s.registerNode({ name: 'gw', address: '10.0.0.9' });
    s.registerService({ id: 'ingress-1', name: 'ingress-gateway', node: 'gw', port: 8443, ingressFor: ['web'] });
    const r = await resolver({ http: s.httpUrl });
    const ours = await query(r.address, 'web.ingress.consul', 'A');
    expect(addresses(ours)).toEqual(['10.0.0.9']);
    expect(addresses(ours)).toEqual(addresses(await query(s.dnsAddress, 'web.ingress.consul', 'A')));
    expect((await query(r.address, 'db.ingress.consul', 'A')).rcode).toBe('NXDOMAIN');
    s.setCheck({ node: 'gw', serviceId: 'ingress-1', status: 'critical' });        // the gateway's check: the feed wakes the view
    await until(async () => (await query(r.address, 'web.ingress.consul', 'A')).rcode === 'NXDOMAIN', 2000);
  });
});

describe('consul catalog mode: SOA and NS', () => {
  const rrs = (r: Reply, section: 'answers' | 'authorities' | 'additionals'): string[] =>
    r[section].filter((a) => a.type !== 'OPT').map((a) => {
      const data = (a as { data: unknown }).data;
      return `${a.name} ${a.type} ${a.type === 'SOA' ? (data as { mname: string }).mname : String(data)}`;
    }).sort();

  it('answers SOA and NS for any name in the domain from the servers (the consul service), as the agent does', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    for (const name of ['consul', 'web.service.consul', 'anything.at.all.consul']) {
      for (const type of ['SOA', 'NS']) {
        const ours = await query(r.address, name, type);
        const consuls = await query(s.dnsAddress, name, type);
        expect(ours.rcode).toBe('NOERROR');
        for (const section of ['answers', 'authorities', 'additionals'] as const) expect(rrs(ours, section)).toEqual(rrs(consuls, section));
      }
    }
    const ns = await query(r.address, 'consul', 'NS');
    expect(rrs(ns, 'answers')).toEqual(['consul NS consul-sim.node.dc1.consul']);
    expect(rrs(ns, 'additionals')).toEqual(['consul-sim.node.dc1.consul A 127.0.0.1']);
  });
});

describe('consul catalog mode: soa_min_ttl', () => {
  const soaOf = (r: Reply): { ttl: number | undefined; minimum: number } => {
    const rr = [...r.answers, ...r.authorities].find((a) => a.type === 'SOA')!;
    return { ttl: rr.ttl, minimum: (rr.data as { minimum: number }).minimum };
  };

  it('puts soa_min_ttl in the SOA of negative answers and SOA answers, as the agent with dns_config.soa.min_ttl', async () => {
    const s = await sim({ dns_config: { soa: { min_ttl: 45 } } });
    const r = await resolver({ http: s.httpUrl, ttl: 5, soaMinTtl: 45 });
    for (const [name, type, rcode] of [['nosuch.service.consul', 'A', 'NXDOMAIN'], ['web.service.consul', 'TXT', 'NOERROR'], ['consul', 'SOA', 'NOERROR'], ['bogus.form.of.name.consul', 'A', 'NXDOMAIN']] as const) {
      const ours = await query(r.address, name, type);
      const consuls = await query(s.dnsAddress, name, type);
      expect([name, ours.rcode]).toEqual([name, rcode]);
      expect(consuls.rcode).toBe(rcode);
      expect(soaOf(ours)).toEqual({ ttl: 45, minimum: 45 });
      expect(soaOf(ours)).toEqual(soaOf(consuls));
    }
    // Positive answers keep ttl.
    expect((await query(r.address, 'web.service.consul', 'A')).answers.every((a) => a.ttl === 5)).toBe(true);
  });

  it('without it, negative answers carry ttl in the SOA', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl, ttl: 7 });
    expect(soaOf(await query(r.address, 'nosuch.service.consul', 'A'))).toEqual({ ttl: 7, minimum: 7 });
  });
});

describe('consul catalog mode: virtual IPs', () => {
  it('answers NAME.virtual.consul with the service\'s virtual IP (its proxies\' consul-virtual address), as the agent does', async () => {
    const s = await sim({ dns_config: { node_ttl: '30s' } });
    s.registerNode({ name: 'n9', address: '10.1.0.9' });
    s.registerService({ id: 'web-proxy-1', name: 'web-sidecar-proxy', node: 'n1', port: 21000, proxyFor: 'web' });
    s.registerService({ id: 'pay-1', name: 'pay', node: 'n9', port: 9000, connectNative: true });
    const r = await resolver({ http: s.httpUrl, nodeTtl: 30 });
    for (const name of ['web.virtual.consul', 'pay.virtual.consul']) {
      const ours = await query(r.address, name, 'A');
      const consuls = await query(s.dnsAddress, name, 'A');
      expect(ours.rcode).toBe('NOERROR');
      expect(ours.answers.map((a) => `${a.type} ${String(a.data)} ${a.ttl}`)).toEqual(consuls.answers.map((a) => `${a.type} ${String(a.data)} ${a.ttl}`));
      expect(String(ours.answers[0]!.data)).toMatch(/^240\./);
    }
    expect(String((await query(r.address, 'web.virtual.consul', 'A')).answers[0]!.data)).not.toBe(String((await query(r.address, 'pay.virtual.consul', 'A')).answers[0]!.data));
    // A service outside the mesh has none: NXDOMAIN, as the agent; other types: NODATA.
    expect((await query(s.dnsAddress, 'db.virtual.consul', 'A')).rcode).toBe('NXDOMAIN');
    expect((await query(r.address, 'db.virtual.consul', 'A')).rcode).toBe('NXDOMAIN');
    const txt = await query(r.address, 'web.virtual.consul', 'TXT');
    expect([txt.rcode, txt.answers.length]).toEqual(['NOERROR', 0]);
    expect((await query(s.dnsAddress, 'web.virtual.consul', 'TXT')).answers).toHaveLength(0);
    // Read from the Connect view: later lookups cost no request.
    const reads = s.counters.http_requests.by_path['/v1/health/connect/web'];
    for (let i = 0; i < 10; i++) await query(r.address, 'web.virtual.consul', 'A');
    expect(s.counters.http_requests.by_path['/v1/health/connect/web']).toBe(reads);
  });

  it('passes NAME.virtual.PEER to the next plugin (peers are not followed)', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    expect(catalogPlugin(r).catalog.size).toBe(0);
    const reply = await query(r.address, 'web.virtual.peer1.consul', 'A');
    expect(reply.rcode).toBe('REFUSED');                       // no plugin after consul: the server's own answer
    expect(r.states.at(-1)?.plugin).toBeUndefined();
    expect(catalogPlugin(r).catalog.size).toBe(0);
  });
});
