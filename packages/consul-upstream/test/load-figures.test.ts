import { query } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { resolver, sim, until } from './helpers.js';

/**
 * The figures of the README: for 10, 100 and 1000 watched services, the connections the agent saw
 * at once, and the HTTP requests for the first lookups, for 1000 more lookups, and for one change.
 */
describe('consul catalog mode: load on the agent', () => {
  it.each([10, 100, 1000])('%i services: connections stay within max_connections; 1000 more lookups cost no request', async (n) => {
    const s = await sim({}, false);
    for (let i = 0; i < n; i++) {
      s.registerNode({ name: `node-${i}`, address: `10.9.${i >> 8}.${i & 255}` });
      s.registerService({ id: `svc-${i}`, name: `svc-${i}`, node: `node-${i}`, port: 80 });
    }
    const r = await resolver({ http: s.httpUrl, maxConnections: 4 });
    for (let b = 0; b < n; b += 50) {
      const replies = await Promise.all(Array.from({ length: Math.min(50, n - b) }, (_, j) => query(r.address, `svc-${b + j}.service.consul`, 'A', { timeout: 5000 })));
      for (const reply of replies) expect(reply.rcode).toBe('NOERROR');
    }
    const first = s.counters.http_requests.total;
    for (let b = 0; b < 1000; b += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => query(r.address, `svc-${(b + j) % n}.service.consul`, 'A')));
    }
    const more = s.counters.http_requests.total - first;
    s.registerService({ id: 'svc-3-b', name: 'svc-3', node: 'node-0', port: 81 });
    await until(async () => (await query(r.address, 'svc-3.service.consul', 'SRV')).answers.length === 2, 2000, 20);
    const change = s.counters.http_requests.total - first - more;
    console.log(`${n} services: first lookups ${first} requests, 1000 more lookups ${more} requests, one change ${change} requests, `
      + `connections at most ${s.counters.http_connections_max}, blocking queries held ${s.counters.blocking_waiters}`);
    expect(s.counters.http_connections_max).toBeLessThanOrEqual(4);
    expect(more).toBe(0);
    expect(change).toBeLessThanOrEqual(4);                        // the feed's wakeup and its next request, one read of svc-3
    expect(s.counters.blocking_waiters).toBe(1);
  }, 60_000);
});
