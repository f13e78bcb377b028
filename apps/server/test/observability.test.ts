import { fakeUpstream, freePort, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh, type Running } from './dnsmesh-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sum of a metric's series whose line contains every label given. */
async function metric(port: number, name: string, ...labels: string[]): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => labels.every((want) => l.includes(want)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** The query log's lines (JSON on stdout) for one name. */
function logged(r: Running, name: string): { cache: string; rcode: string; upstream?: string }[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.name === name);
}

describe('why did this name go upstream? (metrics, query log, cache dump and flush)', () => {
  it('shows hits, misses, coalesced queries, prefetches and stale answers in metrics, the log and the dump', async () => {
    const upstream = await fakeUpstream({
      'hit.svc.test A': { ttl: 300, data: ['10.0.0.1'] },
      'slow.svc.test A': { ttl: 300, data: ['10.0.0.2'] },
      'hot.svc.test A': { ttl: 2, data: ['10.0.0.3'] },
      'old.svc.test A': { ttl: 1, data: ['10.0.0.4'] },
    }, { delays: { 'slow.svc.test': 300 } });
    onTestFinished(() => upstream.close());
    const [port, prom, admin] = [await freePort(), await freePort('tcp'), await freePort('tcp')];
    const r = await startDnsmesh(`svc.test.:${port} {
  bind 127.0.0.1
  prometheus 127.0.0.1:${prom}
  admin 127.0.0.1:${admin}
  log
  cache {
    success 1000 3600 1
  }
  prefetch 1 1m 90%
  serve_stale {
    client_timeout 200ms
  }
  forward . ${upstream.address}
}
`);
    const dns = `127.0.0.1:${port}`;
    expect(await metric(prom, 'dnsmesh_cache_misses_total')).toBe(0);

    // A miss, then a hit.
    await query(dns, 'hit.svc.test', 'A');
    await query(dns, 'hit.svc.test', 'A');
    expect(await metric(prom, 'dnsmesh_cache_misses_total')).toBe(1);
    expect(await metric(prom, 'dnsmesh_cache_hits_total', 'type="success"')).toBe(1);
    // Five clients at once for a slow name (300 ms): one upstream query, four coalesced. That one
    // query may be asked twice: forward asks again when its 200 ms retransmission floor runs out.
    await Promise.all(Array.from({ length: 5 }, () => query(dns, 'slow.svc.test', 'A')));
    expect(upstream.count('slow.svc.test')).toBeGreaterThanOrEqual(1);
    expect(upstream.count('slow.svc.test')).toBeLessThanOrEqual(2);
    expect(await metric(prom, 'dnsmesh_cache_coalesced_total')).toBe(4);
    // A hot name close to expiry: answered from cache, refreshed behind.
    await query(dns, 'hot.svc.test', 'A');
    await query(dns, 'hot.svc.test', 'A');
    await sleep(200);
    expect(await metric(prom, 'dnsmesh_cache_prefetch_total')).toBeGreaterThanOrEqual(1);
    expect(upstream.count('hot.svc.test')).toBeGreaterThanOrEqual(2);
    // An expired name while the upstream is dark: stale at client_timeout, with EDE 3.
    await query(dns, 'old.svc.test', 'A');
    upstream.blackhole(true);
    await sleep(1200);
    const stale = await query(dns, 'old.svc.test', 'A', { edns: 1232, timeout: 3000 });
    expect(stale.answers[0]).toMatchObject({ data: '10.0.0.4', ttl: 30 });
    expect(stale.ede.map((e) => e.code)).toContain(3);
    expect(await metric(prom, 'dnsmesh_cache_served_stale_total')).toBe(1);
    expect(await metric(prom, 'dnsmesh_dns_responses_total', 'rcode="NOERROR"')).toBeGreaterThanOrEqual(10);

    // The log says why each went upstream or not.
    await sleep(100);
    expect(logged(r, 'hit.svc.test').map((l) => l.cache)).toEqual(['miss', 'hit']);
    expect(logged(r, 'hit.svc.test')[0]!.upstream).toBe(upstream.address);
    expect(logged(r, 'slow.svc.test').map((l) => l.cache).sort()).toEqual(['coalesced', 'coalesced', 'coalesced', 'coalesced', 'miss']);
    expect(logged(r, 'hot.svc.test').map((l) => l.cache)).toContain('prefetch');
    expect(logged(r, 'old.svc.test').map((l) => l.cache)).toEqual(['miss', 'stale']);

    // The dump shows what is held, stale or not; a flush by name empties that name.
    const dump = (await (await fetch(`http://127.0.0.1:${admin}/cache`)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(dump.find((e) => e.name === 'old.svc.test')).toMatchObject({ type: 'A', rcode: 'NOERROR', stale: true, upstream: upstream.address });
    expect(dump.find((e) => e.name === 'old.svc.test').ttl).toBeLessThan(0);
    expect(dump.find((e) => e.name === 'hit.svc.test')).toMatchObject({ stale: false, hits: 1 });
    const flushed = await (await fetch(`http://127.0.0.1:${admin}/cache/flush?name=hit.svc.test`, { method: 'POST' })).json();
    expect(flushed).toEqual({ flushed: 1 });
    upstream.blackhole(false);
    await query(dns, 'hit.svc.test', 'A');
    expect(upstream.count('hit.svc.test')).toBe(2);
    const all = (await (await fetch(`http://127.0.0.1:${admin}/cache/flush`, { method: 'POST' })).json()) as { flushed: number };
    expect(all.flushed).toBeGreaterThanOrEqual(4);
    expect((await (await fetch(`http://127.0.0.1:${admin}/cache`)).text()).trim()).toBe('');
  });
});

describe('errors: why a query failed', () => {
  it('logs an upstream failure (no upstream answered, and the last error) in the log (stdout), once per query', async () => {
    const [port, dead] = [await freePort(), await freePort()]; // nothing listens on `dead`
    const r = await startDnsmesh(`svc.test.:${port} {\n  bind 127.0.0.1\n  errors\n  forward . 127.0.0.1:${dead} {\n    max_fails 0\n  }\n}\n`);
    expect((await query(`127.0.0.1:${port}`, 'down.svc.test', 'A', { timeout: 6000 })).rcode).toBe('SERVFAIL');
    const until = Date.now() + 2000;
    const lines = () => r.stdout.split('\n').filter((l) => l.includes('"plugin":"errors"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    while (lines().length === 0 && Date.now() < until) await sleep(20);
    expect(lines()).toEqual([expect.objectContaining({
      name: 'down.svc.test.', type: 'A', msg: expect.stringMatching(new RegExp(`^2 down\\.svc\\.test\\. A: forward: no upstream answered \\(127\\.0\\.0\\.1:${dead}\\): `)),
    })]);
  }, 15_000);
});
