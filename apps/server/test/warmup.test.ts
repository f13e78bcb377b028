// The start-up warm-up (-warmup N, apps/server/src/warmup/): it runs before the ports open, and
// nothing of it reaches the operator's upstream, metrics, query log or cache.
import { dig, fakeUpstream, freePort, query } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { run, startDnsmesh, tempFiles } from './dnsmesh-process.js';

async function corefile(upstream: string): Promise<{ text: string; dnsPort: number; metricsPort: number; adminPort: number }> {
  const [dnsPort, metricsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const text = `.:${dnsPort} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${metricsPort}\n  admin 127.0.0.1:${adminPort}\n  log\n  cache\n  forward . ${upstream}\n}\n`;
  return { text, dnsPort, metricsPort, adminPort };
}

describe('dnsmesh -warmup', () => {
  it('warms up by default before it listens, and none of it reaches the upstream, the metrics, the log or the cache', async () => {
    const upstream = await fakeUpstream({ 'a.svc.test A': { ttl: 300, data: ['10.0.0.1'] } });
    try {
      const c = await corefile(upstream.address);
      const r = await startDnsmesh(c.text);
      // The log is asynchronous: its line may come just after the ready lines.
      const line = () => /"msg":"warmed up: (\d+) of (\d+) warm-up queries answered in \d+ ms"/.exec(r.stdout);
      await expect.poll(line, { timeout: 2000 }).not.toBeNull();
      // All 8,000 asked and answered, unless the 3 s bound cut it short on a loaded machine.
      const [answered, asked] = [Number(line()![1]), Number(line()![2])];
      expect(asked).toBeGreaterThan(0);
      expect(asked).toBeLessThanOrEqual(8000);
      expect(answered).toBe(asked);
      expect(upstream.queries).toHaveLength(0);
      const metrics = await (await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`)).text();
      expect(metrics).not.toMatch(/^dnsmesh_dns_requests_total\{[^}]*\} [1-9]/m);
      expect(metrics).not.toMatch(/^dnsmesh_forward_requests_total\{[^}]*\} [1-9]/m);
      expect(await (await fetch(`http://127.0.0.1:${c.adminPort}/cache`)).text()).toBe('');
      expect(r.stdout).not.toContain('warmup.dnsmesh.invalid');
      // And it serves as usual afterwards: the first real query is the upstream's first.
      expect(await dig(['@127.0.0.1', '-p', String(c.dnsPort), 'a.svc.test', 'A', '+short'])).toBe('10.0.0.1\n');
      expect(upstream.queries).toHaveLength(1);
      // The same patterns match once a real query has been counted.
      const after = await (await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`)).text();
      expect(after).toMatch(/^dnsmesh_dns_requests_total\{[^}]*\} 1$/m);
      expect(after).toMatch(/^dnsmesh_forward_requests_total\{[^}]*\} 1$/m);
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
    } finally {
      await upstream.close();
    }
  });

  it('-warmup 0 starts without one', async () => {
    const upstream = await fakeUpstream({ 'a.svc.test A': { ttl: 300, data: ['10.0.0.1'] } });
    try {
      const c = await corefile(upstream.address);
      const r = await startDnsmesh(c.text, {}, ['-warmup', '0']);
      expect(r.stdout).not.toContain('warmed up');
      expect((await query(`127.0.0.1:${c.dnsPort}`, 'a.svc.test', 'A')).answers).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });

  it.each([['-warmup lots'], ['-warmup -1'], ['-warmup 100001'], ['-warmup=1.5']])('%s is refused with exit 2', async (line) => {
    const args = line.split(' ');
    const r = run(args, tempFiles({ Corefile: '.:0 {\n}\n' }));
    expect(await r.exited).toBe(2);
    expect(r.stderr).toMatch(/-warmup takes a number of queries from 0 to 100000, got '/);
  });
});
