import http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startConsulSim } from '../sim.js';

describe('per-client connection limit (limits.http_max_conns_per_client)', () => {
  it('answers 429 on a connection past the limit, counts it, and tracks the most connections open at once', async () => {
    const s = await startConsulSim({ http_max_conns_per_client: 2, timeScale: 1 });
    onTestFinished(() => s.close());
    const agent = new http.Agent({ keepAlive: true });
    onTestFinished(() => agent.destroy());
    // Two blocking queries hold two connections.
    const index = s.serviceIndex('web');
    const held = [1, 2].map(() => fetchStatus(agent, `${s.httpUrl}/v1/health/service/web?index=${index}&wait=5s`));
    await until(() => s.counters.blocking_waiters === 2);
    expect(await fetchStatus(agent, `${s.httpUrl}/v1/catalog/services`)).toBe(429);
    expect(s.counters.http_connections_refused).toBe(1);
    expect(s.counters.http_connections_max).toBe(2);
    s.bumpIndex('web');
    expect(await Promise.all(held)).toEqual([200, 200]);
  });

  it('serves /v1/health/state/any as a blocking list of checks that wakes on a write', async () => {
    const s = await startConsulSim();
    onTestFinished(() => s.close());
    s.registerNode({ name: 'a', address: '10.0.0.1' });
    s.registerService({ id: 'web-1', name: 'web', node: 'a', port: 80 });
    const first = await fetch(`${s.httpUrl}/v1/health/state/any`);
    const checks = (await first.json()) as Array<{ CheckID: string; ServiceName: string; Status: string }>;
    expect(checks.filter((c) => c.ServiceName === 'web').map((c) => c.CheckID)).toEqual(['service:web-1']);
    const index = Number(first.headers.get('x-consul-index'));
    const next = fetch(`${s.httpUrl}/v1/health/state/any?index=${index}&wait=5s`);
    await until(() => s.counters.blocking_waiters === 1);
    s.setCheck({ node: 'a', serviceId: 'web-1', status: 'critical' });
    const r = await next;
    expect(Number(r.headers.get('x-consul-index'))).toBeGreaterThan(index);
    const after = (await r.json()) as Array<{ ServiceName: string; Status: string }>;
    expect(after.find((c) => c.ServiceName === 'web')?.Status).toBe('critical');
    expect((await fetch(`${s.httpUrl}/v1/health/state/bogus`)).status).toBe(400);
    const critical = (await (await fetch(`${s.httpUrl}/v1/health/state/critical`)).json()) as unknown[];
    expect(critical).toHaveLength(1);
  });
});

function fetchStatus(agent: http.Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
  });
}

async function until(fn: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!fn()) {
    if (Date.now() - start > ms) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
}
