import { CacheStore, cache } from '@dnsmesh/cache';
import { after, createServer, manualClock, type DnsServer, type Plugin } from '@dnsmesh/core';
import { prefetch } from '@dnsmesh/prefetch';
import { query, authorityA as a, authority, type AuthorityAnswer as Answer, type Authority } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serveStale, type ServeStaleInput } from './index.js';

// serve_stale, prefetch and cache in one chain, in the server's order.

let server: DnsServer | undefined;
let auth: Authority | undefined;
afterEach(async () => {
  auth?.close();
  await server?.stop();
  server = undefined;
  auth = undefined;
});

async function start(table: Record<string, Answer>, opts: ServeStaleInput) {
  const clock = manualClock();
  auth = authority(table);
  const decisions: string[] = [];
  const spy: Plugin = { name: 'spy', handle: (ctx, next) => after(next(ctx), (r) => { decisions.push(ctx.state.cache); return r; }) };
  server = await createServer({ clock, plugins: [spy, serveStale(opts), prefetch({ amount: 1 }), cache(), auth] }).start();
  const store = server.blocks[0]!.get(CacheStore, 'test');
  return { clock, store, decisions, address: server.address };
}

describe('serve_stale with prefetch', () => {
  it('keeps the entry when a prefetch fails, and serves it stale at once after expiry (checklist 45, Unbound #394)', async () => {
    const { clock, store, decisions, address } = await start({ 'hot.test A': { answers: [a('hot.test', 100)] } }, { clientTimeout: 10_000 });
    await query(address, 'hot.test', 'A');
    auth!.set('hot.test A', { fail: true });
    clock.advance(91_000);
    expect((await query(address, 'hot.test', 'A')).answers[0]!.ttl).toBe(9); // starts the prefetch
    await vi.waitFor(() => expect([...store.entries()][0]!.failedAt).toBe(clock.now()));
    expect(store.counts.prefetches).toBe(1);
    clock.advance(10_000); // expired 1 s ago; the prefetch failed 10 s ago: within the failure recheck
    const r = await query(address, 'hot.test', 'A', { edns: 1232, timeout: 2000 }); // client_timeout is 10 s
    expect(r.answers[0]).toMatchObject({ data: '10.0.0.1', ttl: 30 });
    expect(r.ede.map((e) => e.code)).toEqual([3]);
    expect(auth!.asked).toHaveLength(2);
    expect(decisions).toEqual(['miss', 'prefetch', 'stale']);
  });

  it('does not let a prefetch still in flight at expiry block the stale answer', async () => {
    const { clock, store, decisions, address } = await start({ 'slow.test A': { answers: [a('slow.test', 100)] } }, { clientTimeout: 150 });
    await query(address, 'slow.test', 'A');
    auth!.set('slow.test A', { answers: [a('slow.test', 100, '10.0.0.2')], hold: true });
    clock.advance(95_000);
    await query(address, 'slow.test', 'A'); // prefetch, held by the upstream
    await vi.waitFor(() => expect(auth!.held).toBe(1));
    clock.advance(10_000); // expired
    const r = await query(address, 'slow.test', 'A', { edns: 1232 });
    expect(auth!.held).toBe(1);
    expect(r.answers[0]).toMatchObject({ data: '10.0.0.1', ttl: 30 });
    expect(auth!.asked).toHaveLength(2); // joined the prefetch: no second upstream query
    expect(decisions.at(-1)).toBe('stale');
    auth!.release();
    await vi.waitFor(async () => expect((await query(address, 'slow.test', 'A')).answers[0]).toMatchObject({ data: '10.0.0.2', ttl: 100 }));
    expect(store.counts.servedStale).toBe(1);
  });
});
