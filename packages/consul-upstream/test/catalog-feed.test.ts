import { dig, query, type Reply } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { catalogPlugin, resolver, sim, until } from './helpers.js';

const addresses = (r: Reply): string[] => r.answers.map((a) => String(a.data)).sort();

/**
 * Changes that touch no check: the change feed (`/v1/health/state/any`) cannot see them; the
 * catalog feed (`/v1/catalog/services`) moves, and its body names tag changes, its index probes
 * find the rest. `resync` is one minute here (the default): only the catalog feed can find them.
 */
describe('consul catalog mode: changes that touch no check', () => {
  it('sees an address change and a tag change of a service without checks within 2 s, behind a cache', async () => {
    const s = await sim({}, false);
    s.registerNode({ name: 'n1', address: '10.1.0.1' });
    s.registerNode({ name: 'n2', address: '10.1.0.2' });
    s.registerService({ id: 'ext', name: 'ext', node: 'n1', port: 80, address: '10.5.0.1', tags: ['blue'], noCheck: true });
    for (let i = 0; i < 20; i++) s.registerService({ id: `other-${i}`, name: `other-${i}`, node: 'n2', port: 80 });
    // The first sweep runs at once; probe_interval holds any later one back for the rest of the test.
    const r = await resolver({ http: s.httpUrl, probeInterval: 600_000 }, { cache: true });
    expect(addresses(await query(r.address, 'ext.service.consul', 'A'))).toEqual(['10.5.0.1']);
    expect(addresses(await query(r.address, 'blue.ext.service.consul', 'A'))).toEqual(['10.5.0.1']);
    for (let i = 0; i < 20; i++) expect((await query(r.address, `other-${i}.service.consul`, 'A')).rcode).toBe('NOERROR');
    const p = catalogPlugin(r);
    await until(() => s.counters.blocking_waiters === 2);
    const state = await (await fetch(`${s.httpUrl}/v1/health/state/any`)).text();

    // A new address: no check moves (the change feed's body stays the same), the catalog feed's index does.
    s.registerService({ id: 'ext', name: 'ext', node: 'n1', port: 80, address: '10.5.0.2', tags: ['blue'], noCheck: true });
    expect(await (await fetch(`${s.httpUrl}/v1/health/state/any`)).text()).toBe(state);
    await until(async () => addresses(await query(r.address, 'ext.service.consul', 'A')).join() === '10.5.0.2', 2000, 20);
    // Found by the catalog feed's probe sweep (the resync, a minute away, neither sweeps nor probes):
    // a sweep ran, its probe of ext saw ext's index move and read the view again.
    expect(p.counts.sweeps.run).toBe(1);
    expect(p.counts.probes).toBeGreaterThanOrEqual(1);
    expect(p.counts.feedRefetches).toBe(1);
    // dig sees the new address through the cache too.
    const [host, port] = r.address.split(':');
    expect((await dig(['@' + host, '-p', port!, 'ext.service.consul', 'A', '+short'])).trim()).toBe('10.5.0.2');

    // A new tag: the catalog body names the service, which is read again at once.
    const probes = p.counts.probes;
    s.registerService({ id: 'ext', name: 'ext', node: 'n1', port: 80, address: '10.5.0.2', tags: ['green'], noCheck: true });
    await until(async () => (await query(r.address, 'blue.ext.service.consul', 'A')).rcode === 'NXDOMAIN'
      && addresses(await query(r.address, 'green.ext.service.consul', 'A')).join() === '10.5.0.2', 2000, 20);
    // Only ext's answers changed: the other views were probed (an empty body each) and none read again.
    expect(p.counts.changes).toBe(2);
    // ext was read again because the catalog body named it (the second refetch), with no probe:
    // probe_interval holds this move's sweep back, so no second sweep ran.
    expect(p.counts.feedRefetches).toBe(2);
    expect(p.counts.sweeps.run).toBe(1);
    expect(p.counts.probes).toBe(probes);
    console.log(`no-check changes: ${p.counts.probes} index probes`);
  });

  it('with catalog_feed off, holds one blocking query and leaves such changes to the resync', async () => {
    const s = await sim({}, false);
    s.registerNode({ name: 'n1', address: '10.1.0.1' });
    s.registerService({ id: 'ext', name: 'ext', node: 'n1', port: 80, address: '10.5.0.1', noCheck: true });
    const r = await resolver({ http: s.httpUrl, catalogFeed: false, resync: 1500 });
    expect(addresses(await query(r.address, 'ext.service.consul', 'A'))).toEqual(['10.5.0.1']);
    await until(() => s.counters.blocking_waiters === 1);
    s.registerService({ id: 'ext', name: 'ext', node: 'n1', port: 80, address: '10.5.0.2', noCheck: true });
    await new Promise((done) => setTimeout(done, 500));
    expect(addresses(await query(r.address, 'ext.service.consul', 'A'))).toEqual(['10.5.0.1']);   // not seen yet
    await until(async () => addresses(await query(r.address, 'ext.service.consul', 'A')).join() === '10.5.0.2', 3000, 50);
    expect(s.counters.blocking_waiters).toBe(1);
    expect(s.counters.http_requests.by_path['/v1/catalog/services']).toBeUndefined();
  });

  it('starts the next sweep no sooner than probe_interval after the last; probe_interval 0 leaves such changes to the resync', async () => {
    const s = await sim({}, false);
    s.registerNode({ name: 'n1', address: '10.1.0.1' });
    s.registerService({ id: 'ext', name: 'ext', node: 'n1', port: 80, address: '10.5.0.1', noCheck: true });
    for (let i = 0; i < 5; i++) s.registerService({ id: `other-${i}`, name: `other-${i}`, node: 'n1', port: 80 });
    const r = await resolver({ http: s.httpUrl, probeInterval: 1500 });
    const p = catalogPlugin(r);
    expect(addresses(await query(r.address, 'ext.service.consul', 'A'))).toEqual(['10.5.0.1']);
    for (let i = 0; i < 5; i++) expect((await query(r.address, `other-${i}.service.consul`, 'A')).rcode).toBe('NOERROR');
    await until(() => s.counters.blocking_waiters === 2);
    s.registerService({ id: 'ext', name: 'ext', node: 'n1', port: 80, address: '10.5.0.2', noCheck: true });
    await until(async () => addresses(await query(r.address, 'ext.service.consul', 'A')).join() === '10.5.0.2', 2000, 20);
    await until(() => p.catalog.sweepsRunning === 0);
    expect(p.counts.sweeps.run).toBe(1);
    // The next write without a check, at once: its sweep waits for the interval.
    s.registerService({ id: 'ext', name: 'ext', node: 'n1', port: 80, address: '10.5.0.3', noCheck: true });
    await until(() => p.counts.sweeps.deferred === 1, 2000, 10);
    expect(p.catalog.sweepsDeferred).toBe(1);
    await until(async () => addresses(await query(r.address, 'ext.service.consul', 'A')).join() === '10.5.0.3', 5000, 20);
    // When it ran is not timed here (src/sweep.test.ts proves the interval on manual timers): the
    // counts say it was deferred, then ran.
    expect(p.counts.sweeps.run).toBe(2);

    const s2 = await sim({}, false);
    s2.registerNode({ name: 'n1', address: '10.1.0.1' });
    s2.registerService({ id: 'ext', name: 'ext', node: 'n1', port: 80, address: '10.5.0.1', noCheck: true });
    const r2 = await resolver({ http: s2.httpUrl, probeInterval: 0, resync: 1500 });
    const p2 = catalogPlugin(r2);
    expect(addresses(await query(r2.address, 'ext.service.consul', 'A'))).toEqual(['10.5.0.1']);
    await until(() => s2.counters.blocking_waiters === 2);
    s2.registerService({ id: 'ext', name: 'ext', node: 'n1', port: 80, address: '10.5.0.2', noCheck: true });
    await until(() => p2.counts.sweeps.off === 1, 2000, 10);
    await until(async () => addresses(await query(r2.address, 'ext.service.consul', 'A')).join() === '10.5.0.2', 3000, 50);
    expect(p2.counts.probes).toBe(0);
  });
});
