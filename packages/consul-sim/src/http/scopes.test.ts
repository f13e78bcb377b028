import { describe, expect, it, onTestFinished } from 'vitest';
import { startConsulSim } from '../sim.js';

async function sim(enterprise = true) {
  const s = await startConsulSim({ seed: 1, enterprise });
  onTestFinished(() => s.close());
  s.registerNode({ name: 'a1', address: '10.0.1.1' });
  s.registerNode({ name: 'b1', address: '10.2.0.1', datacenter: 'dc2', taggedAddresses: { wan: '198.51.100.1', wan_ipv4: '198.51.100.1' } });
  s.registerService({ id: 'web-a', name: 'web', node: 'a1', port: 80 });
  s.registerService({ id: 'web-b', name: 'web', node: 'b1', port: 80 });
  s.registerService({ id: 'web-team', name: 'web', node: 'a1', port: 81, namespace: 'team' });
  s.registerService({ id: 'web-eu', name: 'web', node: 'a1', port: 82, namespace: 'team', partition: 'eu' });
  return s;
}

const get = (s: { httpUrl: string }, path: string) => fetch(`${s.httpUrl}${path}`);
type Entry = { Node: { Node: string; Datacenter: string; TaggedAddresses: Record<string, string> }; Service: { ID: string; Namespace?: string; Partition?: string } };
const entries = async (s: { httpUrl: string }, path: string): Promise<Entry[]> => (await (await get(s, path)).json()) as Entry[];

describe('datacenters, namespaces and partitions', () => {
  it('answers ?dc= from that datacenter\'s nodes, with their wan tagged addresses; 500 for a datacenter nobody is in', async () => {
    const s = await sim();
    expect((await entries(s, '/v1/health/service/web')).map((e) => e.Service.ID)).toEqual(['web-a']);
    const dc2 = await entries(s, '/v1/health/service/web?dc=dc2');
    expect(dc2.map((e) => [e.Service.ID, e.Node.Datacenter, e.Node.TaggedAddresses['wan']])).toEqual([['web-b', 'dc2', '198.51.100.1']]);
    expect((await entries(s, '/v1/health/service/web?dc=DC1')).map((e) => e.Service.ID)).toEqual(['web-a']);
    const none = await get(s, '/v1/health/service/web?dc=dc9');
    expect(none.status).toBe(500);
    expect(await none.text()).toBe('No path to datacenter');
    expect(Object.keys(await (await get(s, '/v1/catalog/services?dc=dc2')).json() as object)).toEqual(['web']);
  });

  it('filters by ?ns= and ?partition= (default: default), and names them in the body', async () => {
    const s = await sim();
    const team = await entries(s, '/v1/health/service/web?ns=team');
    expect(team.map((e) => [e.Service.ID, e.Service.Namespace, e.Service.Partition])).toEqual([['web-team', 'team', 'default']]);
    expect((await entries(s, '/v1/health/service/web?ns=team&partition=eu')).map((e) => e.Service.ID)).toEqual(['web-eu']);
    expect((await entries(s, '/v1/health/service/web?ns=other')).map((e) => e.Service.ID)).toEqual([]);
    const state = (await (await get(s, '/v1/health/state/any?ns=team')).json()) as Array<{ ServiceID: string }>;
    expect(state.map((c) => c.ServiceID).filter((id) => id !== '')).toEqual(['web-team']);
  });

  it('refuses ?ns= and ?partition= as Consul CE does, unless enterprise', async () => {
    const s = await sim(false);
    const ns = await get(s, '/v1/health/service/web?ns=default');
    expect(ns.status).toBe(400);
    expect(await ns.text()).toBe('Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature');
    expect((await get(s, '/v1/catalog/services?partition=eu')).status).toBe(400);
    expect((await get(s, '/v1/health/service/web')).status).toBe(200);
  });

  it('moves /v1/catalog/services\'s index on service writes only, and serves services without a check of their own', async () => {
    const s = await sim();
    const index = async (): Promise<number> => Number((await get(s, '/v1/catalog/services')).headers.get('x-consul-index'));
    const first = await index();
    s.setCheck({ node: 'a1', serviceId: 'web-a', status: 'warning' });
    expect(await index()).toBe(first);                                     // a check write: the services table did not move
    s.registerService({ id: 'web-a', name: 'web', node: 'a1', port: 80 });
    expect(await index()).toBe(first);                                     // an idempotent re-registration
    s.registerService({ id: 'plain', name: 'plain', node: 'a1', port: 1, noCheck: true });
    const second = await index();
    expect(second).toBeGreaterThan(first);
    const [e] = (await (await get(s, '/v1/health/service/plain')).json()) as Array<{ Checks: Array<{ CheckID: string }> }>;
    expect(e!.Checks.map((c) => c.CheckID)).toEqual(['serfHealth']);
    const before = (await (await get(s, '/v1/health/state/any')).text());
    s.registerService({ id: 'plain', name: 'plain', node: 'a1', port: 1, address: '10.7.0.1', noCheck: true });
    expect(await index()).toBeGreaterThan(second);                         // an address change moves the services table
    expect(await (await get(s, '/v1/health/state/any')).text()).toBe(before);   // and no check
    expect(() => s.setCheck({ node: 'a1', serviceId: 'plain', status: 'critical' })).toThrow('has no check');
  });
});
