import { expect, it, onTestFinished } from 'vitest';
import { startConsulSim } from '../sim.js';
import { udp } from '../testing/dig.js';

it('drives the catalog, counters and failures over /_sim', async () => {
  const s = await startConsulSim();
  onTestFinished(() => s.close());
  const post = (path: string, body: unknown) => fetch(`${s.httpUrl}/_sim${path}`, { method: 'POST', body: JSON.stringify(body) });
  expect((await post('/node', { name: 'n1', address: '10.0.1.1', meta: { rack: 'r1' } })).status).toBe(200);
  expect((await post('/service', { id: 'web-1', name: 'web', node: 'n1', port: 80 })).status).toBe(200);
  expect((await post('/big-service', { name: 'big', count: 5 })).status).toBe(200);
  expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).answers).toHaveLength(1);
  await post('/check', { node: 'n1', serviceId: 'web-1', status: 'critical' });
  expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('NXDOMAIN');
  const before = s.serviceIndex('web');
  const bump = await (await post('/bump', { service: 'web' })).json() as { bumped: number };
  expect(bump.bumped).toBeGreaterThan(before);
  const state = await (await fetch(`${s.httpUrl}/_sim/state`)).json() as { nodes: Array<{ name: string }> };
  expect(state.nodes).toHaveLength(7); // the agent's own node, n1, and five for `big`
  const counters = await (await fetch(`${s.httpUrl}/_sim/counters`)).json() as { dns_queries: number };
  expect(counters.dns_queries).toBe(2);
  await post('/counters/reset', {});
  expect(s.counters.dns_queries).toBe(0);

  expect((await post('/failure', { mode: 'rate_limit' })).status).toBe(200);
  expect((await fetch(`${s.httpUrl}/v1/status/leader`)).status).toBe(429);
  expect(await (await fetch(`${s.httpUrl}/_sim/failure`)).json()).toMatchObject([{ mode: 'rate_limit' }]);
  await fetch(`${s.httpUrl}/_sim/failure/rate_limit`, { method: 'DELETE' });
  expect((await fetch(`${s.httpUrl}/v1/status/leader`)).status).toBe(200);

  expect((await fetch(`${s.httpUrl}/_sim/service/web-1`, { method: 'DELETE' })).status).toBe(200);
  const bad = await post('/failure', { mode: 'meteor' });
  expect([bad.status, await bad.json()]).toEqual([400, { error: 'unknown failure mode meteor' }]);
  expect((await post('/service', { name: 'x', node: 'nobody' })).status).toBe(400);
});
