import { CacheStore, cache } from '@dnsmesh/cache';
import { after, createServer, DnsMessage, manualClock, QueryContext, type DnsServer, type Plugin } from '@dnsmesh/core';
import { buildQuery, query, authorityA as a, authority, authorityCname as cname, authoritySoa as soa, type AuthorityAnswer as Answer, type Authority } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serveStale, type ServeStaleInput } from './index.js';

let server: DnsServer | undefined;
let auth: Authority | undefined;
afterEach(async () => {
  auth?.close();
  await server?.stop();
  server = undefined;
  auth = undefined;
});

/** serve_stale in front of cache in front of an in-chain authority; a spy records each query's cache decision. */
async function start(table: Record<string, Answer>, opts: ServeStaleInput = {}, cacheOpts: Parameters<typeof cache>[0] = {}) {
  const clock = manualClock();
  auth = authority(table);
  const decisions: string[] = [];
  const spy: Plugin = { name: 'spy', handle: (ctx, next) => after(next(ctx), (r) => { decisions.push(ctx.state.cache); return r; }) };
  server = await createServer({ clock, plugins: [spy, serveStale({ clientTimeout: 150, ...opts }), cache(cacheOpts), auth] }).start();
  const block = server.blocks[0]!;
  const store = block.get(CacheStore, 'test');
  return { clock, auth, store, block, decisions, address: server.address };
}

const asked = (n: number) => vi.waitFor(() => expect(auth!.asked).toHaveLength(n), { timeout: 3000, interval: 2 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('serve_stale', () => {
  it('answers stale at client_timeout while the upstream is slow, then the refreshed data from the cache once it lands (checklist 33, 34)', async () => {
    const { clock, store, decisions, address } = await start({ 'web.test A': { answers: [a('web.test', 60)] } });
    await query(address, 'web.test', 'A');
    auth!.set('web.test A', { answers: [a('web.test', 60, '10.0.0.2')], hold: true });
    clock.advance(70_000); // expired 10 s ago

    const stale = await query(address, 'web.test', 'A', { edns: 1232 });
    expect(auth!.held).toBe(1); // the upstream has not answered yet
    expect(stale.rcode).toBe('NOERROR');
    expect(stale.answers).toEqual([expect.objectContaining({ data: '10.0.0.1', ttl: 30 })]);
    expect(stale.ede).toEqual([{ code: 3, text: '' }]);
    expect(decisions.at(-1)).toBe('stale');

    auth!.release();
    await vi.waitFor(() => expect(store.get([...store.entries()][0]!.key)!.freshAt(clock.now())).toBe(true));
    const fresh = await query(address, 'web.test', 'A', { edns: 1232 });
    expect(fresh.answers).toEqual([expect.objectContaining({ data: '10.0.0.2', ttl: 60 })]);
    expect(fresh.ede).toEqual([]);
    expect(decisions.at(-1)).toBe('hit');
    expect(auth!.asked).toHaveLength(2);
    expect(store.counts.servedStale).toBe(1);
    expect(await server!.metrics.metrics()).toMatch(/dnsmesh_cache_served_stale_total\{server="[^"]*"\} 1/);
  });

  it('sets every TTL of a stale answer to reply_ttl, and sends no OPT (so no EDE) to a client without EDNS', async () => {
    const { clock, address } = await start({
      'www.test A': { answers: [cname('www.test', 300, 'edge.test'), a('edge.test', 60), a('edge.test', 60, '10.0.0.3')] },
    }, { replyTtl: 7 });
    await query(address, 'www.test', 'A');
    auth!.set('www.test A', { rcode: 'SERVFAIL' });
    clock.advance(61_000);
    const stale = await query(address, 'www.test', 'A');
    expect(stale.answers.map((r) => [r.type, r.ttl])).toEqual([['CNAME', 7], ['A', 7], ['A', 7]]);
    expect(stale.opt).toBeUndefined();
    expect(stale.ede).toEqual([]);
  });

  it('serves stale through an upstream that stops answering until max_stale, then SERVFAIL (checklist 35)', async () => {
    // The in-chain authority stands for forward: a blackholed upstream ends in SERVFAIL when forward gives up.
    const { clock, store, address } = await start({ 'db.test A': { answers: [a('db.test', 60)] } }, { maxStale: 120_000 });
    await query(address, 'db.test', 'A');
    auth!.set('db.test A', { rcode: 'SERVFAIL', delay: 400 });
    clock.advance(61_000);
    for (let elapsed = 1000; elapsed < 120_000; elapsed += 20_000) {
      const r = await query(address, 'db.test', 'A', { edns: 1232 });
      expect(r.rcode).toBe('NOERROR');
      expect(r.answers[0]).toMatchObject({ data: '10.0.0.1', ttl: 30 });
      expect(r.ede.map((e) => e.code)).toEqual([3]);
      clock.advance(20_000);
      await sleep(5);
    }
    clock.set([...store.entries()][0]!.expiresAt + 120_000); // exactly max_stale past expiry: no longer servable
    const late = await query(address, 'db.test', 'A', { edns: 1232 });
    expect(late.rcode).toBe('SERVFAIL');
    expect(late.ede).toEqual([]);
  });

  it('gives the fresh answer when the upstream answers within client_timeout, never stale (checklist 36)', async () => {
    const { clock, store, decisions, address } = await start({ 'api.test A': { answers: [a('api.test', 60)] } }, { clientTimeout: 1000 });
    await query(address, 'api.test', 'A');
    auth!.set('api.test A', { answers: [a('api.test', 60, '10.0.0.5')], delay: 50 });
    clock.advance(65_000);
    const r = await query(address, 'api.test', 'A', { edns: 1232 });
    expect(r.answers[0]).toMatchObject({ data: '10.0.0.5', ttl: 60 });
    expect(r.ede).toEqual([]);
    expect(decisions.at(-1)).toBe('miss');
    expect(store.counts.servedStale).toBe(0);
  });

  it('passes on a fresh NXDOMAIN within client_timeout: a good answer, not a failure', async () => {
    const { clock, address } = await start({ 'old.test A': { answers: [a('old.test', 60)] } });
    await query(address, 'old.test', 'A');
    auth!.set('old.test A', { rcode: 'NXDOMAIN', authorities: [soa('test', 60, 60)] });
    clock.advance(61_000);
    expect((await query(address, 'old.test', 'A')).rcode).toBe('NXDOMAIN');
  });

  describe('answers stale at once, not at client_timeout, when the upstream fails fast (checklist 37)', () => {
    it.each<[string, Answer]>([
      ['SERVFAIL', { rcode: 'SERVFAIL' }],
      ['REFUSED', { rcode: 'REFUSED' }],
      ['a transport failure', { fail: true }],
    ])('%s', async (_what, failing) => {
      // client_timeout 10 s, the client gives up after 2 s: a reply means it did not wait for the timer.
      const { clock, store, address } = await start({ 'pay.test A': { answers: [a('pay.test', 60)] } }, { clientTimeout: 10_000 });
      await query(address, 'pay.test', 'A');
      auth!.set('pay.test A', failing);
      clock.advance(61_000);
      const r = await query(address, 'pay.test', 'A', { edns: 1232, timeout: 2000 });
      expect(r.answers[0]).toMatchObject({ data: '10.0.0.1', ttl: 30 });
      expect(r.ede.map((e) => e.code)).toEqual([3]);
      expect([...store.entries()][0]!.failedAt).toBe(clock.now());
    });
  });

  it('after a failed refresh, answers stale at once with no upstream query for failure_recheck (checklist 38)', async () => {
    const { clock, address } = await start({ 'q.test A': { answers: [a('q.test', 60)] } }, { clientTimeout: 10_000, failureRecheck: 30_000 });
    await query(address, 'q.test', 'A');
    auth!.set('q.test A', { rcode: 'SERVFAIL' });
    clock.advance(61_000);
    await query(address, 'q.test', 'A'); // the refresh fails: recheck starts now
    expect(auth!.asked).toHaveLength(2);
    auth!.set('q.test A', { answers: [a('q.test', 60, '10.0.0.2')], hold: true }); // back, but slow
    for (const step of [1000, 10_000, 18_999]) { // up to 29.999 s after the failure
      clock.advance(step);
      const r = await query(address, 'q.test', 'A', { timeout: 2000 }); // at once: client_timeout is 10 s
      expect(r.answers[0]).toMatchObject({ data: '10.0.0.1', ttl: 30 });
    }
    expect(auth!.asked).toHaveLength(2);
    clock.advance(1); // 30 s after the failure: ask again
    auth!.set('q.test A', { answers: [a('q.test', 60, '10.0.0.2')] });
    expect((await query(address, 'q.test', 'A')).answers[0]).toMatchObject({ data: '10.0.0.2', ttl: 60 });
    expect(auth!.asked).toHaveLength(3);
  });

  it('never serves a cached SERVFAIL stale (checklist 39)', async () => {
    const { clock, store, address } = await start({ 'sf.test A': { rcode: 'SERVFAIL' } }, {}, { servfail: 5000 });
    expect((await query(address, 'sf.test', 'A')).rcode).toBe('SERVFAIL');
    expect([...store.entries()].map((e) => e.kind)).toEqual(['servfail']);
    auth!.set('sf.test A', { fail: true });
    clock.advance(6000);
    const r = await query(address, 'sf.test', 'A', { edns: 1232 });
    expect(r.rcode).toBe('SERVFAIL');
    expect(r.ede).toEqual([]);
    expect(auth!.asked).toHaveLength(2);
    expect(store.counts.servedStale).toBe(0);
  });

  it('never answers a bare CNAME: stale answers are the whole chain, and past max_stale it is SERVFAIL (checklist 32)', async () => {
    const { clock, store, address } = await start({
      'www.test A': { answers: [cname('www.test', 60, 'lb.test'), a('lb.test', 60)] },
    }, { maxStale: 60_000 });
    await query(address, 'www.test', 'A');
    // The upstream now sends the CNAME without its target (and no SOA): not an answer.
    auth!.set('www.test A', { answers: [cname('www.test', 60, 'lb.test')] });
    clock.advance(70_000);
    for (let i = 0; i < 2; i++) {
      const r = await query(address, 'www.test', 'A', { edns: 1232 });
      expect(r.answers.map((x) => `${x.type} ${x.data}`)).toEqual(['CNAME lb.test', 'A 10.0.0.1']);
      expect(r.ede.map((e) => e.code)).toEqual([3]);
    }
    expect(auth!.asked).toHaveLength(3); // an incomplete reply is not a failure: no recheck hold
    expect([...store.entries()]).toHaveLength(1); // and the cache did not store it
    // Upstream down, past max_stale: SERVFAIL, never the CNAME alone.
    auth!.set('www.test A', { fail: true });
    clock.advance(60_000);
    const r = await query(address, 'www.test', 'A');
    expect(r.rcode).toBe('SERVFAIL');
    expect(r.answers).toEqual([]);
  });

  it('serves a name that became a CNAME stale as its new chain, not its old address (checklist 40)', async () => {
    const { clock, address } = await start({ 'app.test A': { answers: [a('app.test', 60, '192.0.2.1')] } });
    await query(address, 'app.test', 'A');
    auth!.set('app.test A', { answers: [cname('app.test', 60, 'new.test'), a('new.test', 60, '10.0.0.7')] });
    clock.advance(61_000);
    expect((await query(address, 'app.test', 'A')).answers.map((x) => x.type)).toEqual(['CNAME', 'A']);
    auth!.set('app.test A', { fail: true });
    clock.advance(61_000);
    const stale = await query(address, 'app.test', 'A', { edns: 1232 });
    expect(stale.answers.map((x) => `${x.type} ${x.data} ${x.ttl}`)).toEqual(['CNAME new.test 30', 'A 10.0.0.7 30']);
    expect(stale.ede.map((e) => e.code)).toEqual([3]);
  });

  it('never answers an RD=0 query stale (checklist 41)', async () => {
    const { clock, address } = await start({ 'n.test A': { answers: [a('n.test', 60)] } });
    await query(address, 'n.test', 'A');
    auth!.set('n.test A', { rcode: 'SERVFAIL' });
    clock.advance(61_000);
    expect((await query(address, 'n.test', 'A', { rd: false })).rcode).toBe('SERVFAIL');
    expect((await query(address, 'n.test', 'A')).answers[0]).toMatchObject({ data: '10.0.0.1', ttl: 30 });
  });

  it('never lets a refresh in flight block a stale answer (Unbound #394): later clients get stale at their own client_timeout', async () => {
    const { clock, store, decisions, address } = await start({ 'busy.test A': { answers: [a('busy.test', 60)] } });
    await query(address, 'busy.test', 'A');
    auth!.set('busy.test A', { answers: [a('busy.test', 60, '10.0.0.2')], hold: true });
    clock.advance(61_000);
    expect((await query(address, 'busy.test', 'A')).answers[0]!.data).toBe('10.0.0.1'); // starts the refresh
    expect(auth!.held).toBe(1);
    // The refresh is still pending: five more clients, one by one and at once.
    clock.advance(2000);
    expect((await query(address, 'busy.test', 'A')).answers[0]!.ttl).toBe(30);
    const many = await Promise.all(Array.from({ length: 4 }, () => query(address, 'busy.test', 'A', { edns: 1232 })));
    expect(many.every((r) => r.answers[0]!.data === '10.0.0.1' && r.ede[0]?.code === 3)).toBe(true);
    expect(auth!.asked).toHaveLength(2); // they all joined the one refresh
    expect(decisions.slice(1)).toEqual(Array(6).fill('stale'));
    expect(store.counts.coalesced).toBe(5);
    // It fails in the end: from then on, stale at once.
    auth!.set('busy.test A', { fail: true });
    auth!.release();
    await vi.waitFor(() => expect([...store.entries()][0]!.failedAt).toBeGreaterThan(-Infinity));
    expect((await query(address, 'busy.test', 'A')).answers[0]!.data).toBe('10.0.0.1');
    expect(auth!.asked).toHaveLength(2);
  });

  it('immediate (client_timeout 0): stale at once and synchronously, one refresh behind, the new data next', async () => {
    const { clock, store, block, address } = await start({ 'imm.test A': { answers: [a('imm.test', 60)] } }, { clientTimeout: 0 });
    await query(address, 'imm.test', 'A');
    auth!.set('imm.test A', { answers: [a('imm.test', 60, '10.0.0.2')], hold: true });
    clock.advance(61_000);
    const client = { address: '127.0.0.1', port: 5353, transport: 'udp' as const, family: 4 as const };
    const direct = block.chain(new QueryContext(new DnsMessage(buildQuery('imm.test', 'A')), client, block, clock.now()));
    expect(direct).not.toBeInstanceOf(Promise);
    expect((direct as DnsMessage).ttlSet).toBe(30);
    for (let i = 0; i < 10; i++) expect((await query(address, 'imm.test', 'A')).answers[0]!.data).toBe('10.0.0.1');
    await asked(2);
    expect(auth!.asked).toHaveLength(2);
    expect(store.counts.servedStale).toBe(11);
    auth!.release();
    await vi.waitFor(async () => expect((await query(address, 'imm.test', 'A')).answers[0]).toMatchObject({ data: '10.0.0.2', ttl: 60 }));
    expect(auth!.asked).toHaveLength(2);
  });

  it('immediate: a failed refresh starts the failure recheck, then the next refresh goes out', async () => {
    const { clock, address } = await start({ 'i.test A': { answers: [a('i.test', 60)] } }, { clientTimeout: 0, failureRecheck: 10_000 });
    await query(address, 'i.test', 'A');
    auth!.set('i.test A', { rcode: 'SERVFAIL' });
    clock.advance(61_000);
    await query(address, 'i.test', 'A');
    await asked(2);
    await sleep(10);
    clock.advance(9000);
    await query(address, 'i.test', 'A');
    await sleep(10);
    expect(auth!.asked).toHaveLength(2);
    clock.advance(1000);
    await query(address, 'i.test', 'A');
    await asked(3);
  });

  it('serves a stale NXDOMAIN with its SOA, TTLs at reply_ttl', async () => {
    const { clock, address } = await start({ 'gone.test *': { rcode: 'NXDOMAIN', authorities: [soa('test', 60, 60)] } });
    await query(address, 'gone.test', 'A');
    auth!.set('gone.test *', { fail: true });
    clock.advance(61_000);
    const r = await query(address, 'gone.test', 'AAAA', { edns: 1232 });
    expect(r.rcode).toBe('NXDOMAIN');
    expect(r.questions[0]!.type).toBe('AAAA');
    expect(r.authorities).toEqual([expect.objectContaining({ type: 'SOA', ttl: 30 })]);
    expect(r.ede.map((e) => e.code)).toEqual([3]);
  });

  it('passes a fresh hit straight through, synchronously', async () => {
    const { clock, block, decisions, address } = await start({ 'f.test A': { answers: [a('f.test', 60)] } });
    await query(address, 'f.test', 'A');
    clock.advance(10_000);
    const client = { address: '127.0.0.1', port: 5353, transport: 'udp' as const, family: 4 as const };
    const direct = block.chain(new QueryContext(new DnsMessage(buildQuery('f.test', 'A')), client, block, clock.now()));
    expect(direct).not.toBeInstanceOf(Promise);
    expect((direct as DnsMessage).ttlAge).toBe(10);
    expect(decisions.at(-1)).toBe('hit');
  });

  it('makes the store keep expired entries for max_stale, and no longer', async () => {
    const { clock, store, address } = await start({ 'k.test A': { answers: [a('k.test', 60)] } }, { maxStale: 600_000 });
    expect(store.keepStale).toBe(600_000);
    await query(address, 'k.test', 'A');
    const expiresAt = [...store.entries()][0]!.expiresAt;
    expect(store.sweep(expiresAt + 599_999)).toBe(0);
    expect(store.sweep(expiresAt + 600_000)).toBe(1);
    void clock;
  });
});
