import { CacheStore, cache } from '@dnsmesh/cache';
import { createServer, manualClock, type DnsServer } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { fakeUpstream, query, type FakeUpstream } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { prefetch } from './index.js';

// End to end over real sockets: client -> dnsmesh (prefetch, cache, forward) -> a fake upstream.

let server: DnsServer | undefined;
let upstream: FakeUpstream | undefined;
afterEach(async () => {
  await server?.stop();
  await upstream?.close();
  server = undefined;
  upstream = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('prefetch in front of forward', () => {
  it('keeps a name asked every 100 ms warm across many TTLs: no client ever waits on the upstream', async () => {
    // 40% of 5 s: the refresh starts 3 s (30 queries) before expiry, ample real time for it to land.
    const clock = manualClock();
    upstream = await fakeUpstream({ 'api.service.consul A': { ttl: 5, data: ['10.0.0.7'] } }, { delay: 5 });
    server = await createServer({ clock, plugins: [prefetch({ amount: 2, percentage: 40 }), cache(), forward({ to: [upstream.address] })] }).start();
    const store = server.blocks[0]!.get(CacheStore, 'test');
    await query(server.address, 'api.service.consul', 'A');
    for (let i = 0; i < 300; i++) { // 30 s: six TTLs of 5 s
      clock.advance(100);
      const r = await query(server.address, 'api.service.consul', 'A');
      expect(r.answers[0]!.ttl).toBeGreaterThanOrEqual(1);
      await sleep(2);
    }
    expect(store.counts.misses).toBe(1);
    expect(store.counts.coalesced).toBe(0);
    expect(store.counts.prefetches).toBeGreaterThanOrEqual(6);
    expect(upstream.count('api.service.consul', 'A')).toBe(1 + store.counts.prefetches);
  });
});
