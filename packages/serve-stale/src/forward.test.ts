import { CacheStore, cache } from '@dnsmesh/cache';
import { createServer, manualClock, type DnsServer } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { fakeUpstream, query, type FakeUpstream } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serveStale } from './index.js';

// End to end over real sockets: client -> dnsmesh (serve_stale, cache, forward) -> a fake upstream.

let server: DnsServer | undefined;
let upstream: FakeUpstream | undefined;
afterEach(async () => {
  await server?.stop();
  await upstream?.close();
  server = undefined;
  upstream = undefined;
});

async function start(maxStale = 3_600_000) {
  const clock = manualClock();
  upstream = await fakeUpstream({ 'web.svc.test A': { ttl: 60, data: ['10.0.0.1'] } });
  server = await createServer({ clock, plugins: [serveStale({ clientTimeout: 200, maxStale }), cache(), forward({ to: [upstream.address] })] }).start();
  const store = server.blocks[0]!.get(CacheStore, 'test');
  return { clock, store, address: server.address, upstream };
}

describe('serve_stale in front of forward', () => {
  it('answers stale at client_timeout while the upstream is slow, and the refreshed data fast right after it lands', async () => {
    const { clock, store, address, upstream } = await start();
    await query(address, 'web.svc.test', 'A');
    upstream.setRecord('web.svc.test A', { ttl: 60, data: ['10.0.0.2'] });
    upstream.delay(1000);
    clock.advance(70_000);
    const stale = await query(address, 'web.svc.test', 'A', { edns: 1232 });
    expect([...store.entries()][0]!.freshAt(clock.now())).toBe(false); // answered before the slow upstream's refresh landed
    expect(stale.answers[0]).toMatchObject({ data: '10.0.0.1', ttl: 30 });
    expect(stale.ede.map((e) => e.code)).toEqual([3]);
    await vi.waitFor(() => expect([...store.entries()][0]!.freshAt(clock.now())).toBe(true), { timeout: 4000, interval: 10 });
    const fresh = await query(address, 'web.svc.test', 'A', { edns: 1232 });
    expect(fresh.answers[0]).toMatchObject({ data: '10.0.0.2', ttl: 60 });
    expect(fresh.ede).toEqual([]);
    // The first query, then the refresh; forward asks the slow upstream again each time its
    // retransmission timer runs out before the 1 s reply: at the 200 ms floor (its replies took
    // about 1 ms so far), then 400 ms later (backed off), as Unbound would (from 50 ms, more often).
    expect(upstream.count('web.svc.test', 'A')).toBeGreaterThanOrEqual(2);
    expect(upstream.count('web.svc.test', 'A')).toBeLessThanOrEqual(4);
  });

  it('answers stale through a blackholed upstream until max_stale, then SERVFAIL', async () => {
    const { clock, store, address, upstream } = await start(120_000);
    await query(address, 'web.svc.test', 'A');
    upstream.blackhole();
    clock.advance(61_000);
    for (let i = 0; i < 3; i++) {
      const r = await query(address, 'web.svc.test', 'A', { edns: 1232 });
      expect(r.answers[0]).toMatchObject({ data: '10.0.0.1', ttl: 30 });
      expect(r.ede.map((e) => e.code)).toEqual([3]);
      clock.advance(30_000);
    }
    clock.set([...store.entries()][0]!.expiresAt + 120_000);
    const late = await query(address, 'web.svc.test', 'A', { edns: 1232, timeout: 8000 });
    expect(late.rcode).toBe('SERVFAIL');
    expect(late.ede.map((e) => e.code)).not.toContain(3);
  });
});
