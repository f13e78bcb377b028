import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { SimOptions } from './options.js';
import { startConsulSim } from './sim.js';
import { tcp, udp } from './testing/dig.js';
import { recordTimerDelays } from './testing/timer-delays.js';

async function sim(opts: SimOptions = {}) {
  const s = await startConsulSim(opts);
  onTestFinished(() => s.close());
  s.registerNode({ name: 'n1', address: '10.0.1.1' });
  s.registerService({ id: 'web-1', name: 'web', node: 'n1', port: 80 });
  return s;
}

const refused = (port: number) => new Promise<string>((resolve) => {
  const c = net.connect({ host: '127.0.0.1', port });
  c.on('connect', () => { c.destroy(); resolve('connected'); });
  c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
});

describe('down', () => {
  it('closes both ports, and up() reopens them on the same numbers', async () => {
    const s = await sim();
    const { dnsPort, httpPort } = s;
    await s.setFailure('down');
    expect(await refused(dnsPort)).toBe('ECONNREFUSED');
    expect(await refused(httpPort)).toBe('ECONNREFUSED');
    await expect(udp(s.dnsAddress, 'web.service.consul', 'A', { timeoutMs: 200 })).rejects.toThrow(/timeout/);
    await expect(fetch(`${s.httpUrl}/v1/status/leader`)).rejects.toThrow();
    await s.up();
    expect([s.dnsPort, s.httpPort]).toEqual([dnsPort, httpPort]);
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('NOERROR');
    expect((await tcp(s.dnsAddress, [['web.service.consul', 'A']]))[0]!.rcode).toBe('NOERROR');
    expect((await fetch(`${s.httpUrl}/v1/status/leader`)).status).toBe(200);
  });

  it('comes back by itself after `for` ms, which is how /_sim/failure can take it down', async () => {
    const s = await sim();
    const r = await fetch(`${s.httpUrl}/_sim/failure`, { method: 'POST', body: JSON.stringify({ mode: 'down', for: 150 }) });
    expect(r.status).toBe(200);
    await new Promise((res) => setTimeout(res, 60));
    expect(await refused(s.httpPort)).toBe('ECONNREFUSED');
    await new Promise((res) => setTimeout(res, 250));
    expect((await fetch(`${s.httpUrl}/v1/status/leader`)).status).toBe(200);
  });

  it('ends blocked requests', async () => {
    const s = await sim();
    const pending = fetch(`${s.httpUrl}/v1/health/service/web?index=${s.serviceIndex('web')}&wait=10m`);
    for (let i = 0; i < 100 && s.counters.blocking_waiters === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await s.setFailure('down');
    await expect(pending).rejects.toThrow();
    expect(s.counters.blocking_waiters).toBe(0);
  });
});

describe('blackhole and slow', () => {
  it('blackhole accepts and never answers, on DNS and HTTP', async () => {
    const s = await sim();
    await s.setFailure('blackhole');
    await expect(udp(s.dnsAddress, 'web.service.consul', 'A', { timeoutMs: 200 })).rejects.toThrow(/timeout/);
    await expect(tcp(s.dnsAddress, [['web.service.consul', 'A']], { timeoutMs: 200 })).rejects.toThrow(/timeout/);
    await expect(fetch(`${s.httpUrl}/v1/status/leader`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(s.counters.dns_queries).toBe(2);
    await s.clearFailure('blackhole');
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('NOERROR');
  });

  it('slow delays every DNS reply and HTTP response', async () => {
    const s = await sim();
    const clock = recordTimerDelays({ instant: true }); // the delays asked for, none waited
    onTestFinished(clock.restore);
    await s.setFailure('slow', { ms: 150 });
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('NOERROR');
    expect(clock.delays).toEqual([150]);
    expect((await fetch(`${s.httpUrl}/v1/health/service/web`)).status).toBe(200);
    expect(clock.delays).toEqual([150, 150]);
    await s.clearFailure('slow');
    await udp(s.dnsAddress, 'web.service.consul', 'A');
    expect(clock.delays).toEqual([150, 150]);           // no delay once cleared
  });
});

describe('no_leader', () => {
  it('fails default reads, serves ?stale with KnownLeader false and a growing LastContact', async () => {
    const s = await sim();
    await s.setFailure('no_leader');
    const r = await fetch(`${s.httpUrl}/v1/health/service/web`);
    expect([r.status, await r.text()]).toEqual([500, 'No cluster leader']);
    const first = await fetch(`${s.httpUrl}/v1/health/service/web?stale`);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-consul-knownleader')).toBe('false');
    await new Promise((res) => setTimeout(res, 30));
    const second = await fetch(`${s.httpUrl}/v1/health/service/web?stale`);
    expect(Number(second.headers.get('x-consul-lastcontact'))).toBeGreaterThan(Number(first.headers.get('x-consul-lastcontact')));
    expect(await (await fetch(`${s.httpUrl}/v1/status/leader`)).json()).toBe('');
    // DNS reads are stale by default and keep answering.
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('NOERROR');
  });

  it('answers as a client agent with rpcPrefix, and fails DNS without allow_stale or past max_stale', async () => {
    const s = await sim({ dns_config: { allow_stale: false } });
    await s.setFailure('no_leader', { rpcPrefix: true });
    expect(await (await fetch(`${s.httpUrl}/v1/catalog/services`)).text()).toBe('rpc error making call: No cluster leader');
    const r = await udp(s.dnsAddress, 'web.service.consul', 'A');
    expect(r).toMatchObject({ rcode: 'SERVFAIL', flag_aa: false }); // v2 leaves AA off SERVFAIL
    const stale = await sim({ dns_config: { max_stale: '50ms' }, dns_variant: 'v1' });
    await stale.setFailure('no_leader');
    expect((await udp(stale.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('NOERROR');
    await new Promise((res) => setTimeout(res, 60));
    expect(await udp(stale.dnsAddress, 'web.service.consul', 'A')).toMatchObject({ rcode: 'SERVFAIL', flag_aa: true });
  });
});

describe('no_servers, rate_limit, flap', () => {
  it('no_servers: 500 and SERVFAIL, but cached answers go on with a growing Age', async () => {
    const s = await sim();
    await fetch(`${s.httpUrl}/v1/health/service/web?cached`); // the agent cache now holds it
    await s.setFailure('no_servers');
    const r = await fetch(`${s.httpUrl}/v1/health/service/web`);
    expect([r.status, await r.text()]).toEqual([500, 'No known Consul servers']);
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('SERVFAIL');
    const hit = await fetch(`${s.httpUrl}/v1/health/service/web?cached`);
    expect([hit.status, hit.headers.get('x-cache')]).toEqual([200, 'HIT']);
    expect(Number(hit.headers.get('age'))).toBeGreaterThanOrEqual(0);
    const cached = await sim({ dns_config: { use_cache: true } });
    await cached.setFailure('no_servers');
    expect((await udp(cached.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('NOERROR');
  });

  it('rate_limit answers 429', async () => {
    const s = await sim();
    await s.setFailure('rate_limit');
    expect((await fetch(`${s.httpUrl}/v1/health/service/web`)).status).toBe(429);
    await s.clearFailure();
    expect((await fetch(`${s.httpUrl}/v1/health/service/web`)).status).toBe(200);
  });

  it('flap toggles the service check every N ms, NXDOMAIN while critical, and clearing restores it', async () => {
    const s = await sim();
    await s.setFailure('flap', { service: 'web', every: 40 });
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      seen.add((await udp(s.dnsAddress, 'web.service.consul', 'A')).rcode);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen).toEqual(new Set(['NOERROR', 'NXDOMAIN']));
    await s.clearFailure('flap');
    expect((await udp(s.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('NOERROR');
  });
});
