import { kdig, query, type DnsRecord, type Reply } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { catalogPlugin, resolver, sim, until } from './helpers.js';

const addresses = (r: Reply): string[] => r.answers.map((a) => String(a.data)).sort();
const srvs = (r: Reply): string[] => r.answers.map((a) => { const d = a.data as { port: number; target: string }; return `${d.port} ${d.target}`; }).sort();

/** web in the default namespace, in `team`, and in `team` of partition `eu`; and in a second datacenter, dc2. */
async function scoped(enterprise = true) {
  const s = await sim({ enterprise }, false);
  s.registerNode({ name: 'n1', address: '10.1.0.1' });
  s.registerNode({ name: 'n2', address: '10.1.0.2' });
  s.registerNode({ name: 'n3', address: '10.1.0.3' });
  s.registerNode({ name: 'b1', address: '10.2.0.1', datacenter: 'dc2', taggedAddresses: { wan: '198.51.100.1', wan_ipv4: '198.51.100.1' } });
  s.registerNode({ name: 'b2', address: '10.2.0.2', datacenter: 'dc2', taggedAddresses: { wan: '198.51.100.2' } });
  s.registerService({ id: 'web-1', name: 'web', node: 'n1', port: 80 });
  s.registerService({ id: 'web-team', name: 'web', node: 'n2', port: 81, namespace: 'team' });
  s.registerService({ id: 'web-eu', name: 'web', node: 'n3', port: 82, namespace: 'team', partition: 'eu' });
  s.registerService({ id: 'web-b1', name: 'web', node: 'b1', port: 80 });
  // A service address of its own, with a wan address and port for other datacenters (wan_ipv4 too:
  // the agent tags wan_ipv4 with the service address unless it is given, and A prefers it).
  s.registerService({ id: 'web-b2', name: 'web', node: 'b2', port: 80, address: '10.2.9.2',
    taggedAddresses: { wan: { address: '203.0.113.2', port: 8443 }, wan_ipv4: { address: '203.0.113.2', port: 8443 } } });
  return s;
}

describe('consul catalog mode: namespaces and partitions', () => {
  it('answers NAME.service.NS.ns[.AP.ap] from that namespace and partition (?ns=, ?partition=), NXDOMAIN for invalid localities', async () => {
    const s = await scoped();
    const r = await resolver({ http: s.httpUrl, maxConnections: 8 });
    const cases: [string, string, string[]][] = [
      ['web.service.consul', 'NOERROR', ['10.1.0.1']],
      ['web.service.default.ns.consul', 'NOERROR', ['10.1.0.1']],
      ['web.service.team.ns.consul', 'NOERROR', ['10.1.0.2']],
      ['web.service.team.ns.eu.ap.consul', 'NOERROR', ['10.1.0.3']],
      ['web.service.team.ns.eu.ap.dc1.dc.consul', 'NOERROR', ['10.1.0.3']],
      ['web.service.nobody.ns.consul', 'NXDOMAIN', []],
      ['web.service.team.ns.dc1.consul', 'NXDOMAIN', []],              // three locality labels: invalid
      ['web.service.team.ns.team.ns.consul', 'NXDOMAIN', []],          // a key twice: invalid
    ];
    for (const [name, rcode, want] of cases) {
      const reply = await query(r.address, name, 'A');
      expect([name, reply.rcode, addresses(reply)]).toEqual([name, rcode, want]);
    }
    // kdig reads the namespaced answer too.
    const [host, port] = r.address.split(':');
    expect((await kdig(['@' + host, '-p', port!, 'web.service.team.ns.consul', 'A', '+short'])).trim()).toBe('10.1.0.2');
    // One change feed and one catalog feed per scope asked (max_connections 8: six feed slots), each with its scope.
    const p = catalogPlugin(r);
    const feeds = [...p.catalog.feeds()].map((f) => f.config.path).sort();
    expect(feeds).toEqual(['/v1/health/state/any?stale', '/v1/health/state/any?stale&ns=team', '/v1/health/state/any?stale&ns=team&partition=eu']);
    expect(p.counts.feedsRefused).toBeGreaterThanOrEqual(1);                   // `nobody` came when the six were taken
    expect(s.counters.http_connections_max).toBeLessThanOrEqual(8);
    // A change in namespace team is seen through team's feed.
    s.registerService({ id: 'web-team-2', name: 'web', node: 'n1', port: 81, namespace: 'team' });
    await until(async () => addresses(await query(r.address, 'web.service.team.ns.consul', 'A')).join() === '10.1.0.1,10.1.0.2', 2000, 20);
    expect(addresses(await query(r.address, 'web.service.consul', 'A'))).toEqual(['10.1.0.1']);
  });

  it('answers names without a namespace from the configured `namespace` and `partition`, within max_connections', async () => {
    const s = await scoped();
    const r = await resolver({ http: s.httpUrl, namespace: 'team', partition: 'eu', maxConnections: 4 });
    expect(addresses(await query(r.address, 'web.service.consul', 'A'))).toEqual(['10.1.0.3']);
    expect(addresses(await query(r.address, 'web.service.default.ns.default.ap.consul', 'A'))).toEqual(['10.1.0.1']);
    const p = catalogPlugin(r);
    expect([...p.catalog.watches()].map((w) => w.config.path).sort()).toEqual(['/v1/health/service/web?stale', '/v1/health/service/web?stale&ns=team&partition=eu']);
    // The bound holds: the configured scope took both feed slots, the default scope waits for resync (counted).
    expect(s.counters.http_connections_max).toBeLessThanOrEqual(4);
    expect(p.counts.feedsRefused).toBeGreaterThanOrEqual(1);
  });

  it('answers NXDOMAIN for a namespace when the agent is Consul CE (400, an Enterprise feature), as its own DNS does', async () => {
    const s = await scoped(false);
    const r = await resolver({ http: s.httpUrl });
    expect(addresses(await query(r.address, 'web.service.consul', 'A'))).toEqual(['10.1.0.1']);
    expect((await query(r.address, 'web.service.team.ns.consul', 'A')).rcode).toBe('NXDOMAIN');
    expect(catalogPlugin(r).counts.requests.http_4xx).toBeGreaterThan(0);
  });
});

describe('consul catalog mode: translate_wan_addrs', () => {
  it('answers another datacenter with its wan addresses (and wan port), the agent\'s own with lan ones', async () => {
    const s = await scoped();
    const r = await resolver({ http: s.httpUrl, translateWanAddrs: true, nodeMetaTxt: false });
    const p = catalogPlugin(r);
    await until(() => p.catalog.agentDc === 'dc1');                 // from /v1/agent/self
    expect(addresses(await query(r.address, 'web.service.dc2.consul', 'A'))).toEqual(['198.51.100.1', '203.0.113.2']);
    expect(addresses(await query(r.address, 'web.service.consul', 'A'))).toEqual(['10.1.0.1']);
    expect(addresses(await query(r.address, 'web.service.dc1.consul', 'A'))).toEqual(['10.1.0.1']);
    const srv = await query(r.address, 'web.service.dc2.consul', 'SRV', { edns: 4096 });
    expect(srvs(srv)).toEqual(['80 b1.node.dc2.consul', '8443 cb007102.addr.dc2.consul']);
    expect(srv.additionals.filter((a): a is DnsRecord => a.type === 'A').map((a) => `${a.name} ${String(a.data)}`).sort()).toEqual(['b1.node.dc2.consul 198.51.100.1', 'cb007102.addr.dc2.consul 203.0.113.2']);
    expect(addresses(await query(r.address, 'b1.node.dc2.consul', 'A'))).toEqual(['198.51.100.1']);
  });

  it('keeps lan addresses for other datacenters without translate_wan_addrs (Consul\'s default)', async () => {
    const s = await scoped();
    const r = await resolver({ http: s.httpUrl });
    expect(addresses(await query(r.address, 'web.service.dc2.consul', 'A'))).toEqual(['10.2.0.1', '10.2.9.2']);
    expect(srvs(await query(r.address, 'web.service.dc2.consul', 'SRV'))).toEqual(['80 0a020902.addr.dc2.consul', '80 b1.node.dc2.consul']);
    expect((await query(r.address, 'web.service.dc9.consul', 'A')).rcode).toBe('NXDOMAIN');     // no path to datacenter
  });
});
