import { createServer } from '@dnsmesh/core';
import { cache } from '@dnsmesh/cache';
import { forward } from '@dnsmesh/forward';
import { fakeUpstream, query } from '@dnsmesh/testkit';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseCidr, type Cidr } from '@dnsmesh/acl';
import { loadbalance } from './index.js';

const ADDRESSES = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];

/** loadbalance, cache and forward on 127.0.0.1:0, in that order (the server's). */
async function resolver() {
  const upstream = await fakeUpstream({
    'web.svc.test A': { ttl: 300, data: ADDRESSES },
    'mail.svc.test MX': { ttl: 300, data: [{ preference: 10, exchange: 'mx1.svc.test' }, { preference: 20, exchange: 'mx2.svc.test' }] },
    'one.svc.test A': { ttl: 300, data: ['10.0.0.9'] },
  });
  const metrics = new Registry();
  const server = await createServer({ zones: ['.'], port: 0, metrics, plugins: [loadbalance(), cache(), forward({ to: [upstream.address] })] }).start();
  onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
  return { upstream, server, metrics };
}

describe('loadbalance', () => {
  it('spreads the order of a cached A RRset: one upstream query, several first addresses', async () => {
    const { server, upstream } = await resolver();
    const firsts = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const reply = await query(server.address, 'web.svc.test', 'A', { edns: i % 2 === 0 ? 1232 : false });
      expect(reply.answers.map((r) => r.data).sort()).toEqual(ADDRESSES);
      expect(reply.answers.every((r) => r.ttl <= 300 && r.ttl >= 299)).toBe(true);
      firsts.add(reply.answers[0]!.data as string);
    }
    expect(upstream.count('web.svc.test')).toBe(1);
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('spreads MX records, and leaves a single record and the client ID and case as they were', async () => {
    const { server } = await resolver();
    const orders = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const reply = await query(server.address, 'Mail.svc.test', 'MX');
      expect(reply.questions[0]!.name).toBe('Mail.svc.test');
      orders.add(reply.answers.map((r) => (r.data as { exchange: string }).exchange).join());
    }
    expect(orders.size).toBe(2);
    const one = await query(server.address, 'one.svc.test', 'A');
    expect(one.answers.map((r) => r.data)).toEqual(['10.0.0.9']);
  });

  it('counts the replies it reorders', async () => {
    const { server, metrics } = await resolver();
    await query(server.address, 'web.svc.test', 'A');
    await query(server.address, 'one.svc.test', 'A');
    expect(await metrics.metrics()).toMatch(/dnsmesh_loadbalance_shuffled_total\{server="[^"]+"\} 1\n/);
  });
});

describe('loadbalance prefer', () => {
  it('puts addresses of the listed networks first, in list order, and still shuffles the rest (cache hits too)', async () => {
    const upstream = await fakeUpstream({
      'web.svc.test A': { ttl: 300, data: ['10.0.0.1', '192.168.1.5', '10.0.0.2', '10.9.20.7', '10.0.0.3', '10.0.0.4'] },
      'web.svc.test AAAA': { ttl: 300, data: ['2001:db8::1', 'fd00::5', '2001:db8::2', '::ffff:10.9.20.8'] },
    });
    const prefer = ['10.9.20.0/24', '192.168.1.0/24', 'fd00::/8'].map((t) => parseCidr(t) as Cidr);
    const metrics = new Registry();
    const server = await createServer({ zones: ['.'], port: 0, metrics, plugins: [loadbalance({ policy: 'round_robin', prefer }), cache(), forward({ to: [upstream.address] })] }).start();
    onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
    const rests = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const a = (await query(server.address, 'web.svc.test', 'A')).answers.map((r) => r.data as string);
      expect(a.slice(0, 2)).toEqual(['10.9.20.7', '192.168.1.5']);
      expect(a.slice(2).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
      rests.add(a.slice(2).join());
    }
    expect(rests.size).toBeGreaterThan(1);
    expect(upstream.count('web.svc.test', 'A')).toBe(1);
    const aaaa = (await query(server.address, 'web.svc.test', 'AAAA')).answers.map((r) => r.data as string);
    expect(aaaa.slice(0, 2)).toEqual(['::ffff:a09:1408', 'fd00::5']); // a mapped 10.9.20.8 is in 10.9.20.0/24, as Go sees it
    expect(await metrics.metrics()).toMatch(/dnsmesh_loadbalance_preferred_total\{server="[^"]+"\} [1-9]\d*\n/);
  });
});
