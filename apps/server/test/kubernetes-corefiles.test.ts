import { dig, fakeUpstream, freePort, kdig, parseDigAnswer } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

const at = (port: number) => ['@127.0.0.1', '-p', String(port)];

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

describe('the Kubernetes Corefiles, on loopback', () => {
  it("node-local-dns's Corefile (its four blocks, loop, cache, force_tcp, prometheus, health) starts and answers", async () => {
    const cluster = await fakeUpstream({
      'web.default.svc.cluster.local A': { ttl: 30, data: ['10.96.0.7'] },
      '7.0.96.10.in-addr.arpa PTR': { ttl: 30, data: ['web.default.svc.cluster.local'] },
    }, { soa: { zone: 'cluster.local', ttl: 30, minimum: 5 } });
    const outside = await fakeUpstream({ 'example.org A': { ttl: 300, data: ['192.0.2.1'] } });
    onTestFinished(async () => { await Promise.all([cluster.close(), outside.close()]); });
    const [port, metrics, health] = [await freePort(), await freePort('tcp'), await freePort('tcp')];
    // kubernetes/dns cmd/node-cache's Corefile, with 127.0.0.1 for the link-local and service
    // addresses, and the fake upstreams for __PILLAR__CLUSTER__DNS__ and __PILLAR__UPSTREAM__SERVERS__.
    const reverse = (zone: string) => `${zone}:${port} {
    errors
    cache 30
    reload
    loop
    bind 127.0.0.1
    forward . ${cluster.address} {
            force_tcp
    }
    prometheus 127.0.0.1:${metrics}
    }
`;
    await startDnsmesh(`cluster.local:${port} {
    errors
    cache {
            success 9984 30
            denial 9984 5
    }
    reload
    loop
    bind 127.0.0.1
    forward . ${cluster.address} {
            force_tcp
    }
    prometheus 127.0.0.1:${metrics}
    health 127.0.0.1:${health}
    }
${reverse('in-addr.arpa')}${reverse('ip6.arpa')}.:${port} {
    errors
    cache 30
    reload
    loop
    bind 127.0.0.1
    forward . ${outside.address}
    prometheus 127.0.0.1:${metrics}
    }
`);
    const web = parseDigAnswer(await dig([...at(port), 'web.default.svc.cluster.local', 'A']));
    expect([web.status, web.answers.map((r) => r.data)]).toEqual(['NOERROR', ['10.96.0.7']]);
    expect(cluster.queries.find((q) => q.name === 'web.default.svc.cluster.local')?.transport).toBe('tcp'); // force_tcp
    const ptr = parseDigAnswer(await kdig([...at(port), '-x', '10.96.0.7']));
    expect(ptr.answers.map((r) => r.data)).toEqual(['web.default.svc.cluster.local.']);
    const ext = parseDigAnswer(await dig([...at(port), 'example.org', 'A']));
    expect(ext.answers.map((r) => r.data)).toEqual(['192.0.2.1']);
    expect(parseDigAnswer(await dig([...at(port), 'nope.default.svc.cluster.local', 'A'])).status).toBe('NXDOMAIN');
    // Every block's loop probe went out once, through its own forward, and none came back.
    const until = Date.now() + 5000;
    while (cluster.queries.filter((q) => q.type === 'HINFO').length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(cluster.queries.filter((q) => q.type === 'HINFO').map((q) => q.name.replace(/^\d+\.\d+\./, '')).sort()).toEqual(['cluster.local', 'in-addr.arpa', 'ip6.arpa']);
    expect(outside.queries.filter((q) => q.type === 'HINFO')).toHaveLength(1);
    expect(await get(`http://127.0.0.1:${health}/health`)).toMatchObject({ status: 200 });
    expect((await get(`http://127.0.0.1:${metrics}/metrics`)).text).toMatch(/dnsmesh_dns_requests_total\{[^}]*\} [1-9]/);
  });

  it("the cluster DNS Corefile's plugins (minus kubernetes; forward to a loopback upstream) with loadbalance", async () => {
    const upstream = await fakeUpstream({ 'api.example.org A': { ttl: 300, data: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] } });
    onTestFinished(() => upstream.close());
    const [port, metrics, health, ready] = [await freePort(), await freePort('tcp'), await freePort('tcp'), await freePort('tcp')];
    await startDnsmesh(`.:${port} {
    bind 127.0.0.1
    errors
    health 127.0.0.1:${health} {
       lameduck 5s
    }
    ready 127.0.0.1:${ready}
    prometheus 127.0.0.1:${metrics}
    forward . ${upstream.address} {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`);
    const firsts = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const out = parseDigAnswer(await dig([...at(port), 'api.example.org', 'A']));
      expect(out.answers.map((r) => r.data).sort()).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
      firsts.add(out.answers[0]!.data);
    }
    expect(firsts.size).toBeGreaterThan(1);
    expect(upstream.count('api.example.org', 'A')).toBe(1);
    expect((await get(`http://127.0.0.1:${ready}/ready`)).status).toBe(200);
  });
});
