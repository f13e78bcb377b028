import { dig, fakeUpstream, freePort, kdig, parseDigAnswer, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

/**
 * The uncached Consul storm, replayed: an upstream that answers a 40-instance service with TTL 0
 * and truncates it over UDP. With dnsmesh in front, the upstream sees one UDP query and one TCP
 * retry, whatever the load.
 */
describe('the uncached Consul storm does not happen', () => {
  async function setup() {
    const instances = Array.from({ length: 40 }, (_, i) => `10.0.${i >> 8}.${(i & 255) + 1}`);
    const upstream = await fakeUpstream({
      'big.service.consul A': { ttl: 0, data: instances },
      'web.service.consul A': { ttl: 30, data: ['10.1.0.1'] },
    }, { truncateUdpAt: 512, soa: { zone: 'consul', ttl: 0, minimum: 0 } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    // MINTTL 60 here so that the 2000 queries below all fall inside one lifetime on a slow machine;
    // the 5 s default floor is shown with an injected clock in the cache's own tests.
    await startDnsmesh(`service.consul.:${port} {\n  bind 127.0.0.1\n  cache {\n    success 10000 3600 60\n  }\n  tcp_retry\n  forward . ${upstream.address}\n}\n`);
    return { upstream, port, address: `127.0.0.1:${port}` };
  }

  it('fetches a truncated 40-record answer once over TCP, then serves 2000 EDNS clients from cache', async () => {
    const { upstream, address } = await setup();
    const first = await query(address, 'big.service.consul', 'A', { edns: 4096 });
    expect(first.answers).toHaveLength(40);
    expect(first.flags.tc).toBe(false);
    expect(upstream.count('big.service.consul', 'A', 'udp')).toBe(1);
    expect(upstream.count('big.service.consul', 'A', 'tcp')).toBe(1);
    for (let batch = 0; batch < 10; batch++) {
      const replies = await Promise.all(Array.from({ length: 200 }, () => query(address, 'big.service.consul', 'A', { edns: 4096, timeout: 5000 })));
      for (const r of replies) {
        expect(r.answers).toHaveLength(40);
        expect(r.flags.tc).toBe(false);
      }
    }
    expect(upstream.count('big.service.consul')).toBe(2);
  });

  it('gives a no-EDNS client TC with an empty answer within 512 bytes, and the full answer over TCP', async () => {
    const { upstream, address, port } = await setup();
    const plain = await query(address, 'big.service.consul', 'A');
    expect(plain.flags.tc).toBe(true);
    expect(plain.answers).toHaveLength(0);
    expect(plain.size).toBeLessThanOrEqual(512);
    const tcp = parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), '+tcp', 'big.service.consul', 'A']));
    expect(tcp.answers).toHaveLength(40);
    const withRetry = parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), '+noedns', 'big.service.consul', 'A']));
    expect(withRetry.answers).toHaveLength(40); // dig retries over TCP by itself after TC
    expect(upstream.count('big.service.consul')).toBe(2);
  });

  it('dig and kdig see TTLs counting down', async () => {
    const { upstream, port } = await setup();
    const before = parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), 'web.service.consul', 'A']));
    expect(before.answers[0]!.ttl).toBe(60); // 30 raised to MINTTL 60
    await new Promise((r) => setTimeout(r, 2100));
    const after = parseDigAnswer(await kdig(['@127.0.0.1', '-p', String(port), 'web.service.consul', 'A']));
    expect(after.answers[0]!.ttl).toBeLessThanOrEqual(58);
    expect(after.answers[0]!.ttl).toBeGreaterThan(50);
    expect(upstream.count('web.service.consul')).toBe(1);
  });
});
