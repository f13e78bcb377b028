import { describe, expect, it, onTestFinished } from 'vitest';
import { startConsulSim } from '../sim.js';
import type { SimOptions } from '../options.js';
import { recordTimerDelays } from '../testing/timer-delays.js';

async function sim(opts: SimOptions = {}) {
  const s = await startConsulSim({ seed: 1, ...opts });
  onTestFinished(() => s.close());
  s.registerNode({ name: 'node-b', address: '10.0.1.2', meta: { availability_zone: 'us-west-2b' } });
  s.registerNode({ name: 'node-a', address: '10.0.1.1' });
  s.registerService({ id: 'web-2', name: 'web', node: 'node-a', port: 8080, tags: ['canary'] });
  s.registerService({ id: 'web-1', name: 'web', node: 'node-a', port: 8081, tags: ['primary'] });
  s.registerService({ id: 'web-3', name: 'web', node: 'node-b', port: 8080, tags: ['primary'], address: '10.9.0.3', meta: { v: '2' } });
  s.registerService({ id: 'db-1', name: 'db', node: 'node-b', port: 5432 });
  return s;
}

const get = (s: { httpUrl: string }, path: string, init?: RequestInit) => fetch(`${s.httpUrl}${path}`, init);
const ids = async (r: Response) => ((await r.json()) as Array<{ Service: { ID: string } }>).map((e) => e.Service.ID);

describe('GET /v1/health/service/:svc', () => {
  it('returns Consul-shaped entries sorted by node then service ID, with the Consul headers', async () => {
    const s = await sim();
    const r = await get(s, '/v1/health/service/web');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(Number(r.headers.get('x-consul-index'))).toBe(s.serviceIndex('web'));
    expect(r.headers.get('x-consul-knownleader')).toBe('true');
    expect(r.headers.get('x-consul-lastcontact')).toBe('0');
    expect(r.headers.get('x-consul-effective-consistency')).toBe('leader');
    expect(r.headers.get('x-consul-query-backend')).toBe('blocking-query');
    const body = await r.json() as Array<Record<string, any>>;
    expect(body.map((e) => e.Service.ID)).toEqual(['web-1', 'web-2', 'web-3']);
    const e = body[2]!;
    expect(Object.keys(e)).toEqual(['Node', 'Service', 'Checks']);
    expect(e.Node).toMatchObject({
      Node: 'node-b', Address: '10.0.1.2', Datacenter: 'dc1',
      TaggedAddresses: { lan: '10.0.1.2', lan_ipv4: '10.0.1.2', wan: '10.0.1.2', wan_ipv4: '10.0.1.2' },
      Meta: { 'consul-network-segment': '', 'consul-version': '1.19.2', availability_zone: 'us-west-2b' },
    });
    expect(e.Node.ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(e.Service).toMatchObject({
      ID: 'web-3', Service: 'web', Tags: ['primary'], Address: '10.9.0.3', Port: 8080, Meta: { v: '2' },
      Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false,
    });
    expect(e.Checks).toEqual([
      { Node: 'node-b', CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing', Notes: '', Output: 'Agent alive and reachable', ServiceID: '', ServiceName: '', ServiceTags: [] },
      { Node: 'node-b', CheckID: 'service:web-3', Name: "Service 'web' check", Status: 'passing', Notes: '', Output: '', ServiceID: 'web-3', ServiceName: 'web', ServiceTags: ['primary'] },
    ]);
    expect(body[0]!.Service.Address).toBe(''); // the node address is used
  });

  it('returns [] for an unknown service and 400 without a name', async () => {
    const s = await sim();
    const r = await get(s, '/v1/health/service/nope');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual([]);
    expect(Number(r.headers.get('x-consul-index'))).toBeGreaterThanOrEqual(1);
    expect((await get(s, '/v1/health/service/')).status).toBe(400);
  });

  it('filters by ?passing, repeated ?tag (AND) and a simple ?filter', async () => {
    const s = await sim();
    s.setCheck({ node: 'node-a', serviceId: 'web-2', status: 'warning' });
    expect(await ids(await get(s, '/v1/health/service/web?passing'))).toEqual(['web-1', 'web-3']);
    expect(await ids(await get(s, '/v1/health/service/web?passing=true'))).toEqual(['web-1', 'web-3']);
    expect(await ids(await get(s, '/v1/health/service/web?passing=false'))).toEqual(['web-1', 'web-2', 'web-3']);
    const bad = await get(s, '/v1/health/service/web?passing=maybe');
    expect([bad.status, await bad.text()]).toEqual([400, 'Invalid value for ?passing']);
    expect(await ids(await get(s, '/v1/health/service/web?tag=PRIMARY'))).toEqual(['web-1', 'web-3']);
    expect(await ids(await get(s, '/v1/health/service/web?tag=primary&tag=canary'))).toEqual([]);
    const f = encodeURIComponent('Service.Meta.v == "2" and "primary" in Service.Tags');
    expect(await ids(await get(s, `/v1/health/service/web?filter=${f}`))).toEqual(['web-3']);
  });

  it('reports the consistency mode and rejects conflicting ones', async () => {
    const s = await sim();
    expect((await get(s, '/v1/health/service/web?stale')).headers.get('x-consul-effective-consistency')).toBe('stale');
    expect((await get(s, '/v1/health/service/web?consistent')).headers.get('x-consul-effective-consistency')).toBe('consistent');
    expect((await get(s, '/v1/health/service/web?stale&consistent')).status).toBe(400);
    expect((await get(s, '/v1/health/service/web?cached&consistent')).status).toBe(400);
    const other = await get(s, '/v1/health/service/web?dc=dc2');
    expect([other.status, await other.text()]).toEqual([500, 'No path to datacenter']);
  });

  it('marks ?cached answers MISS, then HIT', async () => {
    const s = await sim();
    expect((await get(s, '/v1/health/service/web?cached')).headers.get('x-cache')).toBe('MISS');
    const hit = await get(s, '/v1/health/service/web?cached');
    expect([hit.headers.get('x-cache'), hit.headers.get('age')]).toEqual(['HIT', '0']);
  });
});

describe('blocking queries', () => {
  it('rejects a bad wait or index with 400', async () => {
    const s = await sim();
    for (const [q, msg] of [['wait=5', 'Invalid wait time'], ['wait=soon', 'Invalid wait time'], ['index=-1', 'Invalid index'], ['index=x', 'Invalid index']]) {
      const r = await get(s, `/v1/health/service/web?${q}`);
      expect([r.status, await r.text()]).toEqual([400, msg]);
    }
  });

  it('answers at once for index 0 or an index already passed', async () => {
    const s = await sim({ timeScale: 1 });
    const clock = recordTimerDelays();
    onTestFinished(clock.restore);
    expect((await get(s, '/v1/health/service/web?index=0&wait=10m')).status).toBe(200);
    expect((await get(s, '/v1/health/service/web?index=1&wait=10m')).status).toBe(200);
    expect(clock.delays).toEqual([]);                   // no wait was set up
    expect(s.counters.blocking_waiters).toBe(0);
  });

  it('holds until the service changes, then returns the new body and a higher index', async () => {
    const s = await sim({ timeScale: 1 });
    const index = s.serviceIndex('web');
    const pending = get(s, `/v1/health/service/web?index=${index}&wait=1m`);
    await until(() => s.counters.blocking_waiters === 1);
    s.registerService({ id: 'db-2', name: 'db', node: 'node-a', port: 5432 }); // another service: no wake
    await new Promise((r) => setTimeout(r, 50));
    expect(s.counters.blocking_waiters).toBe(1);
    s.setCheck({ node: 'node-a', serviceId: 'web-1', status: 'critical' });
    const r = await pending;
    expect(Number(r.headers.get('x-consul-index'))).toBeGreaterThan(index);
    const body = await r.json() as Array<{ Checks: Array<{ Status: string }> }>;
    expect(body[0]!.Checks[1]!.Status).toBe('critical');
    expect(s.counters.blocking_waiters).toBe(0);
  });

  it('times out after the scaled wait with the same index and body', async () => {
    const s = await sim({ timeScale: 0.01 });
    const index = s.serviceIndex('web');
    const before = await (await get(s, '/v1/health/service/web')).text();
    const clock = recordTimerDelays({ instant: true }); // the wait asked for, not waited
    onTestFinished(clock.restore);
    const r = await get(s, `/v1/health/service/web?index=${index}&wait=20s`);
    expect(clock.delays).toHaveLength(1);
    expect(clock.delays[0]).toBeGreaterThanOrEqual(200);  // 20 s × 0.01, plus up to 1/16 of jitter
    expect(clock.delays[0]).toBeLessThanOrEqual(200 * (1 + 1 / 16));
    expect(r.headers.get('x-consul-index')).toBe(String(index));
    expect(await r.text()).toBe(before);
  });

  it('uses 5m by default and caps the wait at 10m (scaled)', async () => {
    const s = await sim({ timeScale: 0.001 });
    const index = s.serviceIndex('web');
    const clock = recordTimerDelays({ instant: true });
    onTestFinished(clock.restore);
    await get(s, `/v1/health/service/web?index=${index}`);
    await get(s, `/v1/health/service/web?index=${index}&wait=1h`);
    expect(clock.delays).toHaveLength(2);
    const [byDefault, capped] = clock.delays as [number, number];
    expect(byDefault).toBeGreaterThanOrEqual(300);       // 5 m × 0.001
    expect(byDefault).toBeLessThanOrEqual(300 * (1 + 1 / 16));
    expect(capped).toBeGreaterThanOrEqual(600);          // 1 h capped at 10 m, × 0.001
    expect(capped).toBeLessThanOrEqual(600 * (1 + 1 / 16));
  });

  it('wakes on bumpIndex with the same body (a spurious wakeup)', async () => {
    const s = await sim();
    const index = s.serviceIndex('web');
    const before = await (await get(s, '/v1/health/service/web')).text();
    const pending = get(s, `/v1/health/service/web?index=${index}&wait=1m`);
    await until(() => s.counters.blocking_waiters === 1);
    const bumped = s.bumpIndex('web');
    const r = await pending;
    expect(r.headers.get('x-consul-index')).toBe(String(bumped));
    expect(await r.text()).toBe(before);
  });

  it('wakes every waiter with a lower index on index_reset', async () => {
    const s = await sim();
    const index = s.serviceIndex('web');
    const waiting = [get(s, `/v1/health/service/web?index=${index}&wait=1m`), get(s, `/v1/catalog/services?index=${s.index}&wait=1m`)];
    await until(() => s.counters.blocking_waiters === 2);
    await s.setFailure('index_reset');
    const [health, services] = await Promise.all(waiting);
    expect(Number(health!.headers.get('x-consul-index'))).toBeLessThan(index);
    expect(Number(services!.headers.get('x-consul-index'))).toBeLessThan(index);
    // index_reset is one-shot: later writes count up from the lower index.
    s.bumpIndex('web');
    expect(s.serviceIndex('web')).toBeLessThanOrEqual(index);
  });

  it('sends X-Consul-Index 0 under index_zero (not faithful, for client guards)', async () => {
    const s = await sim();
    await s.setFailure('index_zero');
    expect((await get(s, '/v1/health/service/web')).headers.get('x-consul-index')).toBe('0');
    await s.clearFailure('index_zero');
    expect(Number((await get(s, '/v1/health/service/web')).headers.get('x-consul-index'))).toBeGreaterThan(0);
  });
});

describe('catalog, agent and status', () => {
  it('lists services with their tags, nodes, and one node', async () => {
    const s = await sim();
    const services = await get(s, '/v1/catalog/services');
    expect(await services.json()).toEqual({ consul: [], db: [], web: ['canary', 'primary'] });
    expect(services.headers.get('x-consul-index')).toBe(String(s.index));
    const nodes = await (await get(s, '/v1/catalog/nodes')).json() as Array<{ Node: string }>;
    expect(nodes.map((n) => n.Node)).toEqual(['consul-sim', 'node-a', 'node-b']);
    const node = await (await get(s, '/v1/catalog/node/node-b')).json() as { Services: Record<string, unknown> };
    expect(Object.keys(node.Services)).toEqual(['db-1', 'web-3']);
    expect(await (await get(s, '/v1/catalog/node/nobody')).json()).toBeNull();
  });

  it('describes itself in /v1/agent/self and names the leader', async () => {
    const s = await sim({ dns_config: { node_ttl: '10s', enable_truncate: true } });
    const self = await (await get(s, '/v1/agent/self')).json() as Record<string, any>;
    expect(self.Config).toMatchObject({ Datacenter: 'dc1', NodeName: 'consul-sim', Server: true, Version: '1.19.2' });
    expect(self.DebugConfig).toMatchObject({ DNSDomain: 'consul.', DNSPort: s.dnsPort, DNSNodeTTL: '10s', DNSEnableTruncate: true, DNSUseCache: false });
    expect(await (await get(s, '/v1/status/leader')).json()).toBe('127.0.0.1:8300');
  });

  it('counts /v1 requests by path, not the control endpoints', async () => {
    const s = await sim();
    await get(s, '/v1/health/service/web');
    await get(s, '/v1/health/service/web');
    await get(s, '/v1/status/leader');
    await get(s, '/_sim/counters');
    expect(s.counters.http_requests).toEqual({ total: 3, by_path: { '/v1/health/service/web': 2, '/v1/status/leader': 1 } });
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe('tagged addresses in the JSON', () => {
  it('gives a service the agent\'s defaults from an IP address plus the given ones, and none without an address', async () => {
    const s = await startConsulSim();
    try {
      s.registerNode({ name: 'n1', address: '10.0.0.1', taggedAddresses: { lan_ipv6: 'fd00::1' } });
      s.registerService({ id: 'a', name: 'a', node: 'n1', port: 80, address: '10.0.0.9', taggedAddresses: { lan_ipv6: { address: 'fd00::9' } } });
      s.registerService({ id: 'b', name: 'b', node: 'n1', port: 81 });
      const get = async (name: string): Promise<Array<{ Node: { TaggedAddresses: unknown }; Service: { TaggedAddresses?: unknown } }>> =>
        (await fetch(`${s.httpUrl}/v1/health/service/${name}`)).json() as never;
      const [a] = await get('a');
      expect(a!.Service.TaggedAddresses).toEqual({
        lan_ipv4: { Address: '10.0.0.9', Port: 80 }, wan_ipv4: { Address: '10.0.0.9', Port: 80 }, lan_ipv6: { Address: 'fd00::9', Port: 80 },
      });
      expect(a!.Node.TaggedAddresses).toMatchObject({ lan: '10.0.0.1', lan_ipv4: '10.0.0.1', lan_ipv6: 'fd00::1' });
      const [b] = await get('b');
      expect(b!.Service.TaggedAddresses).toBeUndefined();
      expect(() => s.registerNode({ name: 'n2', address: '10.0.0.2', taggedAddresses: { wan: 7 as unknown as string } })).toThrow('tagged address wan must be a string');
    } finally {
      await s.close();
    }
  });
});
