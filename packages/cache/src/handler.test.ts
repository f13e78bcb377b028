import { createServer, manualClock, type DnsServer, type Next, type QueryContext } from '@dnsmesh/core';
import { query, aRecords, authority, authoritySoa as soa } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { cache, ENTRY_OVERHEAD } from './index.js';
import { CacheStore } from './store.js';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(); server = undefined; });

async function start(table: Parameters<typeof authority>[0], opts: Parameters<typeof cache>[0] = {}) {
  const clock = manualClock();
  const auth = authority(table);
  server = await createServer({ clock, plugins: [cache(opts), auth] }).start();
  const store = server.blocks[0]!.get(CacheStore, 'test');
  return { clock, auth, store, address: server.address };
}

describe('cache', () => {
  it("answers a repeat from cache, aged and in the client's case, without asking upstream", async () => {
    const { clock, auth, address } = await start({ 'web.service.consul A': { answers: aRecords('web.service.consul', 1, 30) } });
    await query(address, 'web.service.consul', 'A');
    clock.advance(10_000);
    const reply = await query(address, 'WEB.Service.consul', 'A');
    expect(auth.asked).toHaveLength(1);
    expect(reply.questions[0]!.name).toBe('WEB.Service.consul');
    expect(reply.answers[0]).toMatchObject({ ttl: 20, data: '10.1.0.0' });
  });

  it('normalises an RRset to its smallest TTL and expires the whole message with its shortest RRset', async () => {
    const { clock, auth, address } = await start({
      'www.example.com A': { answers: [
        { name: 'www.example.com', type: 'CNAME', ttl: 60, data: 't.example.com' },
        { name: 't.example.com', type: 'A', ttl: 300, data: '10.0.0.1' },
        { name: 't.example.com', type: 'A', ttl: 200, data: '10.0.0.2' },
      ] },
    });
    const first = await query(address, 'www.example.com', 'A');
    expect(first.answers.map((a) => a.ttl)).toEqual([60, 200, 200]);
    clock.advance(30_000);
    expect((await query(address, 'www.example.com', 'A')).answers.map((a) => a.ttl)).toEqual([30, 170, 170]);
    clock.advance(31_000);
    await query(address, 'www.example.com', 'A');
    expect(auth.asked).toHaveLength(2);
  });

  it('floors TTL 0 at MINTTL (5 s): asked upstream at most once per MINTTL', async () => {
    const { clock, auth, address } = await start({ 'zero.consul A': { answers: aRecords('zero.consul', 1, 0) } });
    for (let i = 0; i < 20; i++) {
      await query(address, 'zero.consul', 'A');
      clock.advance(1000); // 20 queries over 20 s
    }
    expect(auth.asked).toHaveLength(4);
  });

  it('with MINTTL 0, a TTL-0 answer is not stored', async () => {
    const { auth, address } = await start({ 'zero.consul A': { answers: aRecords('zero.consul', 1, 0) } }, { success: { minTtl: 0 } });
    await query(address, 'zero.consul', 'A');
    await query(address, 'zero.consul', 'A');
    expect(auth.asked).toHaveLength(2);
  });

  it('caps TTLs at the tier maximum, and a high-bit TTL counts as 0 (RFC 2181 §8), then MINTTL', async () => {
    const { address } = await start({
      'long.test A': { answers: aRecords('long.test', 1, 86400) },
      'huge.test A': { answers: aRecords('huge.test', 1, 2 ** 31 + 5) },
    }, { success: { maxTtl: 600 } });
    expect((await query(address, 'long.test', 'A')).answers[0]!.ttl).toBe(600);
    expect((await query(address, 'huge.test', 'A')).answers[0]!.ttl).toBe(5);
  });

  it('makes 1 upstream query for 200 concurrent misses, each reply with its own ID and case', async () => {
    const { auth, address } = await start({ 'busy.test A': { answers: aRecords('busy.test', 2, 60), delay: 200 } });
    const names = Array.from({ length: 200 }, (_, i) => (i % 2 ? 'BUSY.test' : 'busy.TEST'));
    const replies = await Promise.all(names.map((n, i) => query(address, n, 'A', { id: 1000 + i, timeout: 5000 })));
    expect(auth.asked).toHaveLength(1);
    replies.forEach((r, i) => {
      expect(r.id).toBe(1000 + i);
      expect(r.questions[0]!.name).toBe(names[i]);
      expect(r.answers).toHaveLength(2);
    });
  });

  it('frees the single-flight slot when the upstream fails: all waiters get SERVFAIL, the next query asks again', async () => {
    const { auth, address } = await start({ 'bad.test A': { fail: true, delay: 100 } });
    const replies = await Promise.all(Array.from({ length: 10 }, () => query(address, 'bad.test', 'A')));
    expect(replies.every((r) => r.rcode === 'SERVFAIL')).toBe(true);
    expect(auth.asked).toHaveLength(1);
    auth.set('bad.test A', { answers: aRecords('bad.test', 1, 60) });
    expect((await query(address, 'bad.test', 'A')).rcode).toBe('NOERROR');
    expect(auth.asked).toHaveLength(2);
  });

  describe('negative caching (RFC 2308)', () => {
    it('caches NXDOMAIN for every type of the name, with the SOA TTL counting down from min(TTL, MINIMUM)', async () => {
      const { clock, auth, address } = await start({ 'gone.example.com *': { rcode: 'NXDOMAIN', authorities: [soa('example.com', 3600, 300)] } });
      const first = await query(address, 'gone.example.com', 'A');
      expect(first.rcode).toBe('NXDOMAIN');
      expect(first.authorities[0]!.ttl).toBe(300);
      clock.advance(10_000);
      const other = await query(address, 'gone.example.com', 'TXT');
      expect(other.rcode).toBe('NXDOMAIN');
      expect(other.authorities[0]!.ttl).toBe(290);
      expect(other.questions[0]!.type).toBe('TXT');
      expect(auth.asked).toHaveLength(1);
    });

    it('caches NODATA per type only', async () => {
      const { auth, address } = await start({
        'v4.example.com AAAA': { authorities: [soa('example.com', 60, 60)] },
        'v4.example.com A': { answers: aRecords('v4.example.com', 1, 60) },
      });
      expect((await query(address, 'v4.example.com', 'AAAA')).answers).toHaveLength(0);
      expect((await query(address, 'v4.example.com', 'AAAA')).rcode).toBe('NOERROR');
      expect(auth.asked).toHaveLength(1);
      expect((await query(address, 'v4.example.com', 'A')).answers).toHaveLength(1);
      expect(auth.asked).toHaveLength(2);
    });

    it('does not cache a negative answer without an SOA', async () => {
      const { auth, address } = await start({ 'nosoa.test A': { rcode: 'NXDOMAIN' } });
      await query(address, 'nosoa.test', 'A');
      await query(address, 'nosoa.test', 'A');
      expect(auth.asked).toHaveLength(2);
    });

    it('replays CNAME to NXDOMAIN with the CNAME in the answer, and only for that type', async () => {
      const { auth, address } = await start({
        'alias.example.com A': { rcode: 'NXDOMAIN', answers: [{ name: 'alias.example.com', type: 'CNAME', ttl: 60, data: 'missing.example.com' }], authorities: [soa('example.com', 60, 60)] },
        'alias.example.com TXT': { answers: [{ name: 'alias.example.com', type: 'TXT', ttl: 60, data: 'x' }] },
      });
      await query(address, 'alias.example.com', 'A');
      const again = await query(address, 'alias.example.com', 'A');
      expect(again.rcode).toBe('NXDOMAIN');
      expect(again.answers[0]).toMatchObject({ type: 'CNAME', data: 'missing.example.com' });
      expect((await query(address, 'alias.example.com', 'TXT')).rcode).toBe('NOERROR');
      expect(auth.asked).toHaveLength(2);
    });

    it('caps the negative TTL at the denial maximum', async () => {
      const { address } = await start({ 'neg.test *': { rcode: 'NXDOMAIN', authorities: [soa('test', 86400, 86400)] } });
      expect((await query(address, 'neg.test', 'A')).authorities[0]!.ttl).toBe(1800);
    });
  });

  describe('SERVFAIL', () => {
    it('is cached for the servfail duration', async () => {
      const { clock, auth, address } = await start({ 'sf.test A': { rcode: 'SERVFAIL' } }, { servfail: 5000 });
      await query(address, 'sf.test', 'A');
      await query(address, 'sf.test', 'A');
      expect(auth.asked).toHaveLength(1);
      clock.advance(5001);
      await query(address, 'sf.test', 'A');
      expect(auth.asked).toHaveLength(2);
    });

    it('never replaces a good entry, even an expired one', async () => {
      const { clock, store, auth, address } = await start({ 'ok.test A': { answers: aRecords('ok.test', 1, 10) } });
      await query(address, 'ok.test', 'A');
      clock.advance(11_000);
      auth.set('ok.test A', { rcode: 'SERVFAIL' });
      expect((await query(address, 'ok.test', 'A')).rcode).toBe('SERVFAIL');
      expect([...store.entries()].map((e) => e.kind)).toEqual(['success']);
    });
  });

  it('does not store truncated replies or REFUSED', async () => {
    const { auth, address } = await start({ 'tc.test A': { tc: true }, 'no.test A': { rcode: 'REFUSED' } });
    await query(address, 'tc.test', 'A');
    await query(address, 'tc.test', 'A');
    await query(address, 'no.test', 'A');
    await query(address, 'no.test', 'A');
    expect(auth.asked).toHaveLength(4);
  });

  it('keeps DO and CD queries apart from plain ones', async () => {
    const { auth, address } = await start({ 'sec.test A': { answers: aRecords('sec.test', 1, 60) } });
    await query(address, 'sec.test', 'A');
    await query(address, 'sec.test', 'A', { do: true });
    await query(address, 'sec.test', 'A', { cd: true });
    await query(address, 'sec.test', 'A', { do: true });
    expect(auth.asked).toHaveLength(3);
  });

  it('serves a stored 40-record answer to EDNS clients in full and to a no-EDNS client as TC with an empty answer', async () => {
    const { auth, address } = await start({ 'big.service.consul A': { answers: aRecords('big.service.consul', 40, 0) } });
    const full = await query(address, 'big.service.consul', 'A', { transport: 'tcp' });
    expect(full.answers).toHaveLength(40);
    const udpEdns = await query(address, 'big.service.consul', 'A', { edns: 4096 });
    expect(udpEdns.answers).toHaveLength(40);
    expect(udpEdns.flags.tc).toBe(false);
    const plain = await query(address, 'big.service.consul', 'A');
    expect(plain.flags.tc).toBe(true);
    expect(plain.answers).toHaveLength(0);
    expect(plain.size).toBeLessThanOrEqual(512);
    expect(auth.asked).toHaveLength(1);
  });

  it('drops records off the answer chain (out-of-bailiwick data)', async () => {
    const { address } = await start({
      'www.example.com A': {
        answers: [...aRecords('www.example.com', 1, 60), { name: 'bank.example.net', type: 'A', ttl: 60, data: '6.6.6.6' }],
        additionals: [{ name: 'other.example.org', type: 'A', ttl: 60, data: '7.7.7.7' }],
      },
    });
    await query(address, 'www.example.com', 'A');
    const reply = await query(address, 'www.example.com', 'A');
    expect(reply.answers.map((a) => a.name)).toEqual(['www.example.com']);
    expect(reply.additionals.filter((r) => r.type !== 'OPT')).toHaveLength(0);
  });

  it('holds at most CAPACITY entries per store and stays within the byte budget under a flood of unique names', async () => {
    const { store, address } = await start({}, { success: { capacity: 50 }, denial: { capacity: 30 }, maxBytes: 65536 });
    const table: Record<string, unknown> = {};
    void table;
    for (let i = 0; i < 300; i++) await query(address, `n${i}.flood.test`, 'A');
    expect(store.count('denial')).toBe(0); // NXDOMAIN without SOA: not stored
    const { store: s2, address: a2, auth } = await start({}, { success: { capacity: 50 }, maxBytes: 65536 });
    for (let i = 0; i < 300; i++) auth.set(`n${i}.flood.test A`, { answers: aRecords(`n${i}.flood.test`, 8, 60) });
    for (let i = 0; i < 300; i++) await query(a2, `n${i}.flood.test`, 'A');
    expect(s2.count('success')).toBeLessThanOrEqual(50);
    expect(s2.bytes).toBeLessThanOrEqual(65536);
    // The budget counts what an entry costs the process, not only its reply bytes.
    expect(s2.bytes).toBeGreaterThanOrEqual(s2.size * ENTRY_OVERHEAD);
    expect(s2.counts.evictions).toBeGreaterThanOrEqual(250);
    void store;
  });
});

describe('a name that becomes an alias (RFC 8767 §7)', () => {
  it('drops the old data of its other types when its CNAME is stored', async () => {
    const { clock, auth, address } = await start({
      'moved.example.com A': { answers: aRecords('moved.example.com', 1, 10) },
      'moved.example.com AAAA': { answers: [{ name: 'moved.example.com', type: 'AAAA', ttl: 600, data: '2001:db8::1' }] },
    });
    await query(address, 'moved.example.com', 'A');
    await query(address, 'moved.example.com', 'AAAA');
    expect(auth.asked).toHaveLength(2);
    const cnameTo = (type: string, data: string) => ({ answers: [
      { name: 'moved.example.com', type: 'CNAME', ttl: 60, data: 'new.example.net' },
      { name: 'new.example.net', type, ttl: 60, data },
    ] });
    auth.set('moved.example.com A', cnameTo('A', '10.9.9.9'));
    auth.set('moved.example.com AAAA', cnameTo('AAAA', '2001:db8::9'));
    clock.advance(11_000);
    const a = await query(address, 'moved.example.com', 'A');
    expect(a.answers[0]).toMatchObject({ type: 'CNAME', data: 'new.example.net' });
    // The AAAA entry had 590 s left, but the name is an alias now: it is asked again.
    const aaaa = await query(address, 'moved.example.com', 'AAAA');
    expect(aaaa.answers.map((r) => r.type)).toEqual(['CNAME', 'AAAA']);
    expect(auth.asked).toHaveLength(4);
  });
});

describe('a query asked with EDNS options of its client (QueryContext.upstreamEdns.perClient)', () => {
  it('is neither shared with another waiting client nor stored; a query without them is', async () => {
    const clock = manualClock();
    const auth = authority({ 'geo.test A': { answers: aRecords('geo.test', 1, 300), hold: true } });
    // Stands where rewrite edns0 stands: after the cache, marking queries from 127.0.0.0/8 with an ECS option.
    const ecs = { name: 'ecs', handle: (ctx: QueryContext, next: Next) => {
      if (ctx.request.question?.lname === 'geo.test.') ctx.upstreamEdns = { options: [{ code: 8, data: Buffer.from([0, 1, 24, 0, 127, 0, 0]) }], perClient: true };
      return next(ctx);
    } };
    server = await createServer({ clock, plugins: [cache(), ecs, auth] }).start();
    const store = server.blocks[0]!.get(CacheStore, 'test');
    const both = Promise.all([query(server.address, 'geo.test', 'A'), query(server.address, 'geo.test', 'A')]);
    const until = Date.now() + 5000;
    while (auth.held < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(auth.held).toBe(2);                                  // each asked for itself: not coalesced
    auth.release();
    expect((await both).map((r) => r.answers.map((a) => a.data))).toEqual([['10.1.0.0'], ['10.1.0.0']]);
    auth.set('geo.test A', { answers: aRecords('geo.test', 1, 300) });
    await query(server.address, 'geo.test', 'A');              // asked again: nothing was stored
    expect(auth.asked).toEqual(['geo.test A', 'geo.test A', 'geo.test A']);
    expect(store.counts.notStored.get('per-client EDNS options')).toBe(3);
    auth.set('web.test A', { answers: aRecords('web.test', 1, 300) });
    await query(server.address, 'web.test', 'A');
    await query(server.address, 'web.test', 'A');              // no options: stored, a hit
    expect(auth.asked.filter((q) => q === 'web.test A')).toHaveLength(1);
    auth.close();
  });
});

describe('a miss whose next plugin fails', () => {
  it('shares the failure with no later query: a plugin that throws at once, then answers, is asked again', async () => {
    const auth = authority({ 'flaky.test A': { answers: aRecords('flaky.test', 1, 300) } });
    let throws = 1;
    const flaky = { name: 'flaky', handle: (ctx: QueryContext, next: Next) => {
      if (throws-- > 0) throw new Error('broken once');
      return next(ctx);
    } };
    server = await createServer({ clock: manualClock(), plugins: [cache(), flaky, auth] }).start();
    expect((await query(server.address, 'flaky.test', 'A')).rcode).toBe('SERVFAIL');
    const reply = await query(server.address, 'flaky.test', 'A');
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.answers.map((a) => a.data)).toEqual(['10.1.0.0']);
    expect(auth.asked).toEqual(['flaky.test A']);
  });
});
