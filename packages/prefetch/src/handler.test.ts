import { CacheStore, cache } from '@dnsmesh/cache';
import { after, createServer, DnsMessage, manualClock, QueryContext, type DnsServer, type Plugin } from '@dnsmesh/core';
import { buildQuery, query, authorityA as a, authority, authoritySoa as soa, type AuthorityAnswer as Answer, type Authority } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prefetch, type PrefetchInput } from './index.js';
import { RETRY_SPACING } from './options.js';

let server: DnsServer | undefined;
let auth: Authority | undefined;
afterEach(async () => {
  auth?.close();
  await server?.stop();
  server = undefined;
  auth = undefined;
});

/** prefetch in front of cache in front of an in-chain authority; a spy records each query's cache decision. */
async function start(table: Record<string, Answer>, opts: PrefetchInput, cacheOpts: Parameters<typeof cache>[0] = {}) {
  const clock = manualClock();
  auth = authority(table);
  const decisions: string[] = [];
  const spy: Plugin = { name: 'spy', handle: (ctx, next) => after(next(ctx), (r) => { decisions.push(ctx.state.cache); return r; }) };
  server = await createServer({ clock, plugins: [spy, prefetch(opts), cache(cacheOpts), auth] }).start();
  const block = server.blocks[0]!;
  const store = block.get(CacheStore, 'test');
  return { clock, auth, store, block, decisions, address: server.address };
}

const asked = (n: number) => vi.waitFor(() => expect(auth!.asked).toHaveLength(n), { timeout: 2000, interval: 2 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('prefetch', () => {
  it('refreshes a hot name at 91% of a 100 s TTL in the background: the reply now, one upstream query, full TTL after (checklist 42)', async () => {
    const { clock, store, decisions, address } = await start({ 'hot.test A': { answers: [a('hot.test', 100)] } }, { amount: 1 });
    await query(address, 'hot.test', 'A');
    clock.advance(91_000);
    const now = await query(address, 'hot.test', 'A');
    expect(now.answers[0]!.ttl).toBe(9);
    expect(decisions).toEqual(['miss', 'prefetch']);
    await asked(2);
    await vi.waitFor(() => expect([...store.entries()][0]!.remaining(clock.now())).toBe(100));
    const fresh = await query(address, 'hot.test', 'A');
    expect(fresh.answers[0]!.ttl).toBe(100);
    expect(auth!.asked).toEqual(['hot.test A', 'hot.test A']);
    expect(store.counts.prefetches).toBe(1);
    expect(decisions.at(-1)).toBe('hit');
  });

  it('asks nothing for a hit at half the TTL (checklist 43)', async () => {
    const { clock, store, address } = await start({ 'hot.test A': { answers: [a('hot.test', 100)] } }, { amount: 1 });
    await query(address, 'hot.test', 'A');
    clock.advance(50_000);
    for (let i = 0; i < 5; i++) expect((await query(address, 'hot.test', 'A')).answers[0]!.ttl).toBe(50);
    await sleep(20);
    expect(auth!.asked).toHaveLength(1);
    expect(store.counts.prefetches).toBe(0);
  });

  it('starts one refresh however many hits come while it is in flight (checklist 44)', async () => {
    const { clock, store, decisions, address } = await start({ 'hot.test A': { answers: [a('hot.test', 100)] } }, { amount: 1 });
    await query(address, 'hot.test', 'A');
    auth!.set('hot.test A', { answers: [a('hot.test', 100, '10.0.0.2')], hold: true });
    clock.advance(91_000);
    const replies = [];
    for (let i = 0; i < 21; i++) replies.push(await query(address, 'hot.test', 'A'));
    expect(replies.every((r) => r.answers[0]!.data === '10.0.0.1' && r.answers[0]!.ttl === 9)).toBe(true);
    expect(auth!.asked).toHaveLength(2);
    expect(store.counts.prefetches).toBe(1);
    expect(decisions.slice(1)).toEqual(['prefetch', ...Array(20).fill('hit')]);
    expect(auth!.release()).toBe(1);
    await vi.waitFor(async () => expect((await query(address, 'hot.test', 'A')).answers[0]).toMatchObject({ data: '10.0.0.2', ttl: 100 }));
    expect(auth!.asked).toHaveLength(2);
  });

  it('answers the hit that starts a prefetch synchronously', async () => {
    const { clock, block } = await start({ 'hot.test A': { answers: [a('hot.test', 100)] } }, { amount: 1 });
    const client = { address: '127.0.0.1', port: 5353, transport: 'udp' as const, family: 4 as const };
    const ask = () => block.chain(new QueryContext(new DnsMessage(buildQuery('hot.test', 'A')), client, block, clock.now()));
    await ask();
    clock.advance(95_000);
    const result = ask();
    expect(result).not.toBeInstanceOf(Promise);
    expect((result as DnsMessage).ttlAge).toBe(95);
    await asked(2);
  });

  it('waits for AMOUNT hits within DURATION', async () => {
    const { clock, store, address } = await start({ 'warm.test A': { answers: [a('warm.test', 100)] } }, { amount: 3, duration: 60_000 });
    await query(address, 'warm.test', 'A');
    clock.advance(20_000);
    await query(address, 'warm.test', 'A'); // hit 1 of a window that starts at +20 s
    clock.advance(71_000); // +91 s: more than a minute later, so a new window
    await query(address, 'warm.test', 'A'); // 1
    await query(address, 'warm.test', 'A'); // 2
    await sleep(10);
    expect(store.counts.prefetches).toBe(0);
    await query(address, 'warm.test', 'A'); // 3: hot enough, and under 10% left
    expect(store.counts.prefetches).toBe(1);
    await asked(2);
  });

  it('uses PERCENTAGE of the original TTL, rounded up as CoreDNS does', async () => {
    const { clock, store, address } = await start({ 'p.test A': { answers: [a('p.test', 100)] } }, { amount: 1, percentage: 50 });
    await query(address, 'p.test', 'A');
    clock.advance(49_000); // 51 s left
    await query(address, 'p.test', 'A');
    expect(store.counts.prefetches).toBe(0);
    clock.advance(1000); // 50 s left: ceil(50% x 100)
    await query(address, 'p.test', 'A');
    expect(store.counts.prefetches).toBe(1);
    await asked(2);
  });

  it('keeps the entry when the refresh fails and tries again no sooner than 5 s later (checklist 45)', async () => {
    const { clock, store, plugin, address } = await startWithPlugin({ 'flaky.test A': { answers: [a('flaky.test', 100)] } });
    await query(address, 'flaky.test', 'A');
    auth!.set('flaky.test A', { fail: true });
    clock.advance(91_000);
    expect((await query(address, 'flaky.test', 'A')).answers[0]!.ttl).toBe(9);
    await asked(2);
    await vi.waitFor(() => expect(plugin().counts.failures).toBe(1));
    // Within 5 s: served from the entry, no new upstream query.
    for (const step of [1000, 2000, RETRY_SPACING - 3001]) {
      clock.advance(step);
      const r = await query(address, 'flaky.test', 'A');
      expect(r.rcode).toBe('NOERROR');
      expect(r.answers[0]!.data).toBe('10.0.0.1');
    }
    await sleep(10);
    expect(auth!.asked).toHaveLength(2);
    // 5 s after the failure: one more try; a SERVFAIL does not replace the entry either.
    auth!.set('flaky.test A', { rcode: 'SERVFAIL' });
    clock.advance(1);
    expect((await query(address, 'flaky.test', 'A')).answers[0]!.data).toBe('10.0.0.1');
    await asked(3);
    await vi.waitFor(() => expect(plugin().counts.failures).toBe(2));
    expect([...store.entries()].map((e) => e.kind)).toEqual(['success']);
    expect(store.counts.prefetches).toBe(2);
  });

  it('serves a name asked every 100 ms across many TTLs from the cache, never waiting on the upstream', async () => {
    // 30%: the refresh starts 4 s (40 queries) before expiry, ample real time for it to land.
    const { clock, store, decisions, address } = await start({ 'svc.consul A': { answers: [a('svc.consul', 10)] } }, { amount: 2, percentage: 30 });
    await query(address, 'svc.consul', 'A');
    const ttls: number[] = [];
    for (let i = 0; i < 600; i++) { // 60 s of traffic: six TTLs
      clock.advance(100);
      ttls.push((await query(address, 'svc.consul', 'A')).answers[0]!.ttl);
      await sleep(1); // real time for a background refresh to land
    }
    expect(store.counts.misses).toBe(1);
    expect(store.counts.coalesced).toBe(0);
    expect(decisions.slice(1).every((d) => d === 'hit' || d === 'prefetch')).toBe(true);
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(1);
    expect(store.counts.prefetches).toBeGreaterThanOrEqual(6);
    expect(auth!.asked).toHaveLength(1 + store.counts.prefetches);
  });

  it('lets a client miss after expiry share the prefetch in flight: one upstream query', async () => {
    const { clock, store, decisions, address } = await start({ 'slow.test A': { answers: [a('slow.test', 100)] } }, { amount: 1 });
    await query(address, 'slow.test', 'A');
    auth!.set('slow.test A', { answers: [a('slow.test', 100, '10.0.0.9')], hold: true });
    clock.advance(95_000);
    await query(address, 'slow.test', 'A'); // starts the prefetch, which the upstream holds
    await asked(2);
    clock.advance(6000); // expired now
    const waiting = query(address, 'slow.test', 'A');
    await sleep(20);
    auth!.release();
    expect((await waiting).answers[0]).toMatchObject({ data: '10.0.0.9', ttl: 100 });
    expect(auth!.asked).toHaveLength(2);
    expect(decisions.at(-1)).toBe('coalesced');
    expect(store.counts.prefetches).toBe(1);
  });

  it('refreshes a denial too, and never a cached SERVFAIL', async () => {
    const { clock, store, address } = await start({
      'gone.test *': { rcode: 'NXDOMAIN', authorities: [soa('test', 100, 100)] },
      'broken.test A': { rcode: 'SERVFAIL' },
    }, { amount: 1 }, { servfail: 10_000 });
    await query(address, 'gone.test', 'A');
    await query(address, 'broken.test', 'A');
    clock.advance(9500); // the SERVFAIL entry (10 s) has 0.5 s left
    expect((await query(address, 'broken.test', 'A')).rcode).toBe('SERVFAIL');
    clock.advance(81_500); // +91 s
    expect((await query(address, 'gone.test', 'A')).rcode).toBe('NXDOMAIN');
    await asked(3);
    expect(auth!.asked).toEqual(['gone.test A', 'broken.test A', 'gone.test A']);
    expect(store.counts.prefetches).toBe(1);
  });

  it('asks with RD set when the hit that starts the prefetch had RD clear', async () => {
    const { clock, address } = await start({ 'hot.test A': { answers: [a('hot.test', 100)] } }, { amount: 1 });
    await query(address, 'hot.test', 'A');
    clock.advance(91_000);
    expect((await query(address, 'hot.test', 'A', { rd: false })).answers[0]!.ttl).toBe(9);
    await asked(2);
    expect(auth!.requests.map((r) => r.rd)).toEqual([true, true]);
  });

  it('carries the hit count over to the refreshed entry, so a hot name is prefetched again', async () => {
    const { clock, store, address } = await start({ 'hot.test A': { answers: [a('hot.test', 100)] } }, { amount: 2, duration: 300_000 });
    await query(address, 'hot.test', 'A');
    clock.advance(50_000);
    await query(address, 'hot.test', 'A'); // 1
    clock.advance(41_000);
    await query(address, 'hot.test', 'A'); // 2: prefetch
    await asked(2);
    await vi.waitFor(() => expect([...store.entries()][0]!.remaining(clock.now())).toBe(100));
    clock.advance(91_000);
    await query(address, 'hot.test', 'A'); // 3 in the same window, on the new entry: prefetch again
    await asked(3);
    expect(store.counts.prefetches).toBe(2);
  });
});

/** Like start(), with a handle on the plugin (for its failure counter). */
async function startWithPlugin(table: Record<string, Answer>) {
  const clock = manualClock();
  auth = authority(table);
  let made: ReturnType<ReturnType<typeof prefetch>> | undefined;
  const factory = prefetch({ amount: 1 });
  server = await createServer({ clock, plugins: [(block) => (made = factory(block)), cache(), auth] }).start();
  const store = server.blocks[0]!.get(CacheStore, 'test');
  return { clock, store, address: server.address, plugin: () => made as unknown as { counts: { failures: number } } };
}
