import { cache, CacheStore } from '@dnsmesh/cache';
import { createServer, manualClock, type DnsServer } from '@dnsmesh/core';
import { query } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { answer } from '../../test/helpers.js';
import { httpUrl } from '../http/listener.js';
import { adminPlugin } from './index.js';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

async function start() {
  const clock = manualClock();
  server = await createServer({ clock, plugins: [adminPlugin({ address: '127.0.0.1:0' }), cache(), answer({ upstream: '127.0.0.1:5300' })] }).start();
  const block = server.blocks[0]!;
  return { clock, block, dns: server.address, url: httpUrl(block, 'admin')! };
}

async function dump(url: string, search = ''): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${url}/cache${search}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-ndjson');
  return (await res.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function flush(url: string, search = ''): Promise<Response> {
  return fetch(`${url}/cache/flush${search}`, { method: 'POST' });
}

describe('admin', () => {
  it('lists every cache entry as a JSON line, with TTLs that go negative once stale', async () => {
    const { clock, dns, url, block } = await start();
    await query(dns, 'web.test', 'A');
    await query(dns, 'web.test', 'A'); // a hit
    await query(dns, 'nx.test', 'A');
    clock.advance(10_000);
    let lines = await dump(url);
    expect(lines).toHaveLength(2);
    expect(lines).toContainEqual({
      name: 'web.test', type: 'A', rcode: 'NOERROR', ttl: 20, stale: false, hits: 1, upstream: '127.0.0.1:5300',
      kind: 'success', zone: '.', server: block.serverLabel,
    });
    expect(lines).toContainEqual(expect.objectContaining({ name: 'nx.test', type: 'A', rcode: 'NXDOMAIN', kind: 'denial', stale: false, hits: 0 }));
    clock.advance(25_000);
    lines = await dump(url, '?name=WEB.test.');
    expect(lines).toEqual([expect.objectContaining({ name: 'web.test', ttl: -5, stale: true })]);
    expect(await dump(url, '?type=AAAA')).toEqual([]);
  });

  it('flushes one name and type, then everything', async () => {
    const { dns, url, block } = await start();
    await query(dns, 'web.test', 'A');
    await query(dns, 'web.test', 'AAAA');
    await query(dns, 'api.test', 'A');
    let res = await flush(url, '?name=web.test&type=A');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ flushed: 1 });
    expect((await dump(url)).map((l) => `${l.name} ${l.type}`).sort()).toEqual(['api.test A', 'web.test AAAA']);
    res = await flush(url);
    expect(await res.json()).toEqual({ flushed: 2 });
    expect(await dump(url)).toEqual([]);
    expect(block.get(CacheStore, 'test').size).toBe(0);
  });

  it('refuses what it does not know', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/cache/flush`)).status).toBe(405);
    expect((await fetch(`${url}/cache`, { method: 'POST' })).status).toBe(405);
    const bad = await flush(url, '?type=BOGUS');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "unknown type 'BOGUS'" });
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
  });

  it('streams a large store in chunks', async () => {
    const { dns, url } = await start();
    await query(dns, 'seed.test', 'A');
    const store = server!.blocks[0]!.get(CacheStore, 'test');
    const seed = [...store.entries()][0]!;
    const { CacheEntry } = await import('@dnsmesh/cache');
    for (let i = 0; i < 3000; i++) {
      store.put(new CacheEntry(`k${i}`, seed.bytes, seed.layout, 'success', seed.storedAt, 30, `n${i}.test`, 1, 0, undefined, false));
    }
    const lines = await dump(url);
    expect(lines).toHaveLength(3001);
  });

  it('lists the entries of every block that names its address; a block without cache adds none', async () => {
    server = await createServer({
      clock: manualClock(),
      blocks: [
        { zones: ['a.test'], plugins: [adminPlugin({ address: '127.0.0.1:0' }), cache(), answer()] },
        { zones: ['b.test'], plugins: [adminPlugin({ address: '127.0.0.1:0' }), cache(), answer()] },
        { zones: ['c.test'], plugins: [adminPlugin({ address: '127.0.0.1:0' }), answer()] },
      ],
    }).start();
    await query(server.address, 'x.a.test', 'A');
    await query(server.address, 'x.b.test', 'A');
    await query(server.address, 'x.c.test', 'A');
    const url = httpUrl(server.blocks[0]!, 'admin')!;
    expect((await dump(url)).map((l) => `${l.name} ${l.zone}`).sort()).toEqual(['x.a.test a.test.', 'x.b.test b.test.']);
    expect(await (await flush(url)).json()).toEqual({ flushed: 2 });
  });
});
