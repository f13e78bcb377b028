import { dig, fakeUpstream, freePort, kdig, parseDigAnswer } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run, startDnsmesh, tempFiles } from './dnsmesh-process.js';

describe('loadbalance in the binary', () => {
  it('spreads the first address of a cached answer across dig and kdig queries', async () => {
    const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    const upstream = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: addresses } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    // Line order does not matter: loadbalance runs before cache, so it reorders cache hits.
    await startDnsmesh(`svc.test.:${port} {\n  bind 127.0.0.1\n  cache\n  forward . ${upstream.address}\n  loadbalance round_robin\n}\n`);
    const firsts = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const tool = i % 2 === 0 ? dig : kdig;
      const out = parseDigAnswer(await tool(['@127.0.0.1', '-p', String(port), 'web.svc.test', 'A']));
      expect(out.status).toBe('NOERROR');
      expect(out.answers.map((r) => r.data).sort()).toEqual(addresses);
      firsts.add(out.answers[0]!.data);
    }
    expect(upstream.count('web.svc.test')).toBe(1);
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('prefer: the addresses of the listed networks come first for dig and kdig, the rest still spread', async () => {
    const rest = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    const upstream = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: ['10.0.0.1', '192.168.1.5', '10.0.0.2', '10.9.20.7', '10.0.0.3', '10.0.0.4'] } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    await startDnsmesh(`svc.test.:${port} {\n  bind 127.0.0.1\n  cache\n  loadbalance round_robin {\n    prefer 10.9.20.0/24 192.168.1.0/24\n  }\n  forward . ${upstream.address}\n}\n`);
    const orders = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const tool = i % 2 === 0 ? dig : kdig;
      const answers = parseDigAnswer(await tool(['@127.0.0.1', '-p', String(port), 'web.svc.test', 'A'])).answers.map((r) => r.data);
      expect(answers.slice(0, 2)).toEqual(['10.9.20.7', '192.168.1.5']);
      expect(answers.slice(2).sort()).toEqual(rest);
      orders.add(answers.slice(2).join());
    }
    expect(upstream.count('web.svc.test')).toBe(1);
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe('loop in the binary', () => {
  it('exits 1 naming the loop when forward points back at the server', async () => {
    const port = await freePort();
    const dir = tempFiles({ Corefile: `.:${port} {\n  bind 127.0.0.1\n  loop\n  forward . 127.0.0.1:${port}\n}\n` });
    const r = run(['-conf', 'Corefile'], dir);
    const code = await Promise.race([r.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    expect(code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/loop: forwarding loop detected: seen \\"HINFO IN \d+\.\d+\.\\" sent to 127\.0\.0\.1:\d+ 3 times/);
  });

  it('keeps serving when the upstream is sound', async () => {
    const upstream = await fakeUpstream({ 'web.svc.test A': { ttl: 30, data: ['10.0.0.7'] } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    const server = await startDnsmesh(`.:${port} {\n  bind 127.0.0.1\n  loop\n  forward . ${upstream.address}\n}\n`);
    const until = Date.now() + 8000;
    while (upstream.count() === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    await new Promise((res) => setTimeout(res, 2500)); // past the probe's linger
    expect(server.child.exitCode).toBe(null);
    expect(upstream.queries.map((q) => q.type)).toEqual(['HINFO']);
    const out = parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), 'web.svc.test', 'A']));
    expect(out.answers.map((r) => r.data)).toEqual(['10.0.0.7']);
  });
});
