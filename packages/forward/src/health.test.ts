import { UpstreamClient } from '@dnsmesh/core';
import { fakeUpstream } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HealthProbe } from './health.js';
import { Upstream } from './upstream-set.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => { for (const fn of cleanups.splice(0).reverse()) await fn(); });

describe('HealthProbe', () => {
  it('probes a down upstream every interval with DOMAIN IN NS until any reply, then stops', async () => {
    const up = await fakeUpstream({}, { refused: true, blackhole: true });
    const client = new UpstreamClient();
    cleanups.push(() => up.close(), () => client.close());
    const u = new Upstream({ host: up.host, port: up.port }, 1);
    const probe = new HealthProbe(u, client, { interval: 50, domain: 'health.example.', transport: 'tcp' });
    cleanups.push(() => probe.stop());
    u.probe = probe;
    u.failed();
    expect(u.down).toBe(true);
    expect(probe.active).toBe(true);
    await vi.waitFor(() => expect(u.healthcheckFailures).toBeGreaterThanOrEqual(1), { timeout: 3000 });
    expect(up.queries[0]).toMatchObject({ name: 'health.example', type: 'NS', rd: false, transport: 'tcp' });
    up.blackhole(false);                               // REFUSED is a reply: the upstream is alive
    await vi.waitFor(() => expect(u.down).toBe(false), { timeout: 3000 });
    expect(probe.active).toBe(false);
    const asked = up.count();
    await new Promise((r) => setTimeout(r, 200));
    expect(up.count()).toBe(asked);                    // no probes while it is up
  });

  it('stop() ends probing at once', async () => {
    const up = await fakeUpstream({}, { blackhole: true });
    const client = new UpstreamClient();
    cleanups.push(() => up.close(), () => client.close());
    const u = new Upstream({ host: up.host, port: up.port }, 1);
    u.probe = new HealthProbe(u, client, { interval: 20, domain: '.', transport: 'udp' });
    u.failed();
    await vi.waitFor(() => expect(up.count()).toBe(1));
    u.probe.stop();
    await new Promise((r) => setTimeout(r, 1200));
    expect(up.count()).toBe(1);
    expect(u.healthcheckFailures).toBe(0);             // the probe in flight was aborted, not failed
  });
});
