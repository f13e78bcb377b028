import { dig, query, type DnsRecord, type Reply } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { resolver, sim, until } from './helpers.js';

const addresses = (r: Reply): string[] => r.answers.map((a) => `${a.type} ${String(a.data)}`).sort();

describe('consul catalog mode: tagged addresses', () => {
  it('answers AAAA from lan_ipv6 and A from lan_ipv4 (service first, else node), as the agent\'s DNS does', async () => {
    const s = await sim({}, false);
    s.registerNode({ name: 'n1', address: '10.1.0.1', taggedAddresses: { lan_ipv6: 'fd00::1' } });
    s.registerNode({ name: 'n2', address: '10.1.0.2' });
    s.registerNode({ name: 'n3', address: '10.1.0.3' });
    // On n1 without an address of its own: the node's tagged lan_ipv6 answers AAAA.
    s.registerService({ id: 'api-1', name: 'api', node: 'n1', port: 80 });
    // Its own IPv4 address and a tagged lan_ipv6.
    s.registerService({ id: 'api-2', name: 'api', node: 'n2', port: 80, address: '10.9.0.2', taggedAddresses: { lan_ipv6: { address: 'fd00::92' } } });
    // Its own IPv4 address only: no AAAA (Consul does not fall back to the node's address).
    s.registerService({ id: 'api-3', name: 'api', node: 'n3', port: 80, address: '10.9.0.3' });
    const r = await resolver({ http: s.httpUrl });
    const cases: [string, string, string[]][] = [
      ['api.service.consul', 'A', ['A 10.1.0.1', 'A 10.9.0.2', 'A 10.9.0.3']],
      ['api.service.consul', 'AAAA', ['AAAA fd00::1', 'AAAA fd00::92']],
      ['api.service.consul', 'ANY', ['A 10.9.0.3', 'AAAA fd00::1', 'AAAA fd00::92']],
      ['n1.node.consul', 'A', ['A 10.1.0.1']],
      ['n1.node.consul', 'AAAA', ['AAAA fd00::1']],
    ];
    for (const [name, type, want] of cases) {
      const ours = await query(r.address, name, type, { edns: 4096 });
      const consuls = await query(s.dnsAddress, name, type, { edns: 4096 });
      const only = (x: Reply): string[] => addresses(x).filter((a) => !a.startsWith('TXT'));
      expect([name, type, only(ours)]).toEqual([name, type, want]);
      expect(only(ours)).toEqual(only(consuls));
    }
    // n2 has no IPv6 at all: its node name has no AAAA (NODATA).
    expect((await query(r.address, 'n2.node.consul', 'AAAA')).answers).toHaveLength(0);
  });

  it('sees a tagged address added later, without a restart', async () => {
    const s = await sim({}, false);
    s.registerNode({ name: 'n1', address: '10.1.0.1' });
    s.registerService({ id: 'db-1', name: 'db', node: 'n1', port: 5432 });
    const r = await resolver({ http: s.httpUrl, resync: 200 });
    expect((await query(r.address, 'db.service.consul', 'AAAA')).answers).toHaveLength(0);
    s.registerService({ id: 'db-1', name: 'db', node: 'n1', port: 5432, taggedAddresses: { lan_ipv6: { address: 'fd00::db' } } });
    await until(async () => addresses(await query(r.address, 'db.service.consul', 'AAAA')).join() === 'AAAA fd00::db', 3000);
  });

  it('takes tagged addresses for SRV targets and their glue, as Consul 1.19+ (lan_ipv6 first), and dig reads them', async () => {
    const s = await sim({}, false);
    s.registerNode({ name: 'n1', address: '10.1.0.1', taggedAddresses: { lan_ipv6: 'fd00::1' } });
    s.registerNode({ name: 'n2', address: '10.1.0.2' });
    s.registerNode({ name: 'n3', address: '10.1.0.3' });
    s.registerService({ id: 'api-1', name: 'api', node: 'n1', port: 81 });                         // node target, AAAA glue
    s.registerService({ id: 'api-2', name: 'api', node: 'n2', port: 82, address: '10.1.0.2', taggedAddresses: { lan_ipv6: { address: 'fd00::92' } } });
    s.registerService({ id: 'api-3', name: 'api', node: 'n3', port: 83, address: '10.1.0.3' });      // the node's own address: NAME.service
    const r = await resolver({ http: s.httpUrl, nodeMetaTxt: false });
    const srv = (x: Reply): string[] => x.answers.map((a) => { const d = a.data as { port: number; target: string }; return `${d.port} ${d.target}`; }).sort();
    const glue = (x: Reply): string[] => x.additionals.filter((a): a is DnsRecord => a.type === 'A' || a.type === 'AAAA').map((a) => `${a.name} ${a.type} ${String(a.data)}`).sort();
    const ours = await query(r.address, 'api.service.consul', 'SRV', { edns: 4096 });
    expect(srv(ours)).toEqual(['81 n1.node.dc1.consul', '82 fd000000000000000000000000000092.addr.dc1.consul', '83 api.service.dc1.consul']);
    expect(glue(ours)).toEqual(['api.service.dc1.consul A 10.1.0.3', 'fd000000000000000000000000000092.addr.dc1.consul AAAA fd00::92', 'n1.node.dc1.consul AAAA fd00::1']);
    const agent = await query(s.dnsAddress, 'api.service.consul', 'SRV', { edns: 4096 });
    expect(srv(ours)).toEqual(srv(agent));
    expect(glue(ours)).toEqual(glue(agent));
    // dig reads the same answer and glue.
    const [host, port] = r.address.split(':');
    const out = await dig(['@' + host, '-p', port!, 'api.service.consul', 'SRV', '+noall', '+answer', '+additional']);
    expect(out).toMatch(/api\.service\.consul\.\s+\d+\s+IN\s+SRV\s+1 1 83 api\.service\.dc1\.consul\./);
    expect(out).toMatch(/n1\.node\.dc1\.consul\.\s+\d+\s+IN\s+AAAA\s+fd00::1/);
  });
});
