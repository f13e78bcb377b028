import { fakeUpstream, freePort, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run, tempFiles } from './dnsmesh-process.js';

async function scrape(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('-workers 2', () => {
  it('serves from two processes sharing the ports, sums metrics across them, and stops both on SIGTERM', async () => {
    const upstream = await fakeUpstream({ 'a.svc.test A': { ttl: 300, data: ['10.0.0.1'] } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    const metricsPort = await freePort('tcp');
    const dir = tempFiles({ Corefile: `svc.test.:${port} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${metricsPort}\n  cache\n  forward . ${upstream.address}\n}\n` });
    const r = run(['-conf', 'Corefile', '-workers', '2'], dir);
    const until = Date.now() + 10_000;
    while (!/dnsmesh-\d/.test(r.stdout) || !r.stdout.includes('workers serving')) {
      if (Date.now() > until) throw new Error(`no start:\n${r.stdout}\n${r.stderr}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(r.stdout).toContain('2 workers serving');
    // Each worker warmed itself up, every warm-up query answered (its sockets are its own, not the
    // primary's shared ones); the metrics below count none of them.
    const warmups = () => [...r.stdout.matchAll(/"msg":"warmed up: (\d+) of (\d+) warm-up queries/g)];
    await expect.poll(() => warmups().length, { timeout: 2000 }).toBe(2);
    for (const [, answered, asked] of warmups()) expect(Number(answered)).toBe(Number(asked));
    const n = 200;
    for (let i = 0; i < n; i += 20) {
      const replies = await Promise.all(Array.from({ length: 20 }, () => query(`127.0.0.1:${port}`, 'a.svc.test', 'A')));
      for (const reply of replies) expect(reply.answers[0]!.data).toBe('10.0.0.1');
    }
    expect((await query(`127.0.0.1:${port}`, 'a.svc.test', 'A', { transport: 'tcp' })).answers).toHaveLength(1);
    // Whichever worker a scrape reaches, it reports the whole server: every query counted once.
    for (let i = 0; i < 4; i++) expect(await scrape(metricsPort, 'dnsmesh_dns_requests_total{')).toBe(n + 1);
    // The duration histogram is summed across workers too (its +Inf bucket and its count hold every query).
    expect(await scrape(metricsPort, 'dnsmesh_dns_request_duration_seconds_count{')).toBe(n + 1);
    expect(await scrape(metricsPort, `dnsmesh_dns_request_duration_seconds_bucket{server="dns://127.0.0.1:${port}",zone="svc.test.",le="+Inf"}`)).toBe(n + 1);
    // The cache is per worker: at most one upstream query per worker.
    expect(upstream.count('a.svc.test')).toBeLessThanOrEqual(2);
    expect(await r.stop('SIGTERM')).toBe(0);
    await expect(query(`127.0.0.1:${port}`, 'a.svc.test', 'A', { timeout: 300 })).rejects.toThrow();
  });

  it('a bad Corefile fails in the primary with FILE:LINE before any worker starts', async () => {
    const dir = tempFiles({ Corefile: '.:53 {\n  cache 0\n}\n' });
    const r = run(['-conf', 'Corefile', '-workers', '2'], dir);
    expect(await r.exited).toBe(1);
    expect(r.stderr).toMatch(/^Corefile:2 - cache: /m);
    expect(r.stdout).not.toContain('workers serving');
  });
});
