import { query } from '@dnsmesh/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogPlugin, resolver, sim, until } from './helpers.js';

/**
 * The figures of the README, counted (not timed): for 10, 100 and 1000 watched services, the HTTP
 * requests the agent saw for the first lookups, for 1000 more lookups, for one change with a check
 * (a new instance) and for one without (a new address of a service with no check), the
 * connections held at once and the blocking queries held. `max_connections 4`, the default
 * `probe_interval` (15 s) and `probe_rate` (50/s): the change with a check is accounted for by the
 * change feed (no sweep); the one without is found by a sweep of probes spread at 50 per second.
 */
const rows: string[] = [];
afterAll(() => {
  console.log(['| Watched services | First lookups | 1000 more lookups | One change (new instance) | One change (address, no check) | Its sweep took | Connections at most | Blocking queries held |',
    '|---|---|---|---|---|---|---|---|', ...rows].join('\n'));
});

describe('consul catalog mode: load on the agent', () => {
  it.each([10, 100, 1000])('%i services: bounded connections, no request for 1000 more lookups, bounded requests per change', async (n) => {
    const s = await sim({}, false);
    for (let i = 0; i < n; i++) {
      s.registerNode({ name: `node-${i}`, address: `10.9.${i >> 8}.${i & 255}` });
      s.registerService({ id: `svc-${i}`, name: `svc-${i}`, node: `node-${i}`, port: 80, noCheck: i === 0 });
    }
    const r = await resolver({ http: s.httpUrl, maxConnections: 4 });
    const p = catalogPlugin(r);
    for (let b = 0; b < n; b += 50) {
      const replies = await Promise.all(Array.from({ length: Math.min(50, n - b) }, (_, j) => query(r.address, `svc-${b + j}.service.consul`, 'A', { timeout: 5000 })));
      for (const reply of replies) expect(reply.rcode).toBe('NOERROR');
    }
    await until(() => s.counters.blocking_waiters === 2);
    const total = (): number => s.counters.http_requests.total;
    const settled = (): Promise<number> => until(() => p.catalog.sweepsRunning === 0 && p.catalog.pool.waiting === 0, 5000, 20);
    const first = total();
    const reread = Object.entries(s.counters.http_requests.by_path).filter(([k, v]) => k.startsWith('/v1/health/service/svc-') && v > 1);
    for (let b = 0; b < 1000; b += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => query(r.address, `svc-${(b + j) % n}.service.consul`, 'A')));
    }
    const more = total() - first;

    // A new instance, with its check: the change feed names the service at the catalog's index: no sweep.
    let mark = total();
    const probesBefore = p.counts.probes;
    s.registerService({ id: 'svc-3-b', name: 'svc-3', node: 'node-0', port: 81 });
    await until(async () => (await query(r.address, 'svc-3.service.consul', 'SRV')).answers.length === 2, 2000, 20);
    await settled();
    const changeWithCheck = total() - mark;
    expect(p.counts.probes).toBe(probesBefore);
    expect(p.counts.sweeps.accounted).toBeGreaterThanOrEqual(1);

    // A new address of svc-0, which has no check: only the catalog feed's probes find it. The first
    // sweep after a quiet period starts at once; its probes go out 50 at once, then 50 per second.
    mark = total();
    const started = performance.now();
    s.registerService({ id: 'svc-0', name: 'svc-0', node: 'node-0', port: 80, address: '10.8.0.1', noCheck: true });
    await until(async () => (await query(r.address, 'svc-0.service.consul', 'A')).answers.some((a) => a.data === '10.8.0.1'), 2000, 20);
    await until(() => p.catalog.sweepsRunning === 0 && p.catalog.pool.waiting === 0, 10_000 + n * 40, 50);
    const took = performance.now() - started;
    const changeNoCheck = total() - mark;
    expect(p.counts.probes - probesBefore).toBeLessThanOrEqual(n);
    // How long the sweep took is printed, not asserted: the pacing itself (probe_rate) is proven on
    // an injected clock in src/sweep-gate.test.ts.

    rows.push(`| ${n} | ${first} | ${more} | ${changeWithCheck} | ${changeNoCheck} | ${(took / 1000).toFixed(1)} s | ${s.counters.http_connections_max} | ${s.counters.blocking_waiters} |`);
    expect(s.counters.http_connections_max).toBeLessThanOrEqual(4);
    expect(more).toBe(0);
    // One read per service, the two feeds' first read and first block; and a view read before its
    // scope's change feed first answered is read once more then (the feed's baseline wakes every
    // view it finds: catalog.ts #onFeed). Which views finish first is a race, so those are counted:
    // read twice at most, and only from the first batch of lookups.
    expect(reread.every(([, v]) => v === 2), JSON.stringify(reread)).toBe(true);
    expect(reread.length).toBeLessThanOrEqual(Math.min(50, n));
    expect(first - reread.length).toBeLessThanOrEqual(n + 4);
    // A change with a check: the feeds' answers and next requests (4), one read of the changed service: O(1), whatever n.
    expect(changeWithCheck).toBeLessThanOrEqual(6);
    // Without a check: the same, plus at most one probe per watched service, spread over time.
    expect(changeNoCheck).toBeLessThanOrEqual(n + 6);
    expect(s.counters.blocking_waiters).toBe(2);
  }, 120_000);
});
